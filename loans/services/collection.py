"""Close of business, loans step 2: collect what is due from members' shares by mandate.

Runs after the day's accrual (`accrue_interest`): interest owed is then accrued to the
date. For every active loan with a collection mandate (its `collection_account_id`, given
at acceptance or by `set_collection_mandate`) and something due on or before the date:

* what is due is the unpaid instalments due by then, or, from the last due date on,
  everything the loan owes;
* what is taken is that, or as much of it as the share account holds above its floor
  (several loans on one account are served in loan order); the rest stays in arrears.
  Balances are read after the chunk's loans and accounts are locked, so a withdrawal or
  repayment racing the collection is either seen in full or waits for it;
* what is taken meets fees, then interest, then principal, in one entry per loan keyed
  `cob:{date}:loan-collect:{loan id}`, posted through `ledger.batch.post_batch`, which
  checks the floor again under its locks;
* a fee for a failed payment is charged once per instalment, only where the product has
  one and its rule set allows it (never on a PAL II loan).

A loan collected on the date (in full or in part) is not collected again by a rerun. A
loan under notice of withdrawal is not collected: the member repays it (`withdrawal`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from ledger.actors import COB_ACTOR
from ledger.batch import BATCH_ENTRIES_MAX, Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.transaction import require_transaction
from loans.allocation import Owed
from loans.errors import LoansConflict, LoansRefused
from loans.registry import nsf_fee_allowed
from loans.services.accounts import chart
from loans.services.amounts import Split, allocate_payment
from loans.services.instalments import apply_payments, close_rows

CHUNK_DEFAULT: Final = 5_000
# Two entries a loan at most (a collection and a failed-payment fee) in one batch.
CHUNK_MAX: Final = BATCH_ENTRIES_MAX // 2
CHUNKS_MAX: Final = 10_000

_DUE = text("""
WITH due AS (
    SELECT loan_id,
           sum(greatest(principal_minor + interest_minor + fees_minor - paid_minor, 0)) AS unpaid,
           max(number) FILTER (WHERE due_date = :d) AS today_number,
           bool_or(nsf_fee_charged) FILTER (WHERE due_date = :d) AS nsf_charged
    FROM loan_instalments
    WHERE paid_on IS NULL AND due_date <= :d
    GROUP BY loan_id
)
SELECT l.id, l.currency, l.rule_set, l.nsf_fee_minor, l.maturity_date, a.accrued_through,
       l.collection_account_id, l.principal_account_id, l.interest_account_id,
       l.fees_account_id, due.unpaid, due.today_number, coalesce(due.nsf_charged, false)
           AS nsf_charged,
       p.balance_minor AS principal, i.balance_minor AS interest, f.balance_minor AS fees,
       s.balance_minor AS share_balance, s.floor_minor AS share_floor,
       s.status = 'open' AND NOT s.header AND s.type = 'liability'
           AND s.currency = l.currency AS share_usable
FROM due
JOIN loans l ON l.id = due.loan_id
JOIN loan_accruals a ON a.loan_id = l.id
JOIN ledger_accounts p ON p.id = l.principal_account_id
JOIN ledger_accounts i ON i.id = l.interest_account_id
JOIN ledger_accounts f ON f.id = l.fees_account_id
JOIN ledger_accounts s ON s.id = l.collection_account_id
WHERE l.status = 'active' AND l.id > :after AND l.withdrawal_notice_on IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM loan_transactions t
      WHERE t.loan_id = l.id AND t.kind = 'collection' AND t.business_date = :d)
ORDER BY l.id
LIMIT :n
FOR UPDATE OF l
""")

_LOCK_ACCOUNTS = text(
    "SELECT id FROM ledger_accounts WHERE id = ANY(CAST(:ids AS bigint[])) ORDER BY id FOR UPDATE"
)

_RECORD = text("""
INSERT INTO loan_transactions (loan_id, kind, business_date, amount_minor, fees_minor,
    interest_minor, principal_minor, source, source_account_id, journal_entry_id,
    idempotency_key, actor)
