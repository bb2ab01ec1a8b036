"""Close of business, loans step 1: accrue one business date's interest on every active loan.

Set-based. For each chunk of loans accrued through the day before:

1. one statement locks the chunk's accrual rows and returns each loan's accrual class
   (rate, basis, day count and the period in progress);
2. the day's factor of each class (a few hundred at most, however many loans) is computed
   once by the pure `loans.accrual.day_factor`;
3. one statement, given (loan, factor) pairs, adds `principal x factor` to every loan's
   exact carry in NUMERIC, rounds as the contract says (truncated, or with the product's
   mode on a period's last day), moves finished periods on, and returns the whole minor
   units to post;
4. those post through `ledger.batch.post_batch`, by default one entry per loan:
   Dr the loan's interest receivable, Cr loan interest income, keyed
   `cob:{date}:loan-accrual:{loan id}` (or up to 199 loans an entry: `loans_per_entry`).

A loan already accrued through the date is not touched again, so a rerun posts nothing.
A loan left behind by more than a day (a date never closed) is caught up alone first.
Nothing here commits: the caller can run it whole, or `limit` loans at a time and commit
between calls, and a rerun after a crash continues where the last commit left off.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from ledger.actors import COB_ACTOR
from ledger.batch import BATCH_ENTRIES_MAX, Outcome, post_batch
from ledger.entry import LINES_MAX, EntryRequest, Line
from ledger.money import Money
from ledger.ownership import STAFF
from ledger.transaction import require_transaction
from loans.accrual import AccrualPeriod, day_factor
from loans.daycount import DayCount
from loans.errors import LoansConflict, LoansRefused
from loans.rate import InterestRate, RateBasis
from loans.services.accounts import chart
from loans.services.state import catch_up, lock_loan

CHUNK_DEFAULT: Final = 5_000
CHUNK_MAX: Final = BATCH_ENTRIES_MAX
CHUNKS_MAX: Final = 10_000  # 50 million loans at the default chunk: a bound, not a target
STRAGGLERS_MAX: Final = 1_000
LOANS_PER_ENTRY_MAX: Final = LINES_MAX - 1  # one line a loan, and the credit to income

_CHUNK = text("""
SELECT a.loan_id, l.rate_basis, l.rate, l.day_count, a.period_start, a.period_end,
       a.period_whole_months, a.period_extra_days
FROM loan_accruals a
JOIN loans l ON l.id = a.loan_id
WHERE l.status = 'active' AND a.accrued_through = :prev AND a.loan_id > :after
ORDER BY a.loan_id LIMIT :n
FOR UPDATE OF a
""")

# Rounds `units / den` with the loan's mode on a period's last day, else truncates; the
# same arithmetic as loans.accrual.round_units, in exact NUMERIC.
_ACCRUE = text("""
WITH f AS (
    SELECT * FROM unnest(CAST(:loans AS bigint[]), CAST(:factors AS numeric[]))
        AS f(loan_id, factor)
), calc AS (
    SELECT a.loan_id, a.period_posted_minor AS posted, l.accrual_denominator AS den,
           l.interest_rounding AS mode, a.period_end = CAST(:d AS date) AS closing,
           a.period_units + p.balance_minor * f.factor AS units, l.frequency, l.disbursed_on,
           l.interest_account_id, l.currency
    FROM f
    JOIN loan_accruals a ON a.loan_id = f.loan_id
    JOIN loans l ON l.id = f.loan_id
    JOIN ledger_accounts p ON p.id = l.principal_account_id
    WHERE l.status = 'active' AND a.accrued_through = :prev
), split AS (
    SELECT calc.*, div(units, den) AS q, units - div(units, den) * den AS r FROM calc
), target AS (
    SELECT split.*,
           CAST(CASE
               WHEN NOT closing OR mode IN ('ROUND_DOWN', 'ROUND_FLOOR') THEN q
               WHEN mode IN ('ROUND_UP', 'ROUND_CEILING') THEN q + CAST(r > 0 AS int)
               WHEN mode = 'ROUND_HALF_UP' THEN q + CAST(2 * r >= den AS int)
               WHEN mode = 'ROUND_HALF_DOWN' THEN q + CAST(2 * r > den AS int)
               ELSE q + CAST(2 * r > den OR (2 * r = den AND mod(q, 2) = 1) AS int)
           END AS bigint) AS total,
           CASE frequency WHEN 'weekly' THEN 7 WHEN 'fortnightly' THEN 14
                WHEN 'four_weekly' THEN 28 END AS step_days
    FROM split
)
UPDATE loan_accruals a SET
    accrued_through = :d,
    period_units = CASE WHEN t.closing THEN 0 ELSE t.units END,
    period_posted_minor = CASE WHEN t.closing THEN 0 ELSE t.total END,
    period_no = a.period_no + CAST(t.closing AS int),
    period_start = CASE WHEN t.closing THEN a.period_end ELSE a.period_start END,
    period_end = CASE
        WHEN NOT t.closing THEN a.period_end
        WHEN t.step_days IS NULL
            THEN CAST(t.disbursed_on + make_interval(months => a.period_no + 1) AS date)
        ELSE t.disbursed_on + (a.period_no + 1) * t.step_days
    END,
    period_whole_months = CASE
        WHEN NOT t.closing THEN a.period_whole_months
        WHEN t.step_days IS NULL THEN 1 ELSE 0 END,
    period_extra_days = CASE
        WHEN NOT t.closing THEN a.period_extra_days
        ELSE coalesce(t.step_days, 0) END
