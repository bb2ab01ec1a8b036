"""What the bank says happened to a payment we sent: settled, rejected, or returned.

Each is an idempotent step of the payment's life: a status report and a notification
that both say "settled" post once. Settling moves the money from outbound clearing to the
settlement bank; a rejection (before settlement) reverses the payment's own entry; a
return (after settlement) brings the money back from the settlement bank. Either way the
member gets back exactly what left their account, with no fee.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, Refused
from creditunion.payments.incoming import KIND_SUSPENSE
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import CreditStatus, IncomingCredit, OutboundPayment, PaymentStatus
from creditunion.payments.outbound import reverse_payment
from creditunion.shares.ledger_link import post_movement
from creditunion.shares.models import ShareAccount
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
    def __init__(self, payment_id: int, sent: Money, returned: Money) -> None:
        super().__init__(f"payment {payment_id} was {sent} but its return is {returned}")


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


def return_settled(
    session: Session,
    row: OutboundPayment,
    *,
    amount: Money,
    bank_reference: str,
    code: str | None,
    actor: str,
    business_date: dt.date,
) -> None:
    """The receiving bank sent it back after settlement: settlement bank -> the member
    (or back to suspense, for a credit we were returning to its sender)."""
    if amount != row.amount:
        raise ReturnAmountMismatch(row.id, row.amount, amount)
    key = f"payment:{row.id}:return"
    if row.status is PaymentStatus.RETURNED:
        if row.return_reference != bank_reference:
            raise PaymentReturnedElsewhere(row.id)
        return
    settle(session, row, actor=actor, business_date=business_date)
    accounts = payment_accounts(session)
    if row.share_account_id is not None:
        account = session.get(ShareAccount, row.share_account_id)
        assert account is not None
        back_to = account.ledger_account_id
        kind = KIND_RETURNED
    else:
        back_to = accounts.suspense
        kind = KIND_SUSPENSE
        credit = session.get(IncomingCredit, row.incoming_credit_id, with_for_update=True)
        assert credit is not None
        credit.status = CreditStatus.UNMATCHED
        credit.resolve_entry_id = credit.resolved_on = credit.resolved_by = None
    entry = post_movement(
        session,
        key=key,
        business_date=business_date,
        debit=accounts.settlement_bank,
        credit=back_to,
        amount=row.amount,
        description="Payment returned by the receiving bank",
        kind=kind,
        actor=actor,
        reference=row.end_to_end_id,
        metadata={"payment_id": row.id, "return_reason": code or ""},
    )
    row.reverse_entry_id = entry.id
    row.status = PaymentStatus.RETURNED
    row.reason_code = code
    row.return_reference = bank_reference
    row.updated_on = business_date
    row.updated_by = actor
    session.flush()
