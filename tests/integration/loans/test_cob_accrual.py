"""Close of business accrual: exact to the minor unit, the pure function's figures, rerun-safe."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import pytest
from sqlalchemy import Engine, func, select

from creditunion.platform.database import unit_of_work
from ledger.invariants import check_invariants
from ledger.models import JournalEntry
from ledger.ownership import STAFF
from ledger.periods import close_business_date
from loans.accrual import period, replay
from loans.daycount import DayCount
from loans.errors import LoansRefused
from loans.frequency import Frequency
from loans.rate import InterestRate
from loans.services.cob_accrual import AccrualRefused, accrue_interest
from loans.services.queries import get_loan, loan_ledger_entries
from loans.services.state import terms_of
from tests.factories_loans import (
    TODAY,
    account_minor,
    accrual_of,
    gb_product,
    loan_row,
    make_loan,
)

PRODUCTS = {
    "monthly 2%": gb_product(),
    # Half-even could round a figure at exactly 3% above the cap; 2.5% leaves room.
    "monthly 2.5% half-even": gb_product(
        rate=InterestRate.monthly(Decimal("0.025")), interest_rounding=ROUND_HALF_EVEN
    ),
    "annual 12% ACT/365": gb_product(rate=InterestRate.annual(Decimal("0.12"))),
    "annual 12% ACT/ACT": gb_product(
        rate=InterestRate.annual(Decimal("0.12")), day_count=DayCount.ACT_ACT_ISDA
    ),
    "annual 24% 30/360": gb_product(
        rate=InterestRate.annual(Decimal("0.24")), day_count=DayCount.THIRTY_360
    ),
}


def run_days(engine: Engine, first: dt.date, days: int) -> list[int]:
    counts = []
    for offset in range(days):
        with unit_of_work(engine) as s:
            counts.append(accrue_interest(s, business_date=first + dt.timedelta(days=offset)).loans)
    return counts


def test_31_days_post_the_exact_interest_to_within_a_minor_unit(fresh_engine: Engine) -> None:
    # 15 Jan -> 15 Feb is one 31-day monthly period for every loan: what posts is the
    # exact figure, P x (the period's factor), truncated or rounded as the product says.
    loans = {
        name: make_loan(fresh_engine, product=product, amount="1234.56", term=6)[0]
        for name, product in PRODUCTS.items()
    }
    assert run_days(fresh_engine, TODAY + dt.timedelta(days=1), 31) == [5] * 31
    exact = {
        "monthly 2%": Fraction(123_456 * 2, 100),  # a whole month: 2% = 2,469.12p
        "monthly 2.5% half-even": Fraction(123_456 * 25, 1000),  # 3,086.40p
        "annual 12% ACT/365": Fraction(123_456 * 12 * 31, 100 * 365),  # 1,258.26p
        "annual 12% ACT/ACT": Fraction(123_456 * 12 * 31, 100 * 365),  # 2026 is not leap
        "annual 24% 30/360": Fraction(123_456 * 24 * 30, 100 * 360),  # 30/360: 30 days
    }
    with unit_of_work(fresh_engine) as s:
        for name, loan_id in loans.items():
            posted = account_minor(s, loan_row(s, loan_id).interest_account_id)
            assert abs(exact[name] - posted) < 1, name
        assert check_invariants(s).ok
    assert {name: account_minor_of(fresh_engine, loan_id) for name, loan_id in loans.items()} == {
        "monthly 2%": 2_469,
        "monthly 2.5% half-even": 3_086,
        "annual 12% ACT/365": 1_258,
        "annual 12% ACT/ACT": 1_258,
        "annual 24% 30/360": 2_469,
    }


def account_minor_of(engine: Engine, loan_id: int) -> int:
    with unit_of_work(engine) as s:
        return account_minor(s, loan_row(s, loan_id).interest_account_id)


def test_a_rerun_for_the_same_date_posts_nothing(fresh_engine: Engine) -> None:
    make_loan(fresh_engine)
    day = TODAY + dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        first = accrue_interest(s, business_date=day)
    with unit_of_work(fresh_engine) as s:
        entries = s.scalar(select(func.count()).select_from(JournalEntry))
        again = accrue_interest(s, business_date=day)
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert (first.loans, first.entries, first.posted) == (1, 1, {"GBP": 65})
    assert (again.loans, again.entries, again.posted) == (0, 0, {})


@pytest.mark.parametrize("frequency", list(Frequency))
def test_the_set_based_figures_are_the_pure_functions(
    fresh_engine: Engine, frequency: Frequency
) -> None:
    # Over 75 days (several periods, period ends on month ends and in February) each
    # loan's posted interest is exactly what loans.accrual.replay recomputes from its
    # principal history and terms.
    on = dt.date(2026, 1, 31)
    loans = [
        make_loan(
            fresh_engine, product=product, amount="987.65", term=6, frequency=frequency, on=on
        )[0]
        for product in PRODUCTS.values()
    ]
    run_days(fresh_engine, on + dt.timedelta(days=1), 75)
    with unit_of_work(fresh_engine) as s:
        for loan_id in loans:
            row = loan_row(s, loan_id)
            history = [(row.disbursed_on, row.principal_minor)]
            expected = replay(
                terms_of(row), principal_changes=history, through=on + dt.timedelta(days=75)
            )
            assert account_minor(s, row.interest_account_id) == expected, row.rate
            # The stored period is the pure function's too.
            state = accrual_of(s, loan_id)
            current = period(terms_of(row), state.period_no)
            assert (state.period_start, state.period_end) == (current.start, current.end)
            assert (state.period_whole_months, state.period_extra_days) == (
                current.whole_months,
                current.extra_days,
            )


def test_chunks_and_limits_process_every_loan_once(fresh_engine: Engine) -> None:
    ids = [make_loan(fresh_engine, amount=str(100 + n))[0] for n in range(5)]
    day = TODAY + dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        part = accrue_interest(s, business_date=day, limit=3, chunk_size=2)
    with unit_of_work(fresh_engine) as s:
        rest = accrue_interest(s, business_date=day, chunk_size=2)
    assert (part.loans, part.more, rest.loans, rest.more) == (3, True, 2, False)
    with unit_of_work(fresh_engine) as s:
        assert {accrual_of(s, i).accrued_through for i in ids} == {day}


def test_a_loan_left_behind_is_caught_up_first(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine)
    day = TODAY + dt.timedelta(days=4)  # three business dates were never accrued
    with unit_of_work(fresh_engine) as s:
        run = accrue_interest(s, business_date=day)
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
    assert (run.caught_up, run.loans) == (1, 1)
    # Four days of 1.02 ** (12d/365) on 1,000.00: 260.82p -> 260.
    assert (loan.accrued_through, loan.interest_receivable.minor_units) == (day, 260)


def test_a_closed_date_refuses_and_nothing_stands(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine)
    day = TODAY + dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=day, closed_by="test")
    with pytest.raises(AccrualRefused), unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=day)
    with unit_of_work(fresh_engine) as s:
        assert accrual_of(s, loan_id).accrued_through == TODAY


def test_many_loans_an_entry_posts_the_same_amounts_in_fewer_entries(fresh_engine: Engine) -> None:
    ids = [make_loan(fresh_engine, amount=str(200 + 10 * n))[0] for n in range(5)]
    day = TODAY + dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        run = accrue_interest(s, business_date=day, loans_per_entry=2)
        keys = list(
            s.scalars(
                select(JournalEntry.idempotency_key)
                .where(JournalEntry.kind == "loan.accrual")
                .order_by(JournalEntry.sequence_no)
            )
        )
        received = [account_minor(s, loan_row(s, i).interest_account_id) for i in ids]
        entries = loan_ledger_entries(s, loan_id=ids[1])
        assert check_invariants(s).ok
    assert (run.loans, run.entries) == (5, 3)
    assert keys == [
        f"cob:{day}:loan-accrual:{ids[0]}-{ids[1]}",
        f"cob:{day}:loan-accrual:{ids[2]}-{ids[3]}",
        f"cob:{day}:loan-accrual:{ids[4]}-{ids[4]}",
    ]
    # A day of 1.02 ** (12/365) - 1 on 200.00, 210.00, ...: 13.03p, 13.68p, ... truncated.
    assert received == [13, 13, 14, 14, 15]
    # The loan's own view of the shared entry is its own line only.
    shared = [e for e in entries if e.kind == "loan.accrual"]
    assert [(line.role, line.amount.minor_units) for line in shared[0].lines] == [("interest", 13)]
    with unit_of_work(fresh_engine) as s, pytest.raises(LoansRefused):
        accrue_interest(s, business_date=day, loans_per_entry=200)
