"""Close of business, loans step 1: accrue one business date's interest on every active loan.

Set-based. For each chunk of loans accrued through the day before:

1. one statement locks the chunk and returns its distinct accrual classes (rate, basis,
   day count and the period in progress): a few hundred at most, however many loans;
2. the day's factor of each class is computed once by the pure `loans.accrual.day_factor`;
3. one statement applies `principal x factor` to every loan's exact carry in NUMERIC,
   rounds as the contract says (truncated, or with the product's mode on a period's last
   day), moves finished periods on, and returns the whole minor units to post;
4. those post through `ledger.batch.post_batch`, one entry per loan:
   Dr the loan's interest receivable, Cr loan interest income, keyed
   `cob:{date}:loan-accrual:{loan id}`.

A loan already accrued through the date is not touched again, so a rerun posts nothing.
A loan left behind by more than a day (a date never closed) is caught up alone first.
Nothing here commits: the caller can run it whole, or `limit` loans at a time and commit
between calls, and a rerun after a crash continues where the last commit left off.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from ledger.batch import BATCH_ENTRIES_MAX, Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.money import Money
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

_CLASSES = text("""
WITH chunk AS (
    SELECT id, rate_basis, rate, day_count, period_start, period_end, period_whole_months,
           period_extra_days
    FROM loans
    WHERE status = 'active' AND accrued_through = :prev AND id > :after
    ORDER BY id LIMIT :n
    FOR UPDATE
)
SELECT rate_basis, rate, day_count, period_start, period_end, period_whole_months,
       period_extra_days, max(id) AS last_id, count(*) AS loans
FROM chunk
GROUP BY rate_basis, rate, day_count, period_start, period_end, period_whole_months,
         period_extra_days
""")

# Rounds `units / den` with the loan's mode on a period's last day, else truncates; the
# same arithmetic as loans.accrual.round_units, in exact NUMERIC.
_ACCRUE = text("""
WITH f AS (
    SELECT * FROM unnest(CAST(:basis AS text[]), CAST(:rate AS numeric[]),
        CAST(:day_count AS text[]), CAST(:starts AS date[]), CAST(:ends AS date[]),
        CAST(:whole AS int[]), CAST(:extra AS int[]), CAST(:factor AS numeric[]))
        AS f(rate_basis, rate, day_count, period_start, period_end, whole, extra, factor)
), calc AS (
    SELECT l.id, l.period_posted_minor AS posted, l.accrual_denominator AS den,
           l.interest_rounding AS mode, l.period_end = CAST(:d AS date) AS closing,
           l.period_units + a.balance_minor * f.factor AS units
    FROM loans l
    JOIN ledger_accounts a ON a.id = l.principal_account_id
    JOIN f ON f.rate_basis = l.rate_basis AND f.rate = l.rate AND f.day_count = l.day_count
          AND f.period_start = l.period_start AND f.period_end = l.period_end
          AND f.whole = l.period_whole_months AND f.extra = l.period_extra_days
    WHERE l.status = 'active' AND l.accrued_through = :prev AND l.id > :after AND l.id <= :upto
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
           END AS bigint) AS total
    FROM split
)
UPDATE loans l SET
    accrued_through = :d,
    period_units = CASE WHEN t.closing THEN 0 ELSE t.units END,
    period_posted_minor = CASE WHEN t.closing THEN 0 ELSE t.total END,
    period_no = l.period_no + CAST(t.closing AS int),
    period_start = CASE WHEN t.closing THEN l.period_end ELSE l.period_start END,
    period_end = CASE
        WHEN NOT t.closing THEN l.period_end
        WHEN l.frequency = 'monthly'
            THEN CAST(l.disbursed_on + make_interval(months => l.period_no + 1) AS date)
        ELSE l.disbursed_on + (l.period_no + 1) * (CASE l.frequency
            WHEN 'weekly' THEN 7 WHEN 'fortnightly' THEN 14 ELSE 28 END)
    END,
    period_whole_months = CASE
        WHEN NOT t.closing THEN l.period_whole_months
        WHEN l.frequency = 'monthly' THEN 1 ELSE 0 END,
    period_extra_days = CASE
        WHEN NOT t.closing THEN l.period_extra_days
        WHEN l.frequency = 'monthly' THEN 0
        ELSE CASE l.frequency WHEN 'weekly' THEN 7 WHEN 'fortnightly' THEN 14 ELSE 28 END
    END
FROM target t
WHERE l.id = t.id
RETURNING l.id, t.total - t.posted AS post, l.interest_account_id, l.currency
""")

_STRAGGLERS = text("""
SELECT id FROM loans
WHERE status = 'active' AND accrued_through < :prev
ORDER BY id LIMIT :n
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
    actor: str = "cob",
) -> AccrualRun:
    """Accrue `business_date` on every active loan (or the next `limit` of them)."""
    require_transaction(session)
    if not 1 <= chunk_size <= CHUNK_MAX:
        raise LoansRefused(f"a chunk is 1 to {CHUNK_MAX} loans")
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
        rows = session.execute(_CLASSES, {"prev": prev, "after": after, "n": size}).all()
        if not rows:
            break
        upto = max(int(row.last_id) for row in rows)
        classes = [
            _Class(
                row.rate_basis,
                row.rate,
                row.day_count,
                row.period_start,
                row.period_end,
                row.period_whole_months,
                row.period_extra_days,
            )
            for row in rows
        ]
        results = session.execute(
            _ACCRUE, _accrue_params(classes, business_date, prev, after, upto)
        ).all()
        requests = [
            _entry(r, business_date, books.interest_income, actor) for r in results if r.post > 0
        ]
        for request, result in zip(requests, post_batch(session, requests), strict=True):
            if result.outcome is Outcome.REFUSED:
                raise AccrualRefused(f"{request.idempotency_key}: {result.error}")
        entries += len(requests)
        for r in results:
            posted[r.currency] += int(r.post)
        loans += len(results)
        after = upto
    else:
        raise AssertionError(f"more than {CHUNKS_MAX} chunks")
    return AccrualRun(business_date, loans, entries, dict(posted), caught_up, False)


def _catch_up_stragglers(
    session: Session, business_date: dt.date, actor: str, interest_income_id: int
) -> int:
    prev = business_date - dt.timedelta(days=1)
    ids = list(session.scalars(_STRAGGLERS, {"prev": prev, "n": STRAGGLERS_MAX}))
    for loan_id in ids:
        loan = lock_loan(session, loan_id)
        catch_up(session, loan, through=prev, actor=actor, interest_income_id=interest_income_id)
    return len(ids)


def _factor(c: _Class, day: dt.date) -> Decimal:
    rate = InterestRate(c.rate, RateBasis(c.basis))
    span = AccrualPeriod(0, c.start, c.end, c.whole, c.extra)
    return day_factor(rate, DayCount(c.day_count), span, day)


def _accrue_params(
    classes: list[_Class], business_date: dt.date, prev: dt.date, after: int, upto: int
) -> dict[str, object]:
    return {
        "basis": [c.basis for c in classes],
        "rate": [c.rate for c in classes],
        "day_count": [c.day_count for c in classes],
        "starts": [c.start for c in classes],
        "ends": [c.end for c in classes],
        "whole": [c.whole for c in classes],
        "extra": [c.extra for c in classes],
        "factor": [_factor(c, business_date) for c in classes],
        "d": business_date,
        "prev": prev,
        "after": after,
        "upto": upto,
    }


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