SELECT loan_id, CAST(:kind AS varchar), :d, amount, fees, interest, principal,
       CAST(:source AS varchar), account, entry, key, :actor
FROM unnest(CAST(:loans AS bigint[]), CAST(:amounts AS bigint[]), CAST(:fees AS bigint[]),
    CAST(:interest AS bigint[]), CAST(:principal AS bigint[]), CAST(:accounts AS bigint[]),
    CAST(:entries AS uuid[]), CAST(:keys AS text[]))
    AS r(loan_id, amount, fees, interest, principal, account, entry, key)
""")

_NSF_MARK = text("""
UPDATE loan_instalments i SET nsf_fee_charged = true, fees_minor = i.fees_minor + r.fee
FROM unnest(CAST(:loans AS bigint[]), CAST(:numbers AS int[]), CAST(:fees AS bigint[]))
    AS r(loan_id, number, fee)
WHERE i.loan_id = r.loan_id AND i.number = r.number
""")

# Loans whose three accounts are cleared are settled; returns their ids.
SETTLE_CLEARED = text("""
UPDATE loans l SET status = 'settled', settled_on = :d, days_past_due = 0, arrears_minor = 0,
    arrears_bucket = 'current'
FROM ledger_accounts p, ledger_accounts i, ledger_accounts f
WHERE l.id = ANY(CAST(:loans AS bigint[])) AND p.id = l.principal_account_id
  AND i.id = l.interest_account_id AND f.id = l.fees_account_id
  AND p.balance_minor = 0 AND i.balance_minor = 0 AND f.balance_minor = 0
RETURNING l.id
""")


class AccrualNotRun(LoansConflict):
    """Collection needs the day's interest accrued first (run `accrue_interest`)."""


@dataclass(frozen=True, slots=True)
class CollectionRun:
    business_date: dt.date
    loans_due: int
    collected_in_full: int
    collected_in_part: int
    not_collected: int
    collected: dict[str, int]  # minor units by currency
    settled: int
    nsf_fees: int
    more: bool


@dataclass(frozen=True, slots=True)
class _Plan:
    loan_id: int
    currency: str
    share_account_id: int
    take: Money
    due: Money
    split: Split | None
    row: Row[Any]


def collect_due_instalments(
    session: Session,
    *,
    business_date: dt.date,
    limit: int | None = None,
    chunk_size: int = CHUNK_DEFAULT,
    actor: str = COB_ACTOR,
) -> CollectionRun:
    """Collect every due instalment with a mandate (or the next `limit` loans' worth)."""
    require_transaction(session)
    if not 1 <= chunk_size <= CHUNK_MAX:
        raise LoansRefused(f"a chunk is 1 to {CHUNK_MAX} loans")
    if limit is not None and limit < 1:
        raise LoansRefused("limit must be positive")
    books = chart(session)
    tally: Counter[str] = Counter()
    collected: Counter[str] = Counter()
    after = 0
    seen = 0
    for _ in range(CHUNKS_MAX):
        size = chunk_size if limit is None else min(chunk_size, limit - seen)
        if size <= 0:
            return _run(business_date, tally, collected, more=True)
        window = {"d": business_date, "after": after, "n": size}
        rows = session.execute(_DUE, window).all()
        if not rows:
            break
        # That statement waited for loans a rival held but read balances as they were when
        # it began. Lock every account the chunk may post to, in the ledger's order, then
        # read it again: the plan must see what a racing withdrawal or repayment left.
        session.execute(_LOCK_ACCOUNTS, {"ids": _accounts_of(rows, books.fee_income)})
        rows = session.execute(_DUE, window).all()
        behind = [row.id for row in rows if row.accrued_through < business_date]
        if behind:
            raise AccrualNotRun(f"loans {behind[:5]} are not accrued through {business_date}")
        _collect_chunk(session, rows, business_date, actor, books.fee_income, tally, collected)
        seen += len(rows)
        after = int(rows[-1].id)
    else:
        raise AssertionError(f"more than {CHUNKS_MAX} chunks")
    return _run(business_date, tally, collected, more=False)


