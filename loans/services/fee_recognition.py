"""Deferred loan fees: the schedule of their recognition, and close of business earning them.

At disbursement the fees go to deferred loan fee income (a liability), not to income, and
`defer_fees` stores one row per schedule period with the part of the fees that period
earns at the loan's effective interest rate (`loans.effective_interest`).

Close of business, each business date D, one statement over `loan_fee_recognition`:

* a period whose due date is D or earlier is earned (`recognised_on` = D), unless the loan
  is on non-accrual: like its interest, its fees stop being earned (the yield is not being
  collected), and the periods that fell due meanwhile are earned when it is current again,
  or released by the write-off;
* a loan settled early earns the rest on D: nothing is left to earn it over;
* a loan whose member withdrew (the fees were refunded at the notice, debiting the deferred
  account in full) cancels its rows (`cancelled_on` = D) and gives back what it had earned.

The net posts as one entry per currency keyed `cob:{date}:loan-fee-recognition:{currency}`:
Dr deferred loan fee income, Cr fee income (the other way round if more was given back).
A row is earned or cancelled once, so a rerun posts nothing. A write-off releases the
unearned rest against the loss (`release_deferred_fees`, from loans.services.writeoff).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.actors import COB_ACTOR
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.posting import post_entry
from ledger.transaction import require_transaction
from loans.effective_interest import Instalment, fee_recognition_minor
from loans.models import LoanRow
from loans.schedule import Schedule
from loans.services.accounts import chart

_INSERT = text("""
INSERT INTO loan_fee_recognition (loan_id, number, due_date, amount_minor)
SELECT :loan, number, due_date, amount
FROM unnest(CAST(:numbers AS int[]), CAST(:dates AS date[]), CAST(:amounts AS bigint[]))
    AS r(number, due_date, amount)
""")

_RELEASE = text("""
UPDATE loan_fee_recognition SET recognised_on = :d
WHERE loan_id = :loan AND recognised_on IS NULL AND cancelled_on IS NULL
RETURNING amount_minor
""")

_CANCEL = text("""
WITH cancelled AS (
    UPDATE loan_fee_recognition r SET cancelled_on = :d
    FROM loans l
    WHERE l.id = r.loan_id AND l.withdrawal_notice_on IS NOT NULL AND r.cancelled_on IS NULL
    RETURNING l.currency, r.loan_id, r.recognised_on, r.amount_minor
)
SELECT currency, count(DISTINCT loan_id) AS loans,
       coalesce(sum(amount_minor) FILTER (WHERE recognised_on IS NOT NULL), 0) AS given_back
FROM cancelled GROUP BY currency
""")

_EARN = text("""
WITH earned AS (
    UPDATE loan_fee_recognition r SET recognised_on = :d
    FROM loans l
    WHERE l.id = r.loan_id AND r.recognised_on IS NULL AND r.cancelled_on IS NULL
      AND l.withdrawal_notice_on IS NULL
      AND (l.status = 'settled' OR (r.due_date <= :d AND l.non_accrual_since IS NULL))
    RETURNING l.currency, r.loan_id, r.amount_minor
)
SELECT currency, count(DISTINCT loan_id) AS loans, sum(amount_minor) AS earned
FROM earned GROUP BY currency
""")


@dataclass(frozen=True, slots=True)
class FeeRecognitionRun:
    business_date: dt.date
    loans: int  # loans that earned fees or gave them back
    earned: dict[str, int] = field(default_factory=dict)  # minor units by currency
    given_back: dict[str, int] = field(default_factory=dict)
    entry_ids: tuple[uuid.UUID, ...] = ()


def defer_fees(session: Session, *, loan_id: int, fees: Money, schedule: Schedule) -> None:
    """Store when the loan's `fees` are earned over its first `schedule`."""
    # Earned in minor units (loans.effective_interest): each period's part, stored as is.
    amounts = fee_recognition_minor(
        schedule.principal.minor_units,
        fees.minor_units,
        [Instalment(r.principal.minor_units, r.interest.minor_units) for r in schedule.rows],
    )
    if fees:
        session.execute(
            _INSERT,
            {
                "loan": loan_id,
                "numbers": [r.number for r in schedule.rows],
                "dates": [r.due_date for r in schedule.rows],
                "amounts": amounts,
            },
        )


def release_deferred_fees(session: Session, *, loan: LoanRow, business_date: dt.date) -> Money:
    """Mark the loan's unearned fees released on `business_date`; returns how much."""
    released = session.scalars(_RELEASE, {"loan": loan.id, "d": business_date})
    return Money.from_minor(sum(int(amount) for amount in released), loan.currency)


def recognise_fees(
    session: Session, *, business_date: dt.date, actor: str = COB_ACTOR
) -> FeeRecognitionRun:
    """Earn the deferred fees due by `business_date` and post them to fee income."""
    require_transaction(session)
    books = chart(session)
    params = {"d": business_date}
    loans = 0
    given_back: dict[str, int] = {}
    for row in session.execute(_CANCEL, params):
        given_back[row.currency] = int(row.given_back)
        loans += int(row.loans)
    earned: dict[str, int] = {}
    for row in session.execute(_EARN, params):
        earned[row.currency] = int(row.earned)
        loans += int(row.loans)
    entries = []
    for currency in sorted(set(earned) | set(given_back)):
        net = earned.get(currency, 0) - given_back.get(currency, 0)
        if not net:
            continue
        amount = Money.from_minor(abs(net), currency)
        deferred_side, income_side = Line.debit, Line.credit
        if net < 0:
            deferred_side, income_side = Line.credit, Line.debit
        entries.append(
            post_entry(
                session,
                EntryRequest(
                    idempotency_key=f"cob:{business_date}:loan-fee-recognition:{currency}",
                    business_date=business_date,
                    lines=(
                        deferred_side(books.deferred_fees, amount),
                        income_side(books.fee_income, amount),
                    ),
                    description=f"Loan fees earned at {business_date}",
                    posted_by=actor,
                    kind="loan.fee_recognition",
                    metadata={
                        "earned_minor": earned.get(currency, 0),
                        "given_back_minor": given_back.get(currency, 0),
                    },
                ),
            ).id
        )
    return FeeRecognitionRun(
        business_date,
        loans,
        {c: v for c, v in earned.items() if v},
        {c: v for c, v in given_back.items() if v},
        tuple(entries),
    )
