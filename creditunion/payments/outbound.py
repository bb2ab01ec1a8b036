"""Paying money out of a member's share account to their nominated bank account.

The money leaves the share account when the payment is made (member -> outbound
clearing), so it cannot be spent twice while the payment waits for a checker, a
cooling-off period or the next file; cancelling or a checker's refusal reverses that entry.
The bank's confirmation moves it on (clearing -> settlement bank, `bank_responses`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.approvals.models import ApprovalKind, PendingApproval
from creditunion.approvals.requests import create_pending
from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import FieldError, ValidationProblem
from creditunion.members.text import clean_text
from creditunion.payments.config import PaymentConfig
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import (
    CreditStatus,
    IncomingCredit,
    OutboundPayment,
    PaymentPurpose,
    PaymentStatus,
)
from creditunion.payments.nominations import Destination, nomination_row
from creditunion.payments.views import PaymentView, payment_view
from creditunion.shares.ledger_link import post_movement
from creditunion.shares.movement_rules import check_request, require_can_give
from creditunion.shares.service import get_share_account, lock_share_accounts
from ledger.money import Money
from ledger.ownership import STAFF, Scope
from ledger.reversal import reverse_entry

KIND_OUTBOUND: Final = "payments.outbound"
KIND_CANCELLED: Final = "payments.outbound_cancelled"
# Faster Payments and Bacs carry 18 characters of reference; ACH's individual id is 15.
REFERENCE_LENGTH_MAX: Final = 18


class PaymentNotFound(NotFound):
    def __init__(self, payment_id: int | str) -> None:
        super().__init__(f"payment {payment_id} not found")


class PaymentKeyReused(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different payment")


class PaymentNotCancellable(Conflict):
    def __init__(self, payment_id: int, status: PaymentStatus) -> None:
        super().__init__(
            f"payment {payment_id} is {status.value}: only a pending payment can be cancelled"
        )


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    share_account_id: int
    amount: Money
    reference: str | None


def _reference(raw: str | None, default: str) -> str:
    if raw is None:
        return default[:REFERENCE_LENGTH_MAX]
    try:
        return clean_text(raw, max_length=REFERENCE_LENGTH_MAX)
    except FieldError as exc:
        raise ValidationProblem.single("reference", str(exc)) from None


def new_end_to_end_id() -> str:
    """35 characters of the ISO 20022 restricted set, unique without a round trip."""
    return "CU" + uuid.uuid4().hex.upper() + "E"


def _replay(session: Session, key: str, request: PayoutRequest) -> PaymentView | None:
    found = session.scalar(select(OutboundPayment).where(OutboundPayment.idempotency_key == key))
    if found is None:
        return None
    if found.share_account_id != request.share_account_id or found.amount != request.amount:
        raise PaymentKeyReused(key)
    return payment_view(found, replayed=True)


def pay_out(
    session: Session,
    *,
    request: PayoutRequest,
    scope: Scope,
    config: PaymentConfig,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    purpose: PaymentPurpose = PaymentPurpose.PAYOUT,
    loan_id: int | None = None,
) -> PaymentView:
    """Pay `request.amount` from a share account to its member's nominated account.

    Above the configured limit a payout waits for a second staff member (an approval of
    kind `payment`); to a nomination still cooling off it is held until it is usable.
    Raises `ValidationProblem`, `ShareAccountNotFound`, `NoNominatedAccount`,
    `PaymentKeyReused`, the share rules' refusals (`InsufficientAvailableBalance`, ...).
    """
    check_request(request.amount, actor, idempotency_key, None)
    get_share_account(session, share_account_id=request.share_account_id, scope=scope)
    # Looked for only once the account is locked: the same key sent twice at once waits
    # here, then finds the first one's payment instead of inserting a second.
    locked = lock_share_accounts(session, [request.share_account_id])[request.share_account_id]
    replayed = _replay(session, idempotency_key, request)
    if replayed is not None:
        return replayed
    require_can_give(session, locked, request.amount, business_date)
    nomination = nomination_row(session, locked.account.member_id)
    destination = Destination(
        nomination.scheme,
        nomination.holder_name,
        nomination.bank_id,
        nomination.account_number,
        nomination.account_kind,
    )
    reference = _reference(request.reference, locked.account.account_number)
    accounts = payment_accounts(session)
    entry = post_movement(
        session,
        key=idempotency_key,
        business_date=business_date,
        debit=locked.account.ledger_account_id,
        credit=accounts.outbound_clearing,
        amount=request.amount,
        description="Payment to nominated account",
        kind=KIND_OUTBOUND,
        actor=actor,
        reference=reference,
        metadata={"share_account": locked.account.account_number, "purpose": purpose.value},
    )
    # A loan's disbursement was decided by the lending rules (and a loan officer where they
    # refer it); the checker is for money a member or teller asks to send.
    needs_checker = purpose is PaymentPurpose.PAYOUT and request.amount > config.approval_limit
    row = OutboundPayment(
        end_to_end_id=new_end_to_end_id(),
        idempotency_key=idempotency_key,
        purpose=purpose,
        status=PaymentStatus.AWAITING_APPROVAL if needs_checker else PaymentStatus.PENDING,
        member_id=locked.account.member_id,
        share_account_id=locked.account.id,
        nominated_account_id=nomination.id,
        loan_id=loan_id,
        scheme=destination.scheme,
        creditor_name=destination.holder_name,
        bank_id=destination.bank_id,
        account_number=destination.account_number,
        account_kind=destination.account_kind,
        currency=request.amount.currency,
        amount_minor=request.amount.minor_units,
        reference=reference,
        created_on=business_date,
        not_before=max(business_date, nomination.usable_on),
        created_by=actor,
        debit_entry_id=entry.id,
        updated_on=business_date,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    if needs_checker:
        approval = create_pending(
            session,
            kind=ApprovalKind.PAYMENT,
            payload=_approval_payload(row),
            maker=actor,
            idempotency_key=f"{idempotency_key}:approval",
            business_date=business_date,
        )
        row.approval_id = approval.id
        session.flush()
    return payment_view(row, replayed=False)


def _approval_payload(row: OutboundPayment) -> dict[str, Any]:
    return {
        "payment_id": row.id,
        "amount": str(row.amount.amount),
        "currency": row.currency,
        "to": f"{row.bank_id} ****{row.account_number[-4:]}",
        "creditor_name": row.creditor_name,
    }


def lock_payment(session: Session, payment_id: int, *, scope: Scope) -> OutboundPayment:
    row = session.get(OutboundPayment, payment_id, with_for_update=True, populate_existing=True)
    if row is None or (scope.member_id is not None and row.member_id != scope.member_id):
        raise PaymentNotFound(payment_id)
    return row


def reverse_payment(
    session: Session,
    row: OutboundPayment,
    *,
    status: PaymentStatus,
    actor: str,
    business_date: dt.date,
    reason: str | None,
) -> None:
    """Post the payment's own entry back (clearing -> where the money came from: the
    member's share account, or suspense for a credit being returned to its payer)."""
    reversal = reverse_entry(
        session,
        entry_id=row.debit_entry_id,
        idempotency_key=f"payment:{row.id}:reversal",
        business_date=business_date,
        posted_by=actor,
        description=f"Payment {status.value}: money back to the member",
        metadata={"payment_id": row.id, "status": status.value},
    )
    row.reverse_entry_id = reversal.id
    row.status = status
    row.reason_text = reason
    row.updated_on = business_date
    row.updated_by = actor
    if row.incoming_credit_id is not None:
        # A credit we were sending back: its money is in suspense again, and so the credit
        # is in the staff work queue again (cancelled, refused or rejected alike).
        credit = session.get(IncomingCredit, row.incoming_credit_id, with_for_update=True)
        assert credit is not None
        credit.status = CreditStatus.UNMATCHED
        credit.resolve_entry_id = credit.resolved_on = credit.resolved_by = None
    session.flush()


