"""Close of business, loans step 3: late fees, days past due, buckets, write-off candidates.

Derived from the schedule and what has been paid, never from a counter:

* days past due = the business date less the oldest due date still unpaid (an instalment
  due today is due, not past due); 0 when nothing is;
* arrears = the unpaid amounts of instalments already past due (from the last due date
  on: everything the loan owes);
* buckets: current (0), 1-30, 31-60, 61-90 and 90+ days; `aged_on` is the date the
  figures last changed;
* a late fee, where the product has one and its rule set allows it, is charged once per
  instalment (flag on the instalment, key `loan:{id}:late-fee:{number}`) when that
  instalment is more than the grace days past due.

Each run also records every active loan's figures for the date in `loan_arrears_history`,
so they can be reported as at a past date.

Only loans whose figures change are written, so an ordinary day rewrites little.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from ledger.actors import COB_ACTOR
from ledger.batch import BATCH_ENTRIES_MAX, Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.transaction import require_transaction
from loans.errors import LoansConflict, LoansRefused
from loans.registry import RULE_SETS, late_fee_allowed
from loans.services.accounts import chart

BUCKETS: Final = ("current", "1-30", "31-60", "61-90", "90+")
PAGE_MAX: Final = 500
FEE_BATCHES_MAX: Final = 1_000

_BUCKET_SQL = """
CASE WHEN {d} = 0 THEN 'current' WHEN {d} <= 30 THEN '1-30' WHEN {d} <= 60 THEN '31-60'
     WHEN {d} <= 90 THEN '61-90' ELSE '90+' END
"""

_AGE = text(f"""
WITH past AS (
    SELECT i.loan_id, min(i.due_date) AS oldest,
           sum(greatest(i.principal_minor + i.interest_minor + i.fees_minor - i.paid_minor, 0))
               AS unpaid
    FROM loan_instalments i
    WHERE i.paid_on IS NULL AND i.due_date < :d
    GROUP BY i.loan_id
), figures AS (
    SELECT l.id,
           coalesce(CAST(:d AS date) - past.oldest, 0) AS dpd,
           CASE WHEN CAST(:d AS date) > l.maturity_date
                THEN p.balance_minor + i.balance_minor + f.balance_minor
                ELSE least(coalesce(past.unpaid, 0),
                           p.balance_minor + i.balance_minor + f.balance_minor)
           END AS arrears
    FROM loans l
    LEFT JOIN past ON past.loan_id = l.id
    JOIN ledger_accounts p ON p.id = l.principal_account_id
    JOIN ledger_accounts i ON i.id = l.interest_account_id
    JOIN ledger_accounts f ON f.id = l.fees_account_id
    WHERE l.status = 'active' AND (CAST(:loan AS bigint) IS NULL OR l.id = :loan)
)
UPDATE loans l
SET days_past_due = figures.dpd, arrears_minor = figures.arrears,
    arrears_bucket = {_BUCKET_SQL.format(d="figures.dpd")}, aged_on = :d
FROM figures
WHERE l.id = figures.id
  AND (l.days_past_due, l.arrears_minor) IS DISTINCT FROM (figures.dpd, figures.arrears)
RETURNING l.id
""")

# Every active loan's figures as they stand after `_AGE`, kept for the loan book as at a
# past date (`loans.history_models`); a rerun of the day writes the same row again.
_RECORD = text("""
INSERT INTO loan_arrears_history
    (business_date, loan_id, days_past_due, arrears_minor, arrears_bucket)
SELECT :d, id, days_past_due, arrears_minor, arrears_bucket FROM loans WHERE status = 'active'
ON CONFLICT (business_date, loan_id) DO UPDATE
    SET days_past_due = excluded.days_past_due, arrears_minor = excluded.arrears_minor,
        arrears_bucket = excluded.arrears_bucket