FROM target t
WHERE a.loan_id = t.loan_id
RETURNING a.loan_id AS id, t.total - t.posted AS post, t.interest_account_id, t.currency
""")

_STRAGGLERS = text("""
SELECT a.loan_id FROM loan_accruals a JOIN loans l ON l.id = a.loan_id
WHERE l.status = 'active' AND a.accrued_through < :prev
ORDER BY a.loan_id LIMIT :n
""")


class AccrualRefused(LoansConflict):
    """The ledger refused an accrual entry (a closed date, a closed account): nothing stands."""


@dataclass(frozen=True, slots=True)
class AccrualRun:
    business_date: dt.date
    loans: int  # accrued for the date by this call
    entries: int  # journal entries posted
    posted: dict[str, int]  # minor units posted, by currency
    caught_up: int  # loans that were more than a day behind, caught up alone
    more: bool  # loans are left for another call (only when `limit` was reached)


@dataclass(frozen=True, slots=True)
class _Class:
    basis: str
    rate: Decimal
    day_count: str
    start: dt.date
    end: dt.date
    whole: int
    extra: int


def accrue_interest(
    session: Session,
    *,
    business_date: dt.date,
    limit: int | None = None,
    chunk_size: int = CHUNK_DEFAULT,
    loans_per_entry: int = 1,
    actor: str = COB_ACTOR,
) -> AccrualRun:
    """Accrue `business_date` on every active loan (or the next `limit` of them).

    `loans_per_entry` 1 posts one entry per loan (key `cob:{date}:loan-accrual:{loan id}`,
    reference `loan:{id}`); up to 199 posts each run of that many loans as one entry of
    one debit a loan and one credit to income (key `cob:{date}:loan-accrual:{first}-{last}`),
    several times faster for the ledger to write and the same postings on every account.
    """
    require_transaction(session)
    if not 1 <= chunk_size <= CHUNK_MAX:
        raise LoansRefused(f"a chunk is 1 to {CHUNK_MAX} loans")
    if not 1 <= loans_per_entry <= LOANS_PER_ENTRY_MAX:
        raise LoansRefused(f"an entry holds 1 to {LOANS_PER_ENTRY_MAX} loans")
    if limit is not None and limit < 1:
        raise LoansRefused("limit must be positive")
    books = chart(session)
    caught_up = _catch_up_stragglers(session, business_date, actor, books.interest_income)
    prev = business_date - dt.timedelta(days=1)
    after = 0
    loans = entries = 0
    posted: Counter[str] = Counter()
    for _ in range(CHUNKS_MAX):
        size = chunk_size if limit is None else min(chunk_size, limit - loans)
        if size <= 0:
            return AccrualRun(business_date, loans, entries, dict(posted), caught_up, True)
        rows = session.execute(_CHUNK, {"prev": prev, "after": after, "n": size}).all()
        if not rows:
            break
        # The factor is the same for every loan of a class (rate, basis, day count and
        # period): computed once per class by the pure function, a few hundred at most.
        factors: dict[_Class, Decimal] = {}
        loan_ids = []
        loan_factors = []
        for row in rows:
            key = _Class(
                row.rate_basis,
                row.rate,
                row.day_count,
                row.period_start,
                row.period_end,
                row.period_whole_months,
                row.period_extra_days,
            )
            if key not in factors:
                factors[key] = _factor(key, business_date)
            loan_ids.append(int(row.loan_id))
            loan_factors.append(factors[key])
        results = session.execute(
            _ACCRUE,
            {"loans": loan_ids, "factors": loan_factors, "d": business_date, "prev": prev},
        ).all()
        requests = _entries(
            [r for r in results if r.post > 0],
            business_date,
            books.interest_income,
            actor,
            loans_per_entry,
        )
        for request, result in zip(requests, post_batch(session, requests), strict=True):
            if result.outcome is Outcome.REFUSED:
                raise AccrualRefused(f"{request.idempotency_key}: {result.error}")
        entries += len(requests)
        for r in results:
            posted[r.currency] += int(r.post)
        loans += len(results)
        after = loan_ids[-1]
    else:
        raise AssertionError(f"more than {CHUNKS_MAX} chunks")
    return AccrualRun(business_date, loans, entries, dict(posted), caught_up, False)


def _catch_up_stragglers(
    session: Session, business_date: dt.date, actor: str, interest_income_id: int
) -> int:
    prev = business_date - dt.timedelta(days=1)
    ids = list(session.scalars(_STRAGGLERS, {"prev": prev, "n": STRAGGLERS_MAX}))
    for loan_id in ids:
        loan = lock_loan(session, loan_id, scope=STAFF)
        catch_up(session, loan, through=prev, actor=actor, interest_income_id=interest_income_id)
    return len(ids)


def _factor(c: _Class, day: dt.date) -> Decimal:
    rate = InterestRate(c.rate, RateBasis(c.basis))
    span = AccrualPeriod(0, c.start, c.end, c.whole, c.extra)
    return day_factor(rate, DayCount(c.day_count), span, day)


def _entries(
    rows: Sequence[Row[Any]], business_date: dt.date, income_id: int, actor: str, per_entry: int
) -> list[EntryRequest]:
    if per_entry == 1:
        return [_entry(row, business_date, income_id, actor) for row in rows]
    by_currency: dict[str, list[Row[Any]]] = {}
    for row in rows:
        by_currency.setdefault(row.currency, []).append(row)
    requests = []
    for currency, group in sorted(by_currency.items()):
        for start in range(0, len(group), per_entry):
            part = group[start : start + per_entry]
            total = Money.from_minor(sum(int(row.post) for row in part), currency)
            first, last = part[0].id, part[-1].id
            lines = tuple(
                Line.debit(int(row.interest_account_id), Money.from_minor(int(row.post), currency))
                for row in part
            )
            requests.append(
                EntryRequest(
                    idempotency_key=f"cob:{business_date}:loan-accrual:{first}-{last}",
                    business_date=business_date,
                    lines=(*lines, Line.credit(income_id, total)),
                    description=f"Interest for {business_date} on {len(part)} loans",
                    posted_by=actor,
                    kind="loan.accrual",
                    metadata={"first_loan_id": first, "last_loan_id": last, "loans": len(part)},
                )
            )
    return requests


def _entry(row: Row[Any], business_date: dt.date, income_id: int, actor: str) -> EntryRequest:
    amount = Money.from_minor(int(row.post), row.currency)
    return EntryRequest(
        idempotency_key=f"cob:{business_date}:loan-accrual:{row.id}",
        business_date=business_date,
        lines=(Line.debit(int(row.interest_account_id), amount), Line.credit(income_id, amount)),
        description=f"Loan {row.id} interest for {business_date}",
        posted_by=actor,
        kind="loan.accrual",
        reference=f"loan:{row.id}",
    )
