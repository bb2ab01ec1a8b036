"""A loan's instalment rows: writing a schedule, applying payments, re-deriving the rest.

Payments meet the instalments due on or before their date oldest first. Every instalment
but the last is paid when its amount is; the last takes whatever the loan still owes and
counts as paid only when the loan is cleared. What a member pays beyond what is due then
meets the next instalment in advance (`apply_in_advance`), so the collection on its due
date takes only what is left of it, unless the member asked for the payment to reduce
the balance. Whatever a payment leaves over after that, before the last due date, is an
overpayment: it has already reduced the principal, and the instalments still to come are
derived again from what is owed (`loans.reschedule`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, insert, text, update
from sqlalchemy.orm import Session

from ledger.money import Money
from loans.models import LoanInstalmentRow, LoanRow
from loans.reschedule import PlannedInstalment
from loans.schedule import ScheduleRow

# Statements take arrays of at most this many payments (the caller chunks).
PAYMENTS_PER_STATEMENT_MAX: Final = 20_000

_APPLY = text("""
WITH pay AS (
    SELECT * FROM unnest(CAST(:loans AS bigint[]), CAST(:amounts AS bigint[])) AS p(loan_id, amount)
), due AS (
    SELECT i.id, i.loan_id, i.number = l.last_instalment_no AS final,
           i.principal_minor + i.interest_minor + i.fees_minor - i.paid_minor AS unpaid,
           coalesce(sum(greatest(i.principal_minor + i.interest_minor + i.fees_minor
                                 - i.paid_minor, 0))
               OVER (PARTITION BY i.loan_id ORDER BY i.number
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM loan_instalments i
    JOIN pay ON pay.loan_id = i.loan_id
    JOIN loans l ON l.id = i.loan_id
    WHERE i.paid_on IS NULL AND i.due_date <= :d
), applied AS (
    SELECT due.id, due.final, due.unpaid,
           CASE WHEN due.final THEN greatest(pay.amount - due.before, 0)
                ELSE least(greatest(due.unpaid, 0), greatest(pay.amount - due.before, 0))
           END AS part
    FROM due JOIN pay USING (loan_id)
)
UPDATE loan_instalments i
SET paid_minor = i.paid_minor + a.part,
    paid_on = CASE WHEN NOT a.final AND a.part >= a.unpaid THEN CAST(:d AS date) END
FROM applied a
WHERE i.id = a.id AND a.part > 0
RETURNING i.loan_id, a.part
""")


# The next instalment not yet due: it takes what the payment has left, up to what it lacks.
_AHEAD = text("""
WITH next AS (
    SELECT i.id, i.number = l.last_instalment_no AS final,
           greatest(i.principal_minor + i.interest_minor + i.fees_minor - i.paid_minor, 0)
               AS unpaid
    FROM loan_instalments i
    JOIN loans l ON l.id = i.loan_id
    WHERE i.loan_id = :loan AND i.paid_on IS NULL AND i.due_date > :d
    ORDER BY i.due_date
    LIMIT 1
)
UPDATE loan_instalments i
SET paid_minor = i.paid_minor + least(next.unpaid, :amount),
    paid_on = CASE WHEN NOT next.final AND :amount >= next.unpaid THEN CAST(:d AS date) END
FROM next
WHERE i.id = next.id AND next.unpaid > 0
RETURNING least(next.unpaid, :amount) AS part, i.due_date, i.paid_on IS NOT NULL AS paid
""")


@dataclass(frozen=True, slots=True)
class InAdvance:
    """What a payment met of the next instalment before its due date."""

    met: Money
    due_date: dt.date
    paid: bool  # the instalment is now paid in full


def insert_rows(session: Session, *, loan_id: int, rows: Iterable[PlannedInstalment]) -> None:
    values = [
        {
            "loan_id": loan_id,
            "number": row.number,
            "due_date": row.due_date,
            "principal_minor": row.principal_minor,
            "interest_minor": row.interest_minor,
        }
        for row in rows
    ]
    if values:
        session.execute(insert(LoanInstalmentRow), values)


def insert_schedule(session: Session, *, loan_id: int, rows: Iterable[ScheduleRow]) -> None:
    """A loan's first schedule, as priced (`loans.schedule`)."""
    insert_rows(
        session,
        loan_id=loan_id,
        rows=(
            PlannedInstalment(r.number, r.due_date, r.principal.minor_units, r.interest.minor_units)
            for r in rows
        ),
    )


def apply_payments(
    session: Session, *, payments: Sequence[tuple[int, int]], business_date: dt.date
) -> dict[int, int]:
    """Meet instalments due by `business_date`; returns how much each loan's payment met.

    `payments` are (loan id, amount in minor units), one per loan.
    """
    if len(payments) > PAYMENTS_PER_STATEMENT_MAX:
        raise ValueError(f"at most {PAYMENTS_PER_STATEMENT_MAX} payments a statement")
    if not payments:
        return {}
    met: dict[int, int] = defaultdict(int)
    rows = session.execute(
        _APPLY,
        {
            "loans": [loan_id for loan_id, _ in payments],
            "amounts": [amount for _, amount in payments],
            "d": business_date,
        },
    )
    for loan_id, part in rows:
        met[int(loan_id)] += int(part)
    return dict(met)


def apply_payment(
    session: Session, *, loan: LoanRow, amount: Money, business_date: dt.date
) -> Money:
    """`apply_payments` of one payment on `loan`: what it met of the instalments due."""
    met = apply_payments(
        session, payments=[(loan.id, amount.minor_units)], business_date=business_date
    )
    return Money.from_minor(met.get(loan.id, 0), loan.currency)


def apply_in_advance(
    session: Session, *, loan: LoanRow, amount: Money, business_date: dt.date
) -> InAdvance | None:
    """Meet the next instalment due after `business_date` with up to `amount`."""
    if not amount.is_positive():
        return None
    row = session.execute(
        _AHEAD, {"loan": loan.id, "amount": amount.minor_units, "d": business_date}
    ).one_or_none()
    if row is None:
        return None
    return InAdvance(Money.from_minor(int(row.part), loan.currency), row.due_date, bool(row.paid))


def replace_future(
    session: Session, *, loan: LoanRow, after: dt.date, rows: Sequence[PlannedInstalment]
) -> None:
    """Swap the instalments due after `after` for `rows`; the term ends with the last one."""
    session.execute(
        delete(LoanInstalmentRow).where(
            LoanInstalmentRow.loan_id == loan.id,
            LoanInstalmentRow.due_date > after,
            LoanInstalmentRow.paid_on.is_(None),
        )
    )
    insert_rows(session, loan_id=loan.id, rows=rows)
    if rows:
        loan.last_instalment_no = rows[-1].number
        loan.maturity_date = rows[-1].due_date


def close_rows(session: Session, *, loan_ids: Sequence[int], business_date: dt.date) -> None:
    """A loan cleared on `business_date`: what was due is settled, what was not never falls due."""
    if not loan_ids:
        return
    session.execute(
        delete(LoanInstalmentRow).where(
            LoanInstalmentRow.loan_id.in_(loan_ids),
            LoanInstalmentRow.due_date > business_date,
            LoanInstalmentRow.paid_on.is_(None),
        )
    )
    session.execute(
        update(LoanInstalmentRow)
        .where(LoanInstalmentRow.loan_id.in_(loan_ids), LoanInstalmentRow.paid_on.is_(None))
        .values(paid_on=business_date)
    )