def _accounts_of(rows: Sequence[Row[Any]], fee_income_id: int) -> list[int]:
    ids = {fee_income_id}
    for row in rows:
        ids.update(
            int(account)
            for account in (
                row.collection_account_id,
                row.principal_account_id,
                row.interest_account_id,
                row.fees_account_id,
            )
        )
    return sorted(ids)


def _run(
    business_date: dt.date, tally: Counter[str], collected: Counter[str], *, more: bool
) -> CollectionRun:
    return CollectionRun(
        business_date=business_date,
        loans_due=tally["due"],
        collected_in_full=tally["full"],
        collected_in_part=tally["part"],
        not_collected=tally["none"],
        collected=dict(collected),
        settled=tally["settled"],
        nsf_fees=tally["nsf"],
        more=more,
    )


def _plan(rows: Sequence[Row[Any]], business_date: dt.date) -> list[_Plan]:
    # Keyed by account alone: a collection account is always in its loans' currency.
    available: dict[int, Money] = {}
    plans = []
    for row in rows:
        currency = row.currency
        owed = Split.of(
            Owed(fees=int(row.fees), interest=int(row.interest), principal=int(row.principal)),
            currency,
        )
        unpaid = Money.from_minor(int(row.unpaid), currency)
        due = owed.total if business_date >= row.maturity_date else min(unpaid, owed.total)
        account = int(row.collection_account_id)
        if account not in available:
            # A liability holds value as a credit (negative) balance; never below the floor,
            # and an account with no floor is treated as floored at zero.
            nothing = Money.zero(currency)
            held = Money.from_minor(-int(row.share_balance), currency)
            floor = Money.from_minor(max(int(row.share_floor or 0), 0), currency)
            available[account] = max(held - floor, nothing) if row.share_usable else nothing
        take = min(due, available[account])
        available[account] -= take
        split = allocate_payment(take, owed) if take.is_positive() else None
        plans.append(_Plan(int(row.id), currency, account, take, due, split, row))
    return plans


def _collect_chunk(
    session: Session,
    rows: Sequence[Row[Any]],
    business_date: dt.date,
    actor: str,
    fee_income_id: int,
    tally: Counter[str],
    collected: Counter[str],
) -> None:
    plans = _plan(rows, business_date)
    requests: list[EntryRequest] = []
    paying: list[_Plan] = []
    for plan in plans:
        if plan.split is not None:
            requests.append(_collection_entry(plan, business_date, actor))
            paying.append(plan)
    outcomes = post_batch(session, requests) if requests else []
    posted = {
        plan.loan_id: result.entry.id
        for plan, result in zip(paying, outcomes, strict=True)
        if result.outcome is Outcome.POSTED and result.entry is not None
    }
    done = [plan for plan in paying if plan.loan_id in posted]
    _record(session, done, posted, business_date, actor)
    apply_payments(
        session,
        payments=[(p.loan_id, p.take.minor_units) for p in done],
        business_date=business_date,
    )
    settled = list(
        session.scalars(SETTLE_CLEARED, {"loans": [p.loan_id for p in done], "d": business_date})
    )
    close_rows(session, loan_ids=settled, business_date=business_date)
    nsf = _charge_failed_payments(session, plans, posted, business_date, actor, fee_income_id)
    for plan in plans:
        tally["due"] += 1
        taken = plan.take if plan.loan_id in posted else Money.zero(plan.currency)
        collected[plan.currency] += taken.minor_units
        tally["full" if taken and taken == plan.due else "part" if taken else "none"] += 1
    tally["settled"] += len(settled)
    tally["nsf"] += nsf