""")

_COUNTS = text("""
SELECT arrears_bucket, count(*) FROM loans WHERE status = 'active' GROUP BY arrears_bucket
""")

_LATE = text("""
SELECT i.loan_id, i.number, l.late_fee_minor, l.currency, l.fees_account_id
FROM loan_instalments i
JOIN loans l ON l.id = i.loan_id
WHERE i.paid_on IS NULL AND i.due_date < :cutoff AND NOT i.late_fee_charged
  AND l.status = 'active' AND l.late_fee_minor IS NOT NULL AND l.withdrawal_notice_on IS NULL
  AND l.rule_set = ANY(CAST(:allowed AS text[]))
  AND (CAST(:loan AS bigint) IS NULL OR l.id = :loan)
ORDER BY i.loan_id, i.number
LIMIT :n
FOR UPDATE OF i
""")

_LATE_MARK = text("""
UPDATE loan_instalments i SET late_fee_charged = true, fees_minor = i.fees_minor + r.fee
FROM unnest(CAST(:loans AS bigint[]), CAST(:numbers AS int[]), CAST(:fees AS bigint[]))
    AS r(loan_id, number, fee)
WHERE i.loan_id = r.loan_id AND i.number = r.number
""")

_LATE_RECORD = text("""
INSERT INTO loan_transactions (loan_id, kind, business_date, amount_minor, fees_minor,
    journal_entry_id, idempotency_key, actor, note)
SELECT loan_id, 'late_fee', :d, fee, fee, entry, key, :actor, 'instalment ' || number
FROM unnest(CAST(:loans AS bigint[]), CAST(:numbers AS int[]), CAST(:fees AS bigint[]),
    CAST(:entries AS uuid[]), CAST(:keys AS text[])) AS r(loan_id, number, fee, entry, key)
""")

_CANDIDATES = text("""
SELECT l.id, l.member_id, l.currency, l.days_past_due, l.arrears_minor,
       p.balance_minor + i.balance_minor + f.balance_minor AS outstanding
FROM loans l
JOIN ledger_accounts p ON p.id = l.principal_account_id
JOIN ledger_accounts i ON i.id = l.interest_account_id
JOIN ledger_accounts f ON f.id = l.fees_account_id
WHERE l.status = 'active' AND l.days_past_due >= :days AND l.id > :after
ORDER BY l.id LIMIT :n
""")

_CANDIDATE_COUNT = text("""
SELECT count(*) FROM loans WHERE status = 'active' AND days_past_due >= :days
""")


class FeeRefused(LoansConflict):
    """The ledger refused a late fee (a closed date or account): nothing of the run stands."""


@dataclass(frozen=True, slots=True)
class ArrearsRun:
    business_date: dt.date
    changed: int  # loans whose days past due or arrears changed
    buckets: dict[str, int]  # active loans by bucket after the run
    late_fees: int
    late_fees_charged: dict[str, int]  # minor units by currency
    write_off_candidates: int  # loans at or past the write-off threshold


@dataclass(frozen=True, slots=True)
class WriteOffCandidate:
    loan_id: int
    member_id: int
    days_past_due: int
    arrears: Money
    outstanding: Money


def bucket(days_past_due: int) -> str:
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    if days_past_due == 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    return "61-90" if days_past_due <= 90 else "90+"


def age_arrears(
    session: Session,
    *,
    business_date: dt.date,
    write_off_after_days: int,
    late_fee_grace_days: int = 0,
    actor: str = COB_ACTOR,
) -> ArrearsRun:
    """Charge late fees that fall due, recompute every active loan's arrears, count the
    loans a manager should consider writing off (see `write_off_candidates`)."""
    require_transaction(session)
    if write_off_after_days < 1 or not 0 <= late_fee_grace_days <= 365:
        raise LoansRefused("write-off after >= 1 day; late-fee grace 0 to 365 days")
    fees, charged = charge_late_fees(
        session, business_date=business_date, grace_days=late_fee_grace_days, actor=actor
    )
    changed = len(session.execute(_AGE, {"d": business_date, "loan": None}).all())
    session.execute(_RECORD, {"d": business_date})
    counts = dict.fromkeys(BUCKETS, 0) | {
        str(name): int(count) for name, count in session.execute(_COUNTS)
    }
    candidates = int(session.scalar(_CANDIDATE_COUNT, {"days": write_off_after_days}) or 0)
    return ArrearsRun(business_date, changed, counts, fees, charged, candidates)


def age_loan(session: Session, *, loan_id: int, business_date: dt.date) -> None:
    """Recompute one loan's arrears as of `business_date` (before a write-off, say)."""
    session.execute(_AGE, {"d": business_date, "loan": loan_id}).all()


