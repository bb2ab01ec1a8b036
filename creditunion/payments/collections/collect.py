"""Close of business on a collection date: what the members' banks paid meets the loans.

Every collection sent for the day meets its loan from the collection clearing account
(`loans.services.external_collection`), and the bank's credit of the day's total moves
clearing to the settlement account in one entry per currency: Bacs and ACH both credit
the originator on the collection date and debit back what comes back unpaid later.
Runs before the share-account collection, so an instalment a direct debit paid is not
also taken from shares.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from creditunion.payments.collections.models import Collection, CollectionStatus
from creditunion.payments.ledger_accounts import payment_accounts
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.posting import post_entry
from loans.services.external_collection import (
    COLLECTIONS_MAX,
    ExternalCollection,
    collect_external,
)

ROUNDS_MAX: Final = 1_000

_EXCESS_ACCOUNTS = text("""
SELECT l.id, coalesce(l.collection_account_id, (
    SELECT a.id FROM share_accounts s JOIN ledger_accounts a ON a.id = s.ledger_account_id
    WHERE s.member_id = l.member_id AND s.status = 'open' AND a.currency = l.currency
    ORDER BY s.id LIMIT 1)) AS account_id
FROM loans l WHERE l.id = ANY(CAST(:ids AS bigint[]))
""")


class NoShareAccountForExcess(RuntimeError):
    """A borrower with no open share account: membership requires one, so this is a bug."""


def collect_due(session: Session, *, business_date: dt.date, actor: str) -> int:
    """Meet every loan whose collection falls due by `business_date`; returns how many."""
    accounts = payment_accounts(session)
    done: list[Collection] = []
    # A loan can have two collections on one day (an instalment asked for again and the
    # next one due): each round takes at most one per loan.
    for _ in range(ROUNDS_MAX):
        due = _round(session, business_date)
        if not due:
            break
        _collect(session, due, accounts.collection_clearing, business_date, actor)
        done += due
    else:
        raise AssertionError(f"more than {ROUNDS_MAX} rounds of collections")
    _settle(
        session, done, accounts.settlement_bank, accounts.collection_clearing, business_date, actor
    )
    return len(done)


def _round(session: Session, business_date: dt.date) -> list[Collection]:
    rows = session.scalars(
        select(Collection)
        .where(
            Collection.status == CollectionStatus.SENT,
            Collection.collection_date <= business_date,
        )
        .order_by(Collection.id)
        .with_for_update()
    ).all()
    seen: set[int] = set()
    chosen: list[Collection] = []
    for row in rows:
        if row.loan_id not in seen and len(chosen) < COLLECTIONS_MAX:
            seen.add(row.loan_id)
            chosen.append(row)
    return chosen


def _collect(
    session: Session,
    due: list[Collection],
    clearing_id: int,
    business_date: dt.date,
    actor: str,
) -> None:
    found: dict[int, int | None] = dict(
        session.execute(_EXCESS_ACCOUNTS, {"ids": [c.loan_id for c in due]}).all()
    )
    excess_accounts = {loan: account for loan, account in found.items() if account is not None}
    if any(c.loan_id not in excess_accounts for c in due):
        raise NoShareAccountForExcess([c.loan_id for c in due if c.loan_id not in excess_accounts])
    results = collect_external(
        session,
        collections=[
            ExternalCollection(
                loan_id=c.loan_id,
                amount=c.amount,
                idempotency_key=f"collections:{c.id}:collect",
                excess_account_id=excess_accounts[c.loan_id],
            )
            for c in due
        ],
        clearing_account_id=clearing_id,
        business_date=business_date,
        actor=actor,
    )
    for row, result in zip(due, results, strict=True):
        row.status = CollectionStatus.COLLECTED
        row.collect_entry_id = result.entry_id
        row.loan_transaction_id = result.transaction_id
        row.fees_minor = result.split.fees.minor_units
        row.interest_minor = result.split.interest.minor_units
        row.principal_minor = result.split.principal.minor_units
        row.excess_minor = result.excess.minor_units
        row.excess_account_id = excess_accounts[row.loan_id]
        row.updated_on = business_date
        row.updated_by = actor
    session.flush()


def _settle(
    session: Session,
    done: list[Collection],
    bank_id: int,
    clearing_id: int,
    business_date: dt.date,
    actor: str,
) -> None:
    totals: Counter[str] = Counter()
    for row in done:
        totals[row.currency] += row.amount_minor
    for currency, minor in sorted(totals.items()):
        amount = Money.from_minor(minor, currency)
        entry = post_entry(
            session,
            EntryRequest(
                idempotency_key=f"collections:settle:{business_date}:{currency}",
                business_date=business_date,
                lines=(Line.debit(bank_id, amount), Line.credit(clearing_id, amount)),
                description=f"Direct debits collected on {business_date}, credited by the bank",
                posted_by=actor,
                kind="payment.collections_settled",
                reference=f"collections:{business_date}",
            ),
        )
        for row in done:
            if row.currency == currency:
                row.settle_entry_id = entry.id
    session.flush()