def _collection_entry(plan: _Plan, business_date: dt.date, actor: str) -> EntryRequest:
    assert plan.split is not None
    row = plan.row
    lines = [Line.debit(plan.share_account_id, plan.take)]
    for part, account in (
        (plan.split.fees, row.fees_account_id),
        (plan.split.interest, row.interest_account_id),
        (plan.split.principal, row.principal_account_id),
    ):
        if part:
            lines.append(Line.credit(int(account), part))
    return EntryRequest(
        idempotency_key=f"cob:{business_date}:loan-collect:{plan.loan_id}",
        business_date=business_date,
        lines=tuple(lines),
        description=f"Loan {plan.loan_id} instalment collected from shares",
        posted_by=actor,
        kind="loan.collection",
        reference=f"loan:{plan.loan_id}",
    )


def _record(
    session: Session,
    done: list[_Plan],
    posted: dict[int, Any],
    business_date: dt.date,
    actor: str,
) -> None:
    if not done:
        return
    splits = [p.split for p in done if p.split is not None]
    assert len(splits) == len(done)
    # One statement for the chunk: the rows' minor units (their currency is their loan's).
    session.execute(
        _RECORD,
        {
            "kind": "collection",
            "source": "shares",
            "d": business_date,
            "actor": actor,
            "loans": [p.loan_id for p in done],
            "amounts": [p.take.minor_units for p in done],
            "fees": [s.fees.minor_units for s in splits],
            "interest": [s.interest.minor_units for s in splits],
            "principal": [s.principal.minor_units for s in splits],
            "accounts": [p.share_account_id for p in done],
            "entries": [posted[p.loan_id] for p in done],
            "keys": [f"loan:{p.loan_id}:collect:{business_date}" for p in done],
        },
    )


def _charge_failed_payments(
    session: Session,
    plans: list[_Plan],
    posted: dict[int, Any],
    business_date: dt.date,
    actor: str,
    fee_income_id: int,
) -> int:
    charges: list[tuple[_Plan, Money]] = []
    for plan in plans:
        row = plan.row
        taken = plan.take if plan.loan_id in posted else Money.zero(plan.currency)
        if (
            taken < plan.due
            and row.today_number is not None
            and not row.nsf_charged
            and row.nsf_fee_minor is not None
            and nsf_fee_allowed(row.rule_set)
        ):
            charges.append((plan, Money.from_minor(int(row.nsf_fee_minor), plan.currency)))
    if not charges:
        return 0
    requests = [
        EntryRequest(
            idempotency_key=f"loan:{plan.loan_id}:nsf-fee:{plan.row.today_number}",
            business_date=business_date,
            lines=(
                Line.debit(int(plan.row.fees_account_id), fee),
                Line.credit(fee_income_id, fee),
            ),
            description=f"Loan {plan.loan_id} failed payment fee",
            posted_by=actor,
            kind="loan.fee",
            reference=f"loan:{plan.loan_id}",
        )
        for plan, fee in charges
    ]
    results = post_batch(session, requests)
    charged = [
        (plan, fee, result.entry.id)
        for (plan, fee), result in zip(charges, results, strict=True)
        if result.outcome is Outcome.POSTED and result.entry is not None
    ]
    if charged:
        fees_minor = [fee.minor_units for _, fee, _ in charged]
        session.execute(
            _RECORD,
            {
                "kind": "nsf_fee",
                "source": None,
                "d": business_date,
                "actor": actor,
                "loans": [plan.loan_id for plan, _, _ in charged],
                "amounts": fees_minor,
                "fees": fees_minor,
                "interest": [0 for _ in charged],
                "principal": [0 for _ in charged],
                "accounts": [None for _ in charged],
                "entries": [entry for _, _, entry in charged],
                "keys": [
                    f"loan:{plan.loan_id}:nsf-fee:{plan.row.today_number}" for plan, _, _ in charged
                ],
            },
        )
        session.execute(
            _NSF_MARK,
            {
                "loans": [plan.loan_id for plan, _, _ in charged],
                "numbers": [int(plan.row.today_number) for plan, _, _ in charged],
                "fees": fees_minor,
            },
        )
    return len(charged)
