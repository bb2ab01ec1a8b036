"""What the bank says happened to a payment we sent: settled, rejected, or returned.

Each is an idempotent step of the payment's life: a status report and a notification
that both say "settled" post once. Settling moves the money from outbound clearing to the
settlement bank; a rejection (before settlement) reverses the payment's own entry; a
return (after settlement) brings the money back from the settlement bank. Either way the
member gets back exactly what left their account, with no fee.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, Refused
from creditunion.payments.incoming import KIND_SUSPENSE
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import CreditStatus, IncomingCredit, OutboundPayment, PaymentStatus
from creditunion.payments.outbound import reverse_payment
from creditunion.shares.ledger_link import post_movement
from creditunion.shares.models import ShareAccount, ShareAccountStatus
from ledger.money import Money

KIND_SETTLED: Final = "payments.outbound_settled"
KIND_RETURNED: Final = "payments.outbound_returned"


class UnknownPaymentReference(Refused):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no payment we sent has the reference {reference!r}")


class OutcomeNotApplicable(Refused):
    def __init__(self, payment_id: int, status: PaymentStatus, outcome: str) -> None:
        super().__init__(f"payment {payment_id} is {status.value}: it cannot be {outcome}")


class ReturnAmountMismatch(Refused):
    """The bank names one of our payments with another amount (a return or a debit)."""

    def __init__(self, payment_id: int, sent: Money, told: Money) -> None:
        super().__init__(f"payment {payment_id} was {sent} but the bank's entry for it is {told}")


class PaymentReturnedElsewhere(Conflict):
    def __init__(self, payment_id: int) -> None:
        super().__init__(f"payment {payment_id} was already returned under another reference")


def payment_by_end_to_end_id(session: Session, end_to_end_id: str) -> OutboundPayment:
    row = session.scalar(
        select(OutboundPayment)
        .where(OutboundPayment.end_to_end_id == end_to_end_id)
        .with_for_update()
    )
    if row is None or row.file_id is None:
        raise UnknownPaymentReference(end_to_end_id)
    return row


def payment_by_trace_number(session: Session, trace_number: str) -> OutboundPayment:
    row = session.scalar(
        select(OutboundPayment)
        .where(OutboundPayment.trace_number == trace_number)
        .with_for_update()
    )
    if row is None or row.file_id is None:
        raise UnknownPaymentReference(trace_number)
    return row


def settle(session: Session, row: OutboundPayment, *, actor: str, business_date: dt.date) -> None:
    """Outbound clearing -> settlement bank. Settled already: nothing more."""
    if row.status in (PaymentStatus.SETTLED, PaymentStatus.RETURNED):
        return
    if row.status is not PaymentStatus.SENT:
        raise OutcomeNotApplicable(row.id, row.status, "settled")
    accounts = payment_accounts(session)
    entry = post_movement(
        session,
        key=f"payment:{row.id}:settle",
        business_date=business_date,
        debit=accounts.outbound_clearing,
        credit=accounts.settlement_bank,
        amount=row.amount,
        description="Payment settled by the bank",
        kind=KIND_SETTLED,
        actor=actor,
        reference=row.end_to_end_id,
        metadata={"payment_id": row.id},
    )
    row.settle_entry_id = entry.id
    row.status = PaymentStatus.SETTLED
    row.updated_on = business_date
    row.updated_by = actor
    session.flush()


def reject(
    session: Session,
    row: OutboundPayment,
    *,
    code: str | None,
    text: str | None,
    actor: str,
    business_date: dt.date,
) -> None:
    """The bank refused it before settling: the payment's entry is reversed."""
    if row.status is PaymentStatus.REJECTED:
        return
    if row.status is not PaymentStatus.SENT:
        raise OutcomeNotApplicable(row.id, row.status, "rejected")
    reverse_payment(
        session,
        row,
        status=PaymentStatus.REJECTED,
        actor=actor,
        business_date=business_date,
        reason=text,
    )
    row.reason_code = code
    session.flush()


def _returned_to_suspense(
    session: Session,
    row: OutboundPayment,
    *,
    bank_reference: str,
    file_id: int,
    entry_id: uuid.UUID,
    business_date: dt.date,
) -> None:
    """A return for a member whose share account has since closed waits in the staff work
    queue, as an unmatched credit from the account the payment went to."""
    session.add(
        IncomingCredit(
            bank_reference=bank_reference,
            file_id=file_id,
            status=CreditStatus.UNMATCHED,
            currency=row.currency,
            amount_minor=row.amount_minor,
            booking_date=business_date,
            payer_name=row.creditor_name,
            scheme=row.scheme,
            payer_bank_id=row.bank_id,
            payer_account_number=row.account_number,
            reference=f"RETURN {row.end_to_end_id}",
            member_id=row.member_id,
            entry_id=entry_id,
            received_on=business_date,
        )
    )


def return_settled(
    session: Session,
    row: OutboundPayment,
    *,
    amount: Money,
    bank_reference: str,
    code: str | None,
    file_id: int,
    actor: str,
    business_date: dt.date,
) -> None:
    """The receiving bank sent it back after settlement: settlement bank -> the member's
    share account; to suspense for a credit we were returning to its sender (it is
    unmatched again) or when the share account has closed since (a new work-queue item)."""
    if amount != row.amount:
        raise ReturnAmountMismatch(row.id, row.amount, amount)
    if row.status is PaymentStatus.RETURNED:
        if row.return_reference != bank_reference:
            raise PaymentReturnedElsewhere(row.id)
        return
    settle(session, row, actor=actor, business_date=business_date)
    accounts = payment_accounts(session)
    account = (
        None if row.share_account_id is None else session.get(ShareAccount, row.share_account_id)
    )
    open_account = account is not None and account.status is ShareAccountStatus.OPEN
    if row.incoming_credit_id is not None:
        credit = session.get(IncomingCredit, row.incoming_credit_id, with_for_update=True)
        assert credit is not None
        credit.status = CreditStatus.UNMATCHED
        credit.resolve_entry_id = credit.resolved_on = credit.resolved_by = None
    entry = post_movement(
        session,
        key=f"payment:{row.id}:return",
        business_date=business_date,
        debit=accounts.settlement_bank,
        credit=account.ledger_account_id if open_account and account else accounts.suspense,
        amount=row.amount,
        description="Payment returned by the receiving bank",
        kind=KIND_RETURNED if open_account else KIND_SUSPENSE,
        actor=actor,
        reference=row.end_to_end_id,
        metadata={"payment_id": row.id, "return_reason": code or ""},
    )
    if account is not None and not open_account:
        _returned_to_suspense(
            session,
            row,
            bank_reference=bank_reference,
            file_id=file_id,
            entry_id=entry.id,
            business_date=business_date,
        )
    row.reverse_entry_id = entry.id
    row.status = PaymentStatus.RETURNED
    row.reason_code = code
    row.return_reference = bank_reference
    row.updated_on = business_date
    row.updated_by = actor
    session.flush()
