"""Money arriving at the settlement bank for members: matched by its reference and posted
to the member's share account, or held in suspense for staff to assign or send back.

A credit is known by the bank's own reference for it, so the same credit notified twice
(or in two files) posts once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
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
from creditunion.shares.service import LockedAccount, lock_share_accounts
from ledger.batch import BATCH_ENTRIES_MAX, Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.money import Money

KIND_RECEIVED: Final = "payments.received"
KIND_SUSPENSE: Final = "payments.received_unmatched"
KIND_ASSIGNED: Final = "payments.suspense_assigned"
NOTE_LENGTH_MAX: Final = 500
# A reference is searched for at most this many words; bank references are 18 to 140 chars.
REFERENCE_TOKENS_MAX: Final = 12
# Within a ledger batch, and few enough accounts to lock in one statement.
CREDITS_PER_CHUNK: Final = min(5_000, BATCH_ENTRIES_MAX)
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


def _tokens(reference: str | None) -> list[str]:
    return _TOKEN.findall(reference or "")[:REFERENCE_TOKENS_MAX]


def _account_number(token: str) -> str | None:
    try:
        return normalise_account_number(token)
    except FieldError:
        return None


@dataclass(frozen=True, slots=True)
class _Candidates:
    """The open share accounts a chunk's references could name, read in two statements."""

    by_number: dict[str, int]
    by_membership: dict[str, int]

    def match(self, reference: str | None) -> int | None:
        """A share account number first, then a membership number (that member's first
        open account), word by word in the reference's order."""
        for token in _tokens(reference):
            number = _account_number(token)
            if number is not None and number in self.by_number:
                return self.by_number[number]
            if token.upper() in self.by_membership:
                return self.by_membership[token.upper()]
        return None


def _candidates(session: Session, credits: Sequence[ReceivedCredit]) -> _Candidates:
    tokens = {t for c in credits for t in _tokens(c.reference)}
    numbers = sorted({n for t in tokens if (n := _account_number(t)) is not None})
    memberships = sorted({t.upper() for t in tokens})
    by_number = dict(
        session.execute(
            select(ShareAccount.account_number, ShareAccount.id).where(
                ShareAccount.account_number == any_(bindparam("numbers", type_=ARRAY(String))),
                ShareAccount.status == ShareAccountStatus.OPEN,
            ),
            {"numbers": numbers},
        ).all()
    )
    by_membership = dict(
        session.execute(
            select(Member.membership_number, ShareAccount.id)
            .join(ShareAccount, ShareAccount.member_id == Member.id)
            .where(
                Member.membership_number == any_(bindparam("members", type_=ARRAY(String))),
                Member.status != MemberStatus.CLOSED,
                ShareAccount.status == ShareAccountStatus.OPEN,
            )
            .order_by(Member.membership_number, ShareAccount.id)
            .ext(distinct_on(Member.membership_number)),
            {"members": memberships},
        ).all()
    )
    return _Candidates(by_number, by_membership)


def _same(row: IncomingCredit, credit: ReceivedCredit) -> bool:
    return row.amount == credit.amount and row.booking_date == credit.booking_date


def receive_credit(
    session: Session, *, credit: ReceivedCredit, file_id: int, actor: str, business_date: dt.date
) -> IncomingCreditView:
    """`receive_credits` of one credit."""
    [view] = receive_credits(
        session, credits=[credit], file_id=file_id, actor=actor, business_date=business_date
    )
    return view


def receive_credits(
    session: Session,
    *,
    credits: Sequence[ReceivedCredit],
    file_id: int,
    actor: str,
    business_date: dt.date,
) -> list[IncomingCreditView]:
    """Post credits the bank received for us, one view each in order: each to the member
    its reference names, if that account can take it (with the credits before it), else
    to suspense. One received before (the bank's reference) posts nothing and comes back
    `replayed`. Raises `CreditReferenceReused`.

    Chunk by chunk, set-based: a file of 10,000 salaries is a few statements a chunk and
    one batch of entries, not 10,000 postings each updating the settlement account's row
    again in one transaction.
    """
    views: list[IncomingCreditView] = []
    for start in range(0, len(credits), CREDITS_PER_CHUNK):
        chunk = credits[start : start + CREDITS_PER_CHUNK]
        views += _receive_chunk(session, chunk, file_id, actor, business_date)
    return views


