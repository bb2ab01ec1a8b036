"""Level-instalment schedules: exact rows, totals, settlement figures, refusals.

Each expected figure is worked by hand in the comment beside it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal

import pytest

from ledger.money import Money
from loans.daycount import DayCount
from loans.frequency import Frequency
from loans.rate import InterestRate, RateError
from loans.schedule import (
    Schedule,
    ScheduleError,
    build_schedule,
    settlement_figure,
    total_interest,
    total_payable,
)


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def rows(schedule: Schedule) -> list[tuple[object, ...]]:
    return [
        (
            row.number,
            row.due_date,
            str(row.opening_balance.amount),
            str(row.interest.amount),
            str(row.principal.amount),
            str(row.instalment.amount),
            str(row.closing_balance.amount),
        )
        for row in schedule.rows
    ]


@pytest.fixture
def two_percent() -> Schedule:
    # 300.00 at 2% a month, 3 monthly instalments.
    # A = 300 x 1.02^3 / (1 + 1.02 + 1.0404) = 104.0264.. -> 104.03 (half-even).
    return build_schedule(
        principal=gbp("300.00"),
        rate=InterestRate.monthly(Decimal("0.02")),
        instalments=3,
        frequency=Frequency.MONTHLY,
        disbursement_date=date(2025, 1, 10),
    )


def test_monthly_rate_schedule_rows(two_percent: Schedule) -> None:
    assert rows(two_percent) == [
        # 300.00 x 0.02 = 6.00
        (1, date(2025, 2, 10), "300.00", "6.00", "98.03", "104.03", "201.97"),
        # 201.97 x 0.02 = 4.0394 -> 4.04
        (2, date(2025, 3, 10), "201.97", "4.04", "99.99", "104.03", "101.98"),
        # 101.98 x 0.02 = 2.0396 -> 2.04; the last instalment clears 101.98 exactly
        (3, date(2025, 4, 10), "101.98", "2.04", "101.98", "104.02", "0.00"),
    ]
    assert total_interest(two_percent) == gbp("12.08")
    assert total_payable(two_percent) == gbp("312.08")
    assert two_percent.instalment == gbp("104.03")
    assert two_percent.final_instalment == gbp("104.02")
    assert two_percent.duration_months == Decimal(3)


def test_annual_rate_actual_365_schedule_rows() -> None:
    schedule = build_schedule(
        principal=Money("1000.00", "USD"),
        rate=InterestRate.annual(Decimal("0.12")),
        instalments=3,
        frequency=Frequency.MONTHLY,
        disbursement_date=date(2025, 1, 15),
    )
    assert rows(schedule) == [
        # 1000 x 0.12 x 31/365 = 10.1918
        (1, date(2025, 2, 15), "1000.00", "10.19", "329.74", "339.93", "670.26"),
        # 670.26 x 0.12 x 28/365 = 6.1701
        (2, date(2025, 3, 15), "670.26", "6.17", "333.76", "339.93", "336.50"),
        # 336.50 x 0.12 x 31/365 = 3.4295
        (3, date(2025, 4, 15), "336.50", "3.43", "336.50", "339.93", "0.00"),
    ]


def test_weekly_schedule_on_a_monthly_rate_rounds_interest_down() -> None:
    # A week is 7 x 12/365 months: 500 x (1.03 ** (84/365) - 1) = 3.4129 -> 3.41 (down).
    schedule = build_schedule(
        principal=gbp("500.00"),
        rate=InterestRate.monthly(Decimal("0.03")),
        instalments=4,
        frequency=Frequency.WEEKLY,
        disbursement_date=date(2025, 1, 6),
        interest_rounding=ROUND_DOWN,
    )
    assert rows(schedule) == [
        (1, date(2025, 1, 13), "500.00", "3.41", "123.73", "127.14", "376.27"),
        (2, date(2025, 1, 20), "376.27", "2.56", "124.58", "127.14", "251.69"),
        (3, date(2025, 1, 27), "251.69", "1.71", "125.43", "127.14", "126.26"),
        (4, date(2025, 2, 3), "126.26", "0.86", "126.26", "127.12", "0.00"),
    ]


def test_long_first_period_on_a_monthly_rate() -> None:
    # 10 Jan -> 25 Feb is 1 month + 15 days: 0.02 + (1.02 ** (15 x 12/365) - 1) = 0.0298135,
    # x 300 = 8.944 -> 8.94. Later due dates are anchored on 25 Feb.
    schedule = build_schedule(
        principal=gbp("300.00"),
        rate=InterestRate.monthly(Decimal("0.02")),
        instalments=3,
        frequency=Frequency.MONTHLY,
        disbursement_date=date(2025, 1, 10),
        first_due_date=date(2025, 2, 25),
    )
    assert rows(schedule)[0] == (
        1,
        date(2025, 2, 25),
        "300.00",
        "8.94",
        "96.09",
        "105.03",
        "203.91",
    )
    assert [row.due_date for row in schedule.rows][1:] == [date(2025, 3, 25), date(2025, 4, 25)]


def test_month_end_disbursement_runs_on_month_ends() -> None:
    schedule = build_schedule(
        principal=gbp("1000.00"),
        rate=InterestRate.monthly(Decimal("0.03")),
        instalments=4,
        frequency=Frequency.MONTHLY,
        disbursement_date=date(2025, 1, 31),
    )
    assert [row.due_date for row in schedule.rows] == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]
    # Each is a whole month: every period accrues exactly 3% of its opening balance.
    assert [str(row.interest.amount) for row in schedule.rows] == [
        "30.00",
        "22.83",
        "15.44",
        "7.84",
    ]


def test_zero_decimal_currency() -> None:
    schedule = build_schedule(
        principal=Money("100000", "JPY"),
        rate=InterestRate.annual(Decimal("0.15")),
        instalments=3,
        frequency=Frequency.MONTHLY,
        disbursement_date=date(2025, 1, 15),
        day_count=DayCount.ACT_365_FIXED,
    )
    # 100000 x 0.15 x 31/365 = 1273.97 -> 1274 yen
    assert [str(row.interest.amount) for row in schedule.rows] == ["1274", "772", "430"]
    assert schedule.rows[-1].closing_balance == Money("0", "JPY")


def test_zero_rate_splits_principal_evenly() -> None:
    schedule = build_schedule(
        principal=gbp("100.00"),
        rate=InterestRate.monthly(Decimal(0)),
        instalments=3,
        frequency=Frequency.MONTHLY,
        disbursement_date=date(2025, 1, 1),
    )
    assert [str(row.instalment.amount) for row in schedule.rows] == ["33.33", "33.33", "33.34"]


def test_settlement_figure(two_percent: Schedule) -> None:
    # On disbursement day: just the principal.
    assert settlement_figure(two_percent, on=date(2025, 1, 10)) == gbp("300.00")
    # On a due date, nothing of that instalment paid: opening 201.97 + 4.04 interest.
    assert settlement_figure(two_percent, on=date(2025, 3, 10)) == gbp("206.01")
    # 15 days into the second period (from 10 Feb): 201.97 x (1.02 ** (15 x 12/365) - 1)
    # = 201.97 x 0.0098135 = 1.982 -> 1.98 (half-even).
    assert settlement_figure(two_percent, on=date(2025, 2, 25)) == gbp("203.95")
    # After the last due date everything was paid.
    assert settlement_figure(two_percent, on=date(2025, 5, 1)) == gbp("0.00")
    with pytest.raises(ScheduleError):
        settlement_figure(two_percent, on=date(2025, 1, 9))


def test_settlement_on_an_annual_rate_accrues_days_only() -> None:
    schedule = build_schedule(
        principal=Money("1000.00", "USD"),
        rate=InterestRate.annual(Decimal("0.12")),
        instalments=3,
        frequency=Frequency.MONTHLY,
        disbursement_date=date(2025, 1, 15),
    )
    # 10 days: 1000 x 0.12 x 10/365 = 3.2877 -> 3.29
    assert settlement_figure(schedule, on=date(2025, 1, 25)) == Money("1003.29", "USD")


@pytest.mark.parametrize(
    ("principal", "first_due", "count", "error"),
    [
        (gbp("0.00"), None, 3, ScheduleError),
        (gbp("100.00"), date(2025, 1, 1), 3, ScheduleError),
        (gbp("100.00"), None, 0, ValueError),
    ],
)
def test_schedule_refusals(
    principal: Money, first_due: date | None, count: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        build_schedule(
            principal=principal,
            rate=InterestRate.monthly(Decimal("0.01")),
            instalments=count,
            frequency=Frequency.MONTHLY,
            disbursement_date=date(2025, 1, 1),
            first_due_date=first_due,
        )


def test_rates_refuse_floats_negatives_and_percentages() -> None:
    with pytest.raises(RateError):
        InterestRate.annual(0.1)  # type: ignore[arg-type]
    with pytest.raises(RateError):
        InterestRate.monthly(Decimal("-0.01"))
    with pytest.raises(RateError):
        InterestRate.annual(Decimal("268"))