def charge_late_fees(
    session: Session,
    *,
    business_date: dt.date,
    grace_days: int = 0,
    actor: str = COB_ACTOR,
    loan_id: int | None = None,
) -> tuple[int, dict[str, int]]:
    """Charge each late fee now due; returns (count, minor units by currency)."""
    books = chart(session)
    allowed = [code for code in RULE_SETS if late_fee_allowed(code)]
    cutoff = business_date - dt.timedelta(days=grace_days)
    count = 0
    totals: dict[str, int] = {}
    for _ in range(FEE_BATCHES_MAX):
        rows = session.execute(
            _LATE,
            {"cutoff": cutoff, "allowed": allowed, "loan": loan_id, "n": BATCH_ENTRIES_MAX},
        ).all()
        if not rows:
            return count, totals
        requests = [_late_fee_entry(row, business_date, actor, books.fee_income) for row in rows]
        results = post_batch(session, requests)
        done = [
            (row, result.entry.id)
            for row, result in zip(rows, results, strict=True)
            if result.outcome is not Outcome.REFUSED and result.entry is not None
        ]
        if len(done) < len(rows):
            refused = next(r for r in results if r.outcome is Outcome.REFUSED)
            raise FeeRefused(f"the ledger refused a late fee: {refused.error}")
        params = {
            "loans": [int(row.loan_id) for row, _ in done],
            "numbers": [int(row.number) for row, _ in done],
            "fees": [int(row.late_fee_minor) for row, _ in done],
        }
        session.execute(_LATE_MARK, params)
        session.execute(
            _LATE_RECORD,
            params
            | {
                "entries": [entry for _, entry in done],
                "keys": [f"loan:{row.loan_id}:late-fee:{row.number}" for row, _ in done],
                "d": business_date,
                "actor": actor,
            },
        )
        for row, _ in done:
            totals[row.currency] = totals.get(row.currency, 0) + int(row.late_fee_minor)
        count += len(done)
    raise AssertionError(f"more than {FEE_BATCHES_MAX} batches of late fees")


def _late_fee_entry(
    row: Row[Any], business_date: dt.date, actor: str, fee_income_id: int
) -> EntryRequest:
    fee = Money.from_minor(int(row.late_fee_minor), row.currency)
    return EntryRequest(
        idempotency_key=f"loan:{row.loan_id}:late-fee:{row.number}",
        business_date=business_date,
        lines=(Line.debit(int(row.fees_account_id), fee), Line.credit(fee_income_id, fee)),
        description=f"Loan {row.loan_id} late fee on instalment {row.number}",
        posted_by=actor,
        kind="loan.fee",
        reference=f"loan:{row.loan_id}",
    )


def write_off_candidates(
    session: Session, *, min_days_past_due: int, after_id: int = 0, limit: int = 100
) -> list[WriteOffCandidate]:
    """Active loans at least `min_days_past_due` past due, as last aged, in id order."""
    if not 1 <= limit <= PAGE_MAX or min_days_past_due < 1:
        raise LoansRefused(f"a page holds 1 to {PAGE_MAX} loans; days past due >= 1")
    rows = session.execute(
        _CANDIDATES, {"days": min_days_past_due, "after": after_id, "n": limit}
    ).all()
    return [
        WriteOffCandidate(
            loan_id=int(row.id),
            member_id=int(row.member_id),
            days_past_due=int(row.days_past_due),
            arrears=Money.from_minor(int(row.arrears_minor), row.currency),
            outstanding=Money.from_minor(int(row.outstanding), row.currency),
        )
        for row in rows
    ]