def cancel_payment(
    session: Session, *, payment_id: int, reason: str, actor: str, business_date: dt.date
) -> PaymentView:
    """Staff cancel a payment not yet in a file; the money goes back to the share account,
    or, for a credit being returned to its payer, to suspense with the credit unmatched
    again. Raises `PaymentNotFound`, `PaymentNotCancellable`, `ValidationProblem` (reason)."""
    try:
        note = clean_text(reason, max_length=200)
    except FieldError as exc:
        raise ValidationProblem.single("reason", str(exc)) from None
    row = lock_payment(session, payment_id, scope=STAFF)
    if row.status is not PaymentStatus.PENDING:
        raise PaymentNotCancellable(payment_id, row.status)
    reverse_payment(
        session,
        row,
        status=PaymentStatus.CANCELLED,
        actor=actor,
        business_date=business_date,
        reason=note,
    )
    return payment_view(row, replayed=False)


def release_approved_payment(
    session: Session, *, approval: PendingApproval, checker: str, business_date: dt.date
) -> uuid.UUID:
    """A checker approved the payment: it may go in the next file. Returns its entry."""
    row = lock_payment(session, int(approval.payload["payment_id"]), scope=STAFF)
    if row.status is not PaymentStatus.AWAITING_APPROVAL:
        raise PaymentNotCancellable(row.id, row.status)
    row.status = PaymentStatus.PENDING
    row.updated_on = business_date
    row.updated_by = checker
    session.flush()
    return row.debit_entry_id


def refuse_payment(
    session: Session,
    *,
    approval: PendingApproval,
    checker: str,
    business_date: dt.date,
    note: str | None,
) -> None:
    """A checker refused the payment: the money goes back to the share account."""
    row = lock_payment(session, int(approval.payload["payment_id"]), scope=STAFF)
    if row.status is PaymentStatus.AWAITING_APPROVAL:
        reverse_payment(
            session,
            row,
            status=PaymentStatus.CANCELLED,
            actor=checker,
            business_date=business_date,
            reason=note,
        )
