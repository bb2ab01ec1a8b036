"""Instalments collected from a member's own bank (a direct debit), and collections that
come back unpaid.

The payment rail decides what is collected and when, and passes the amount the member's
bank paid; here it meets the loan as any repayment does: fees, then interest, then
principal, and the instalments due by the day oldest first. The rail collects the amount
it gave notice of, so a loan that owes less by then (repaid meanwhile, or settled) takes
what it owes and the rest (`excess`) goes to the share account the caller names: the
member's money is never kept by the loan.

An unpaid collection is put back exactly: the same fees, interest and principal owed again,
the instalments it met unpaid again (the latest first), a loan it settled active again,
and the excess taken back from the share account.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from ledger.batch import BATCH_ENTRIES_MAX, Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.ownership import STAFF
from ledger.posting import post_entry
from ledger.transaction import require_transaction
from loans.errors import LoansConflict, LoansRefused
from loans.models import (
    LoanAccrualRow,
    LoanInstalmentRow,
    LoanRow,
    LoanStatus,
    LoanTransactionRow,
    PaymentSource,
    TransactionKind,
)
from loans.registry import nsf_fee_allowed
from loans.services.accounts import chart
from loans.services.amounts import Split, allocate_payment
from loans.services.collection import SETTLE_CLEARED
from loans.services.instalments import apply_payments, close_rows
from loans.services.state import balances, lock_loan

COLLECTIONS_MAX: Final = BATCH_ENTRIES_MAX

_LOCK_ACCOUNTS = text(
    "SELECT id FROM ledger_accounts WHERE id = ANY(CAST(:ids AS bigint[])) ORDER BY id FOR UPDATE"
)

# The latest instalments a payment met are unpaid again first, down to what it met.
_UNAPPLY = text("""
WITH paid AS (
    SELECT id, paid_minor,
           coalesce(sum(paid_minor) OVER (ORDER BY number DESC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS later
    FROM loan_instalments
    WHERE loan_id = :loan AND paid_minor > 0
)
UPDATE loan_instalments i
SET paid_minor = i.paid_minor - least(p.paid_minor, :amount - p.later), paid_on = NULL
FROM paid p
WHERE i.id = p.id AND p.later < :amount
RETURNING least(p.paid_minor, :amount - p.later) AS part
""")


class CollectionNotAccrued(LoansConflict):
    """Collection needs the day's interest accrued first (run `accrue_interest`)."""


class NotACollection(LoansRefused):
    """The transaction named is not a collection from the member's bank."""


@dataclass(frozen=True, slots=True)
class ExternalCollection:
    loan_id: int
    amount: Money
    idempotency_key: str
    excess_account_id: int
    """The member's share account for what the loan no longer owes."""


@dataclass(frozen=True, slots=True)
class Collected:
    loan_id: int
    transaction_id: int | None  # None when the loan owed nothing: all of it was excess
    entry_id: uuid.UUID
    split: Split
    excess: Money
    settled: bool


def collect_external(
    session: Session,
    *,
    collections: Sequence[ExternalCollection],
    clearing_account_id: int,
    business_date: dt.date,
    actor: str,
) -> list[Collected]:
    """Meet each loan with what its member's bank paid, from `clearing_account_id`, in one
    batch of entries; one result per collection, in order. A collection already posted
    under its key is refused by the ledger (the caller keys each collection once)."""
    require_transaction(session)
    if len(collections) > COLLECTIONS_MAX:
        raise LoansRefused(f"at most {COLLECTIONS_MAX} collections at once")
    if len({c.loan_id for c in collections}) != len(collections):
        raise LoansRefused("one collection per loan at once")
    if not collections:
        return []
    loans = _locked_loans(session, [c.loan_id for c in collections], business_date)
    plans = [_plan(session, loans[c.loan_id], c) for c in collections]
    requests = [
        _entry(loans[c.loan_id], c, split, excess, clearing_account_id, business_date, actor)
        for c, (split, excess) in zip(collections, plans, strict=True)
    ]
    results = post_batch(session, requests)
    refused = [r.error for r in results if r.outcome is not Outcome.POSTED]
    if refused:
        raise LoansConflict(f"a collection could not be posted: {refused[0]}")
    entries = [r.entry.id for r in results if r.entry is not None]
    assert len(entries) == len(collections)
    ids = _record(session, collections, plans, entries, clearing_account_id, business_date, actor)
    paying = [
        (c.loan_id, split.total.minor_units)
        for c, (split, _) in zip(collections, plans, strict=True)
    ]
    apply_payments(session, payments=[p for p in paying if p[1] > 0], business_date=business_date)
    settled = _settle(session, loans, plans, collections, business_date)
    return [
        Collected(
            loan_id=c.loan_id,
            transaction_id=ids.get(c.loan_id),
            entry_id=entry,
            split=split,
            excess=excess,
            settled=c.loan_id in settled,
        )
        for c, (split, excess), entry in zip(collections, plans, entries, strict=True)
    ]


def _locked_loans(
    session: Session, loan_ids: list[int], business_date: dt.date
) -> dict[int, LoanRow]:
    rows = session.scalars(
        select(LoanRow)
        .where(LoanRow.id.in_(loan_ids))
        .order_by(LoanRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    loans = {row.id: row for row in rows}
    missing = set(loan_ids) - set(loans)
    if missing:
        raise LoansRefused(f"no loan {min(missing)}")
    active = [row for row in rows if row.status is LoanStatus.ACTIVE]
    accounts = sorted(
        {a for r in active for a in (r.principal_account_id, r.interest_account_id)}
        | {r.fees_account_id for r in active}
    )
    session.execute(_LOCK_ACCOUNTS, {"ids": accounts})
    behind = session.scalars(
        select(LoanAccrualRow.loan_id).where(
            LoanAccrualRow.loan_id.in_([r.id for r in active]),
            LoanAccrualRow.accrued_through < business_date,
        )
    ).all()
    if behind:
        raise CollectionNotAccrued(f"loans {sorted(behind)[:5]} are not accrued to {business_date}")
    return loans


def _plan(session: Session, loan: LoanRow, collection: ExternalCollection) -> tuple[Split, Money]:
    if collection.amount.currency != loan.currency or not collection.amount.is_positive():
        raise LoansRefused(f"loan {loan.id}: a collection is a positive {loan.currency} amount")
    if loan.status is not LoanStatus.ACTIVE:
        return Split.zero(loan.currency), collection.amount
    owed = balances(session, loan)
    take = min(collection.amount, owed.total)
    split = allocate_payment(take, owed) if take.is_positive() else Split.zero(loan.currency)
    return split, collection.amount - take


def _entry(
    loan: LoanRow,
    collection: ExternalCollection,
    split: Split,
    excess: Money,
    clearing_account_id: int,
    business_date: dt.date,
    actor: str,
) -> EntryRequest:
    lines = [Line.debit(clearing_account_id, collection.amount)]
    for part, account in (
        (split.fees, loan.fees_account_id),
        (split.interest, loan.interest_account_id),
        (split.principal, loan.principal_account_id),
        (excess, collection.excess_account_id),
    ):
        if part:
            lines.append(Line.credit(account, part))
    return EntryRequest(
        idempotency_key=collection.idempotency_key,
        business_date=business_date,
        lines=tuple(lines),
        description=f"Loan {loan.id} instalment collected by direct debit",
        posted_by=actor,
        kind="loan.collection",
        reference=f"loan:{loan.id}",
        metadata={
            "fees": split.fees.minor_units,
            "interest": split.interest.minor_units,
            "principal": split.principal.minor_units,
            "excess": excess.minor_units,
        },
    )


def _record(
    session: Session,
    collections: Sequence[ExternalCollection],
    plans: list[tuple[Split, Money]],
    entries: list[uuid.UUID],
    clearing_account_id: int,
    business_date: dt.date,
    actor: str,
) -> dict[int, int]:
    values = [
        {
            "loan_id": c.loan_id,
            "kind": TransactionKind.COLLECTION,
            "business_date": business_date,
            "amount_minor": split.total.minor_units,
            "fees_minor": split.fees.minor_units,
            "interest_minor": split.interest.minor_units,
            "principal_minor": split.principal.minor_units,
            "source": PaymentSource.DIRECT_DEBIT,
            "source_account_id": clearing_account_id,
            "journal_entry_id": entry,
            "idempotency_key": c.idempotency_key,
            "actor": actor,
        }
        for c, (split, _), entry in zip(collections, plans, entries, strict=True)
        if split.total.is_positive()
    ]
    if not values:
        return {}
    rows = session.execute(
        insert(LoanTransactionRow).returning(LoanTransactionRow.loan_id, LoanTransactionRow.id),
        values,
    )
    return {int(loan_id): int(row_id) for loan_id, row_id in rows}


def _settle(
    session: Session,
    loans: dict[int, LoanRow],
    plans: list[tuple[Split, Money]],
    collections: Sequence[ExternalCollection],
    business_date: dt.date,
) -> set[int]:
    """The loans a collection cleared, settled in one statement as the share collection's."""
    paid = [c.loan_id for c, (split, _) in zip(collections, plans, strict=True) if split.total]
    settled = set(session.scalars(SETTLE_CLEARED, {"loans": paid, "d": business_date}))
    for loan_id in settled:
        session.refresh(loans[loan_id])
    close_rows(session, loan_ids=sorted(settled), business_date=business_date)
    return settled


@dataclass(frozen=True, slots=True)
class Unpaid:
    loan_id: int
    transaction_id: int | None
    entry_id: uuid.UUID
    fee_charged: Money


def reverse_external_collection(
    session: Session,
    *,
    collected: Collected,
    excess_account_id: int,
    to_account_id: int,
    instalment_number: int,
    idempotency_key: str,
    business_date: dt.date,
    actor: str,
    charge_fee: bool,
) -> Unpaid:
    """Put back what an unpaid collection met, taking the money back into `to_account_id`
    (the bank that debited it back). With `charge_fee`, a failed-payment fee as the
    product and its rule set allow, once per instalment (never on PAL II)."""
    loan = lock_loan(session, collected.loan_id, scope=STAFF)
    if collected.transaction_id is not None:
        original = session.get(LoanTransactionRow, collected.transaction_id)
        if (
            original is None
            or original.loan_id != loan.id
            or original.source is not PaymentSource.DIRECT_DEBIT
        ):
            raise NotACollection(f"loan transaction {collected.transaction_id}")
    split, excess = collected.split, collected.excess
    lines = [Line.credit(to_account_id, split.total + excess)]
    for part, account in (
        (split.fees, loan.fees_account_id),
        (split.interest, loan.interest_account_id),
        (split.principal, loan.principal_account_id),
        (excess, excess_account_id),
    ):
        if part:
            lines.append(Line.debit(account, part))
    entry = post_entry(
        session,
        EntryRequest(
            idempotency_key=idempotency_key,
            business_date=business_date,
            lines=tuple(lines),
            description=f"Loan {loan.id} direct debit unpaid",
            posted_by=actor,
            kind="loan.unpaid",
            reference=f"loan:{loan.id}",
            metadata={
                "fees": split.fees.minor_units,
                "interest": split.interest.minor_units,
                "principal": split.principal.minor_units,
                "excess": excess.minor_units,
            },
        ),
    )
    transaction_id = None
    if split.total.is_positive():
        transaction_id = _record_unpaid(
            session, loan, split, entry.id, idempotency_key, actor, business_date
        )
        _unapply(session, loan, split)
    fee = Money.zero(loan.currency)
    if charge_fee:
        fee = _failed_payment_fee(session, loan, instalment_number, business_date, actor)
    session.flush()
    return Unpaid(loan.id, transaction_id, entry.id, fee)


def _record_unpaid(
    session: Session,
    loan: LoanRow,
    split: Split,
    entry_id: uuid.UUID,
    key: str,
    actor: str,
    business_date: dt.date,
) -> int:
    row = LoanTransactionRow(
        loan_id=loan.id,
        kind=TransactionKind.UNPAID,
        business_date=business_date,
        amount_minor=split.total.minor_units,
        fees_minor=split.fees.minor_units,
        interest_minor=split.interest.minor_units,
        principal_minor=split.principal.minor_units,
        source=PaymentSource.DIRECT_DEBIT,
        journal_entry_id=entry_id,
        idempotency_key=key,
        actor=actor,
    )
    session.add(row)
    session.flush()
    return row.id


def _unapply(session: Session, loan: LoanRow, split: Split) -> None:
    amount = split.total.minor_units
    parts = session.scalars(_UNAPPLY, {"loan": loan.id, "amount": amount}).all()
    met = sum(int(p) for p in parts)
    assert met <= amount
    if met < amount and loan.status is LoanStatus.SETTLED:
        _restore_last_instalment(session, loan, split, amount - met)
    if loan.status is LoanStatus.SETTLED:
        # Settled by the collection that came back: it owes again, so it is active again.
        loan.status = LoanStatus.ACTIVE
        loan.settled_on = None


def _restore_last_instalment(session: Session, loan: LoanRow, split: Split, owed: int) -> None:
    """A loan settled ahead of its last due date had that instalment closed; owing again,
    it is due again on that date, for what the unpaid collection had met of it."""
    exists = session.scalar(
        select(LoanInstalmentRow.id).where(
            LoanInstalmentRow.loan_id == loan.id,
            LoanInstalmentRow.number == loan.last_instalment_no,
        )
    )
    assert exists is None, f"loan {loan.id}: instalment {loan.last_instalment_no} was kept"
    fees = min(split.fees.minor_units, owed)
    interest = min(split.interest.minor_units, owed - fees)
    session.add(
        LoanInstalmentRow(
            loan_id=loan.id,
            number=loan.last_instalment_no,
            due_date=loan.maturity_date,
            principal_minor=owed - fees - interest,
            interest_minor=interest,
            fees_minor=fees,
        )
    )
    session.flush()


def _failed_payment_fee(
    session: Session, loan: LoanRow, instalment_number: int, business_date: dt.date, actor: str
) -> Money:
    nothing = Money.zero(loan.currency)
    if loan.nsf_fee_minor is None or not nsf_fee_allowed(loan.rule_set):
        return nothing
    instalment = session.scalar(
        select(LoanInstalmentRow)
        .where(LoanInstalmentRow.loan_id == loan.id, LoanInstalmentRow.number == instalment_number)
        .with_for_update()
    )
    if instalment is None or instalment.nsf_fee_charged:
        return nothing
    fee = Money.from_minor(loan.nsf_fee_minor, loan.currency)
    key = f"loan:{loan.id}:nsf-fee:{instalment_number}"
    entry = post_entry(
        session,
        EntryRequest(
            idempotency_key=key,
            business_date=business_date,
            lines=(
                Line.debit(loan.fees_account_id, fee),
                Line.credit(chart(session).fee_income, fee),
            ),
            description=f"Loan {loan.id} failed payment fee",
            posted_by=actor,
            kind="loan.fee",
            reference=f"loan:{loan.id}",
        ),
    )
    session.add(
        LoanTransactionRow(
            loan_id=loan.id,
            kind=TransactionKind.NSF_FEE,
            business_date=business_date,
            amount_minor=fee.minor_units,
            fees_minor=fee.minor_units,
            journal_entry_id=entry.id,
            idempotency_key=key,
            actor=actor,
        )
    )
    instalment.nsf_fee_charged = True
    instalment.fees_minor += fee.minor_units
    return fee