def _receive_chunk(
    session: Session,
    credits: Sequence[ReceivedCredit],
    file_id: int,
    actor: str,
    business_date: dt.date,
) -> list[IncomingCreditView]:
    earlier = {
        row.bank_reference: row
        for row in session.scalars(
            select(IncomingCredit).where(
                IncomingCredit.bank_reference == any_(bindparam("refs", type_=ARRAY(String(35))))
            ),
            {"refs": [c.bank_reference for c in credits]},
        )
    }
    fresh: dict[str, ReceivedCredit] = {}
    for credit in credits:
        known = earlier.get(credit.bank_reference) or fresh.get(credit.bank_reference)
        if isinstance(known, IncomingCredit) and not _same(known, credit):
            raise CreditReferenceReused(credit.bank_reference)
        if isinstance(known, ReceivedCredit) and known != credit:
            raise CreditReferenceReused(credit.bank_reference)
        if known is None:
            fresh[credit.bank_reference] = credit
    rows = _post_fresh(session, list(fresh.values()), file_id, actor, business_date)
    views = []
    told: set[str] = set()
    for credit in credits:
        ref = credit.bank_reference
        if ref in earlier or ref in told:
            views.append(credit_view(earlier.get(ref) or rows[ref], replayed=True))
        else:
            told.add(ref)
            views.append(credit_view(rows[ref]))
    return views


def _targets(
    session: Session, credits: list[ReceivedCredit]
) -> tuple[list[LockedAccount | None], list[LockedAccount]]:
    """The locked account each credit goes to (None: suspense), and those credited."""
    candidates = _candidates(session, credits)
    matched = [candidates.match(c.reference) for c in credits]
    locked = lock_share_accounts(session, [m for m in matched if m is not None])
    taken: dict[int, Money] = {}
    targets: list[LockedAccount | None] = []
    for credit, account_id in zip(credits, matched, strict=True):
        target = locked.get(account_id) if account_id is not None else None
        if target is not None:
            so_far = taken.get(target.account.id, Money.zero(credit.amount.currency))
            try:
                require_can_receive(target, so_far + credit.amount)
                taken[target.account.id] = so_far + credit.amount
            except (Conflict, ValidationProblem):
                # Closed since, over the product maximum, another currency: a person decides.
                target = None
        targets.append(target)
    credited = [locked[i] for i in sorted(taken)]
    return targets, credited


def _post_fresh(
    session: Session,
    credits: list[ReceivedCredit],
    file_id: int,
    actor: str,
    business_date: dt.date,
) -> dict[str, IncomingCredit]:
    if not credits:
        return {}
    accounts = payment_accounts(session)
    targets, credited = _targets(session, credits)
    requests = [
        EntryRequest(
            idempotency_key=f"payments:credit:{credit.bank_reference}",
            business_date=business_date,
            lines=(
                Line.debit(accounts.settlement_bank, credit.amount),
                Line.credit(
                    accounts.suspense if t is None else t.account.ledger_account_id, credit.amount
                ),
            ),
            description="Payment received" if t else "Payment received, not matched",
            posted_by=actor,
            kind=KIND_SUSPENSE if t is None else KIND_RECEIVED,
            reference=(credit.reference or "")[:35] or None,
            metadata={"bank_reference": credit.bank_reference},
        )
        for credit, t in zip(credits, targets, strict=True)
    ]
    results = post_batch(session, requests)
    for result in results:
        if result.outcome is Outcome.REFUSED:
            assert result.error is not None
            raise result.error
    for target in credited:
        after_credit(session, target, business_date)
    rows = [
        IncomingCredit(
            bank_reference=credit.bank_reference,
            file_id=file_id,
            status=CreditStatus.UNMATCHED if t is None else CreditStatus.APPLIED,
            currency=credit.amount.currency,
            amount_minor=credit.amount.minor_units,
            booking_date=credit.booking_date,
            payer_name=credit.payer_name,
            scheme=credit.scheme,
            payer_bank_id=credit.payer_bank_id,
            payer_account_number=credit.payer_account_number,
            reference=credit.reference,
            member_id=None if t is None else t.account.member_id,
            share_account_id=None if t is None else t.account.id,
            entry_id=result.entry.id if result.entry is not None else None,
            received_on=business_date,
        )
        for credit, t, result in zip(credits, targets, results, strict=True)
    ]
    session.add_all(rows)
    session.flush()
    return {row.bank_reference: row for row in rows}


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
