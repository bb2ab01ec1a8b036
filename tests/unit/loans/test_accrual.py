"""Daily accrual: golden figures, the period contract, rounding, carry and replay.

Figures in minor units (pence); each is worked in the comment beside it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.money import Money
from loans.accrual import (
    MAX_CATCH_UP_DAYS,
    AccrualError,
    AccrualPeriod,
    AccrualState,
    AccrualTerms,
    accrue_day,
    accrue_through,
    closing_minor,
    cumulative_units,
    day_factor,
    opening_state,
    period,
    period_containing,
    replay,
    round_units,
)
from loans.daycount import DayCount
from loans.frequency import Frequency
from loans.rate import InterestRate
from loans.schedule import build_schedule

D0 = date(2026, 1, 15)


def terms(
    rate: InterestRate = InterestRate.monthly(Decimal("0.02")),
    *,
    day_count: DayCount = DayCount.ACT_365_FIXED,
    frequency: Frequency = Frequency.MONTHLY,
    disbursed_on: date = D0,
    rounding: str = ROUND_DOWN,
) -> AccrualTerms:
    return AccrualTerms(rate, day_count, frequency, disbursed_on, rounding)


def test_monthly_rate_golden_days() -> None:
    # 1,000.00 at 2% a month from 15 Jan. Day 1 accrues the part month
    # 1.02 ** (12/365) - 1 = 0.000651257256948719700... of 100,000p = 65.1257p: 65 posts,
    # 0.1257p is carried. Day 2: 1.02 ** (24/365) - 1 = 0.00130293864... -> 130.29p
    # cumulative, 65 more posts (130 - 65).
    t = terms()
    first = accrue_day(t, opening_state(t), principal_minor=100_000)
    assert first.day == date(2026, 1, 16)
    assert str(first.factor)[:22] == "0.00065125725694871970"
    assert first.post_minor == 65
    assert str(first.state.units)[:9] == "65.125725"
    second = accrue_day(t, first.state, principal_minor=100_000)
    assert second.post_minor == 65
    assert str(second.state.units)[:10] == "130.293864"


def test_monthly_rate_whole_month_accrues_exactly_the_rate() -> None:
    # Thirty days into the month: 1.02 ** (360/365) - 1 = 0.019723343 -> 1,972.33p, 1,972
    # posted. 15 Feb ends the period: a whole month accrues exactly 2% = 2,000p, so the
    # last day posts 28 and the next period starts from nothing.
    t = terms()
    state, posted = accrue_through(
        t, opening_state(t), principal_minor=100_000, through=date(2026, 2, 14)
    )
    assert posted == 1_972
    assert str(state.units)[:9] == "1972.3343"
    state, posted = accrue_through(t, state, principal_minor=100_000, through=date(2026, 2, 15))
    assert posted == 28
    assert state == AccrualState(
        AccrualPeriod(2, date(2026, 2, 15), date(2026, 3, 15), 1, 0),
        date(2026, 2, 15),
        Decimal(0),
        0,
    )


def test_annual_rate_act_365_golden_days() -> None:
    # 1,000.00 at 10% ACT/365: 100,000 x 0.1 = 10,000 units a day over 365, 27.3973p.
    # Days post 27, 27, 28 (82.19p after three); the 31-day period holds
    # 310,000 / 365 = 849.315p -> 849 rounded down, or 849 half-even.
    t = terms(InterestRate.annual(Decimal("0.1")))
    assert t.denominator == 365
    posts = []
    state = opening_state(t)
    for _ in range(3):
        day = accrue_day(t, state, principal_minor=100_000)
        posts.append(day.post_minor)
        state = day.state
    assert posts == [27, 27, 28]
    assert state.units == Decimal("30000.0")
    state, posted = accrue_through(
        t, opening_state(t), principal_minor=100_000, through=date(2026, 2, 15)
    )
    assert posted == 849


def test_actual_actual_across_a_year_end() -> None:
    # Fortnightly from 20 Dec 2027: 12 days in 2027 over 365 and 2 in 2028 (a leap year)
    # over 366. 100,000p x 10% x (12/365 + 2/366) = 328.767 + 54.645 = 383.41p -> 383.
    t = terms(
        InterestRate.annual(Decimal("0.1")),
        day_count=DayCount.ACT_ACT_ISDA,
        frequency=Frequency.FORTNIGHTLY,
        disbursed_on=date(2027, 12, 20),
    )
    assert t.denominator == 365 * 366
    span = period(t, 1)
    assert day_factor(t.rate, t.day_count, span, date(2027, 12, 21)) == Decimal("0.1") * 366
    assert day_factor(t.rate, t.day_count, span, date(2028, 1, 2)) == Decimal("0.1") * 365
    _, posted = accrue_through(
        t, opening_state(t), principal_minor=100_000, through=date(2028, 1, 3)
    )
    assert posted == 383


def test_thirty_360_month_end_jump() -> None:
    # 28% on 30/360, disbursed 31 Jan: period 2 runs 28 Feb -> 31 Mar (one month). In
    # 30/360 bond basis 28 Feb -> 1 Mar is 30 + 1 - 28 = 3 days: 0.28 x 3 = 0.84 units.
    t = terms(
        InterestRate.annual(Decimal("0.28")),
        day_count=DayCount.THIRTY_360,
        disbursed_on=date(2026, 1, 31),
    )
    second = period(t, 2)
    assert (second.start, second.end, second.whole_months) == (
        date(2026, 2, 28),
        date(2026, 3, 31),
        1,
    )
    assert day_factor(t.rate, t.day_count, second, date(2026, 3, 1)) == Decimal("0.84")
    # The days of the period add up to the schedule's period: 30/360 from 28 Feb to
    # 31 Mar is 33 days, 0.28 x 33 = 9.24 units a minor unit.
    assert cumulative_units(t.rate, t.day_count, second, second.end) == Decimal("9.24")


@pytest.mark.parametrize(
    ("mode", "principal", "expected"),
    [
        # 1,825p x 10% x 31/365 = 15.5p exactly; 5,475p gives 46.5p exactly.
        (ROUND_HALF_EVEN, 1_825, 16),
        (ROUND_HALF_EVEN, 5_475, 46),
        (ROUND_HALF_UP, 1_825, 16),
        (ROUND_HALF_UP, 5_475, 47),
        (ROUND_HALF_DOWN, 1_825, 15),
        (ROUND_DOWN, 1_825, 15),
        (ROUND_FLOOR, 5_475, 46),
        (ROUND_UP, 1_825, 16),
        (ROUND_CEILING, 5_475, 47),
    ],
)
def test_period_end_rounds_with_the_product_mode_like_the_schedule(
    mode: str, principal: int, expected: int
) -> None:
    t = terms(InterestRate.annual(Decimal("0.1")), rounding=mode)
    _, posted = accrue_through(
        t, opening_state(t), principal_minor=principal, through=date(2026, 2, 15)
    )
    assert posted == expected
    schedule = build_schedule(
        principal=Money.from_minor(principal, "GBP"),
        rate=t.rate,
        instalments=1,
        frequency=Frequency.MONTHLY,
        disbursement_date=D0,
        interest_rounding=mode,
    )
    assert schedule.rows[0].interest.minor_units == expected


def test_closing_mid_period_rounds_the_part_period() -> None:
    # Three days at 10% on 1,825p: 3 x 182.5 / 365 = 1.5p. Truncated so far: 1 posted.
    # Closing half-up charges the half: 1 more; rounding down charges nothing more.
    for mode, extra in ((ROUND_HALF_UP, 1), (ROUND_DOWN, 0), (ROUND_HALF_EVEN, 1)):
        t = terms(InterestRate.annual(Decimal("0.1")), rounding=mode)
        state, posted = accrue_through(
            t, opening_state(t), principal_minor=1_825, through=D0 + timedelta(days=3)
        )
        assert (posted, closing_minor(t, state)) == (1, extra)


def test_round_units_refuses_negatives_and_unknown_modes() -> None:
    assert round_units(Decimal("7.5"), 5, ROUND_HALF_EVEN) == 2  # 1.5 -> 2
    assert round_units(Decimal("12.5"), 5, ROUND_HALF_EVEN) == 2  # 2.5 -> 2
    with pytest.raises(AccrualError):
        round_units(Decimal(-1), 1, ROUND_DOWN)
    with pytest.raises(AccrualError):
        round_units(Decimal(1), 1, "ROUND_05UP")


def test_periods_follow_the_schedule_and_carry_on_after_it() -> None:
    t = terms(disbursed_on=date(2026, 1, 31))
    assert [
        (p.start, p.end) for p in (period(t, 1), period(t, 2), period(t, 3), period(t, 40))
    ] == [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2029, 4, 30), date(2029, 5, 31)),
    ]
    # A four-weekly first period that is a whole calendar month (1 Feb -> 1 Mar 2026).
    four = terms(frequency=Frequency.FOUR_WEEKLY, disbursed_on=date(2026, 2, 1))
    assert (period(four, 1).whole_months, period(four, 1).extra_days) == (1, 0)
    assert (period(four, 2).whole_months, period(four, 2).extra_days) == (0, 28)
    assert period_containing(t, date(2026, 3, 31)).number == 2
    assert period_containing(t, date(2026, 4, 1)).number == 3
    with pytest.raises(AccrualError):
        period(t, 0)
    with pytest.raises(AccrualError):
        period_containing(t, date(2026, 1, 31))


def test_accrual_refuses_dates_outside_its_period_and_long_gaps() -> None:
    t = terms()
    span = period(t, 1)
    with pytest.raises(AccrualError):
        day_factor(t.rate, t.day_count, span, span.end + timedelta(days=1))
    with pytest.raises(AccrualError):
        accrue_through(t, opening_state(t), principal_minor=1, through=D0 - timedelta(days=1))
    with pytest.raises(AccrualError):
        accrue_through(
            t,
            opening_state(t),
            principal_minor=1,
            through=D0 + timedelta(days=MAX_CATCH_UP_DAYS + 1),
        )
    with pytest.raises(AccrualError):
        accrue_day(t, opening_state(t), principal_minor=-1)


def test_replay_recomputes_any_day_from_the_principal_history() -> None:
    # 1,000.00 for 10 days, then 400.00 after a payment at the close of 25 Jan.
    t = terms(InterestRate.annual(Decimal("0.1")))
    history = [(D0, 100_000), (date(2026, 1, 25), 40_000)]
    # 10 days x 10,000 units + 5 days x 4,000 units = 120,000 / 365 = 328.77p -> 328.
    assert replay(t, principal_changes=history, through=date(2026, 1, 30)) == 328
    state, first = accrue_through(
        t, opening_state(t), principal_minor=100_000, through=date(2026, 1, 25)
    )
    _, second = accrue_through(t, state, principal_minor=40_000, through=date(2026, 1, 30))
    assert first + second == 328
    with pytest.raises(AccrualError):
        replay(t, principal_changes=[(date(2026, 1, 16), 1)], through=date(2026, 1, 30))
    with pytest.raises(AccrualError):
        replay(t, principal_changes=[(D0, 1), (D0, 2)], through=date(2026, 1, 30))


RATES = st.sampled_from(
    [
        InterestRate.monthly(Decimal("0.03")),
        InterestRate.monthly(Decimal("0.0125")),
        InterestRate.annual(Decimal("0.28")),
        InterestRate.annual(Decimal("0.069")),
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    rate=RATES,
    day_count=st.sampled_from(list(DayCount)),
    frequency=st.sampled_from(list(Frequency)),
    disbursed_on=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    principal=st.integers(1_00, 5_000_00),
    instalments=st.integers(1, 8),
    rounding=st.sampled_from([ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP]),
)
def test_paid_to_schedule_the_days_post_exactly_the_schedule_interest(
    rate: InterestRate,
    day_count: DayCount,
    frequency: Frequency,
    disbursed_on: date,
    principal: int,
    instalments: int,
    rounding: str,
) -> None:
    schedule = build_schedule(
        principal=Money.from_minor(principal, "GBP"),
        rate=rate,
        instalments=instalments,
        frequency=frequency,
        disbursement_date=disbursed_on,
        day_count=day_count,
        interest_rounding=rounding,
    )
    t = terms(
        rate, day_count=day_count, frequency=frequency, disbursed_on=disbursed_on, rounding=rounding
    )
    state = opening_state(t)
    for row in schedule.rows:
        assert state.units == 0 and state.period.number == row.number
        posted = 0
        while state.accrued_through < row.due_date:
            day = accrue_day(t, state, principal_minor=row.opening_balance.minor_units)
            assert day.factor >= 0 and day.post_minor >= 0
            if day.day < row.due_date:
                # Within a period what has posted never exceeds the exact interest earned.
                assert day.state.posted_minor <= day.state.units / t.denominator
            posted += day.post_minor
            state = day.state
        assert posted == row.interest.minor_units


@settings(max_examples=40, deadline=None)
@given(
    rate=RATES,
    principal=st.integers(1, 10_000_000),
    disbursed_on=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    days=st.integers(1, 31),
)
def test_posted_is_within_one_minor_unit_of_the_exact_interest(
    rate: InterestRate, principal: int, disbursed_on: date, days: int
) -> None:
    # Inside one monthly period (at most 31 days) nothing is forgone: the truncated total
    # is within one minor unit below the exact figure, p x C(day).
    t = terms(rate, disbursed_on=disbursed_on)
    through = min(disbursed_on + timedelta(days=days), period(t, 1).end)
    _, posted = accrue_through(t, opening_state(t), principal_minor=principal, through=through)
    exact = (
        Fraction(cumulative_units(t.rate, t.day_count, period(t, 1), through))
        * principal
        / t.denominator
    )
    assert 0 <= exact - posted < 1
