"""Money arriving at the settlement bank for members: matched by its reference and posted
to the member's share account, or held in suspense for staff to assign or send back.

A credit is known by the bank's own reference for it, so the same credit notified twice
(or in two files) posts once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import FieldError, ValidationProblem
from creditunion.members.models import Member, MemberStatus
from creditunion.members.text import clean_text
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import (
    CreditStatus,
    IncomingCredit,
    OutboundPayment,
    PaymentPurpose,
    PaymentStatus,
    Scheme,
)
from creditunion.payments.outbound import KIND_OUTBOUND, new_end_to_end_id
from creditunion.payments.views import IncomingCreditView, PaymentView, credit_view, payment_view
from creditunion.shares.account_number import normalise_account_number
from creditunion.shares.ledger_link import after_credit, post_movement
from creditunion.shares.models import ShareAccount, ShareAccountStatus
from creditunion.shares.movement_rules import require_can_receive
from creditunion.shares.service import lock_share_accounts
from ledger.money import Money

KIND_RECEIVED: Final = "payments.received"
KIND_SUSPENSE: Final = "payments.received_unmatched"
KIND_ASSIGNED: Final = "payments.suspense_assigned"
NOTE_LENGTH_MAX: Final = 500
# A reference is searched for at most this many words; bank references are 18 to 140 chars.
REFERENCE_TOKENS_MAX: Final = 12
_TOKEN = re.compile(r"[A-Za-z0-9]+")


class CreditNotFound(NotFound):
    def __init__(self, credit_id: int) -> None:
        super().__init__(f"incoming credit {credit_id} not found")


class CreditAlreadyResolved(Conflict):
    def __init__(self, credit_id: int, status: CreditStatus) -> None:
        super().__init__(f"incoming credit {credit_id} is already {status.value}")


class CreditReferenceReused(Conflict):
    def __init__(self, bank_reference: str) -> None:
        super().__init__(
            f"the bank reference {bank_reference!r} was already received with other details"
        )


class NoPayerAccount(Conflict):
    def __init__(self, credit_id: int) -> None:
        super().__init__(
            f"incoming credit {credit_id} names no account of the payer to send it back to"
        )


@dataclass(frozen=True, slots=True)
class ReceivedCredit:
    """One credit as the bank reported it."""

    bank_reference: str
    amount: Money
    booking_date: dt.date
    scheme: Scheme
    payer_name: str | None
    payer_bank_id: str | None
    payer_account_number: str | None
    reference: str | None


def _match(session: Session, reference: str | None) -> ShareAccount | None:
    """The open share account a payer's reference names: a share account number, or a
    membership number (then that member's first open account)."""
    if not reference:
        return None
    for token in _TOKEN.findall(reference)[:REFERENCE_TOKENS_MAX]:
        try:
            number = normalise_account_number(token)
        except FieldError:
            number = None
        if number is not None:
            account = session.scalar(
                select(ShareAccount).where(
                    ShareAccount.account_number == number,
                    ShareAccount.status == ShareAccountStatus.OPEN,
                )
            )
            if account is not None:
                return account
        account = session.scalar(
            select(ShareAccount)
            .join(Member, Member.id == ShareAccount.member_id)
            .where(
                Member.membership_number == token.upper(),
                Member.status != MemberStatus.CLOSED,
                ShareAccount.status == ShareAccountStatus.OPEN,
            )
            .order_by(ShareAccount.id)
            .limit(1)
        )
        if account is not None:
            return account
    return None


def _same(row: IncomingCredit, credit: ReceivedCredit) -> bool:
    return row.amount == credit.amount and row.booking_date == credit.booking_date


def receive_credit(
    session: Session, *, credit: ReceivedCredit, file_id: int, actor: str, business_date: dt.date
) -> IncomingCreditView:
    """Post a credit the bank received for us: to the member its reference names, if that
    account can take it, else to suspense. Raises `CreditReferenceReused`."""
    existing = session.scalar(
        select(IncomingCredit).where(IncomingCredit.bank_reference == credit.bank_reference)
    )
    if existing is not None:
        if not _same(existing, credit):
            raise CreditReferenceReused(credit.bank_reference)
        return credit_view(existing, replayed=True)
    accounts = payment_accounts(session)
    target = _match(session, credit.reference)
    locked = None
    if target is not None:
        locked = lock_share_accounts(session, [target.id])[target.id]
        try:
            require_can_receive(locked, credit.amount)
        except Conflict:
            locked = None  # over the product maximum, say: a person decides
        except ValidationProblem:
            locked = None  # another currency
    key = f"payments:credit:{credit.bank_reference}"
    entry = post_movement(
        session,
        key=key,
        business_date=business_date,
        debit=accounts.settlement_bank,
        credit=accounts.suspense if locked is None else locked.account.ledger_account_id,
        amount=credit.amount,
        description="Payment received" if locked else "Payment received, not matched",
        kind=KIND_SUSPENSE if locked is None else KIND_RECEIVED,
        actor=actor,
        reference=(credit.reference or "")[:35] or None,
        metadata={"bank_reference": credit.bank_reference},
    )
    if locked is not None and not entry.replayed:
        after_credit(session, locked, business_date)
    row = IncomingCredit(
        bank_reference=credit.bank_reference,
        file_id=file_id,
        status=CreditStatus.UNMATCHED if locked is None else CreditStatus.APPLIED,
        currency=credit.amount.currency,
        amount_minor=credit.amount.minor_units,
        booking_date=credit.booking_date,
        payer_name=credit.payer_name,
        scheme=credit.scheme,
        payer_bank_id=credit.payer_bank_id,
        payer_account_number=credit.payer_account_number,
        reference=credit.reference,
        member_id=None if locked is None else locked.account.member_id,
        share_account_id=None if locked is None else locked.account.id,
        entry_id=entry.id,
        received_on=business_date,
    )
    session.add(row)
    session.flush()
    return credit_view(row)


def _note(raw: str) -> str:
    try:
        return clean_text(raw, max_length=NOTE_LENGTH_MAX)
    except FieldError as exc:
        raise ValidationProblem.single("note", str(exc)) from None


def _lock_unmatched(session: Session, credit_id: int) -> IncomingCredit:
    row = session.get(IncomingCredit, credit_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise CreditNotFound(credit_id)
    if row.status is not CreditStatus.UNMATCHED:
        raise CreditAlreadyResolved(credit_id, row.status)
    return row


def assign_credit(
    session: Session,
    *,
    credit_id: int,
    share_account_id: int,
    note: str,
    actor: str,
    business_date: dt.date,
) -> IncomingCreditView:
    """Staff post a credit in suspense to the share account it was meant for.

    Raises `CreditNotFound`, `CreditAlreadyResolved`, `ValidationProblem` (note),
    `ShareAccountNotFound` and the account's refusals (closed, above its maximum).
    """
    cleaned = _note(note)
    row = _lock_unmatched(session, credit_id)
    locked = lock_share_accounts(session, [share_account_id])[share_account_id]
    require_can_receive(locked, row.amount)
    entry = post_movement(
        session,
        key=f"payments:credit:{row.id}:assign",
        business_date=business_date,
        debit=payment_accounts(session).suspense,
        credit=locked.account.ledger_account_id,
        amount=row.amount,
        description="Payment received, assigned from suspense",
        kind=KIND_ASSIGNED,
        actor=actor,
        reference=(row.reference or "")[:35] or None,
        metadata={"incoming_credit_id": row.id},
    )
    after_credit(session, locked, business_date)
    row.status = CreditStatus.ASSIGNED
    row.member_id = locked.account.member_id
    row.share_account_id = locked.account.id
    row.resolve_entry_id = entry.id
    row.resolved_on = business_date
    row.resolved_by = actor
    row.resolution_note = cleaned
    session.flush()
    return credit_view(row)


def return_credit(
    session: Session, *, credit_id: int, note: str, actor: str, business_date: dt.date
) -> PaymentView:
    """Staff send a credit in suspense back to the account it came from: an outbound
    payment out of suspense, in the next file. Raises `CreditNotFound`,
    `CreditAlreadyResolved`, `NoPayerAccount`, `ValidationProblem` (note)."""
    cleaned = _note(note)
    row = _lock_unmatched(session, credit_id)
    if not row.payer_bank_id or not row.payer_account_number:
        raise NoPayerAccount(credit_id)
    accounts = payment_accounts(session)
    # A return cancelled (or sent back by the payer's bank) leaves the credit in suspense
    # again; sending it back once more is a payment, and an entry, of its own.
    earlier = session.scalar(
        select(func.count())
        .select_from(OutboundPayment)
        .where(OutboundPayment.incoming_credit_id == row.id)
    )
    key = f"payments:credit:{row.id}:return:{int(earlier or 0) + 1}"
    entry = post_movement(
        session,
        key=key,
        business_date=business_date,
        debit=accounts.suspense,
        credit=accounts.outbound_clearing,
        amount=row.amount,
        description="Unmatched payment returned to sender",
        kind=KIND_OUTBOUND,
        actor=actor,
        reference=None,
        metadata={"incoming_credit_id": row.id},
    )
    payment = OutboundPayment(
        end_to_end_id=new_end_to_end_id(),
        idempotency_key=key,
        purpose=PaymentPurpose.RETURN_TO_SENDER,
        status=PaymentStatus.PENDING,
        incoming_credit_id=row.id,
        scheme=row.scheme,
        creditor_name=(row.payer_name or "Payer")[:70],
        bank_id=row.payer_bank_id,
        account_number=row.payer_account_number,
        account_kind="checking" if row.scheme is Scheme.US else None,
        currency=row.currency,
        amount_minor=row.amount_minor,
        reference=f"RETURN {row.bank_reference}"[:18],
        created_on=business_date,
        not_before=business_date,
        created_by=actor,
        debit_entry_id=entry.id,
        updated_on=business_date,
        updated_by=actor,
    )
    session.add(payment)
    row.status = CreditStatus.RETURNED
    row.resolve_entry_id = entry.id
    row.resolved_on = business_date
    row.resolved_by = actor
    row.resolution_note = cleaned
    session.flush()
    return payment_view(payment, replayed=False)


def list_credits(
    session: Session, *, status: CreditStatus | None, after_id: int, limit: int
) -> list[IncomingCreditView]:
    query = select(IncomingCredit).where(IncomingCredit.id > after_id)
    if status is not None:
        query = query.where(IncomingCredit.status == status)
    rows = session.scalars(query.order_by(IncomingCredit.id).limit(limit))
    return [credit_view(row) for row in rows]
