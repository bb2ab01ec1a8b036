"""Regulation Z Appendix J month ends, odd first periods and unit periods, against a reference.

Appendix J(b)(3)(iv): "All months shall be considered equal. Full months shall be measured
from any point in time on a given date of a given month to the same point in time on the
same date of another month. If a series of payments (or advances) is scheduled for the last
day of each month, months shall be measured from the last day of the given month to the last
day of another month. If payments (or advances) are scheduled for the 29th or 30th of each
month, the last day of February shall be used when applicable."

The fixed figures are the regression cases of the lending reviews (issues 11 and 21); the
positions they state are read off the Appendix by hand. The property test compares
`apr_us` with `_reference`, a separate brute-force reading of J(b)(3)-(5) that is told the
day of the month each generated series is scheduled for (where `apr_us` has to infer it
from the dates) and solves the J(b)(8) equation by plain bisection.
"""

from __future__ import annotations

import calendar
import decimal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.money import Money
from loans.apr import apr_us, us_apr_details
from loans.calendar import CalendarError
from loans.daycount import DayCount
from loans.facts import LoanFacts
from loans.frequency import Frequency
from loans.product import AmountRange, LoanProduct, TermRange
from loans.quote import quote
from loans.rate import InterestRate
from loans.regz import ORIGIN, Position, months, months_back, semimonth, timeline, weeks
from loans.rulesets.pal import PAL_II

Flow = tuple[date, Money]


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def solved_annual_percent(
    advances: list[tuple[Position, Decimal]],
    payments: list[tuple[Position, Decimal]],
    per_year: Fraction,
) -> Decimal:
    """J(b)(8) solved by bisection on the unit-period rate: the APR in percent, unrounded."""
    flows = [(p, a) for p, a in payments] + [(p, -a) for p, a in advances]
    with decimal.localcontext(prec=60):

        def npv(rate: Decimal) -> Decimal:
            total = Decimal(0)
            for at, amount in flows:
                simple = 1 + Decimal(at.fraction.numerator) / at.fraction.denominator * rate
                total += amount / (simple * (1 + rate) ** at.whole)
            return total

        low, high = Decimal(0), Decimal(1)
        while npv(high) > 0:
            high *= 2
        for _ in range(200):
            middle = (low + high) / 2
            low, high = (middle, high) if npv(middle) > 0 else (low, middle)
        return low * per_year.numerator / per_year.denominator * 100


def at(whole: int, numerator: int = 0, denominator: int = 1) -> Position:
    return Position(whole, Fraction(numerator, denominator))


def two_places(percent: Decimal) -> Decimal:
    return percent.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


# --- single payments at the end of February ---------


def test_issue_11_thirty_first_of_january_to_28_february_is_one_month() -> None:
    # 2,000 on 31 Jan 2026, 2,043.55 on 28 Feb 2026: one month (J(b)(5)(vi)), 43.55/2000 a
    # month, 26.13%. The old count back from 28 Feb to 28 Jan placed it at 28/30 (28.00%).
    details = us_apr_details(
        [(date(2026, 1, 31), usd("2000.00"))], [(date(2026, 2, 28), usd("2043.55"))]
    )
    assert details.unit_period == months(1)
    assert abs(details.unit_period_rate - Decimal("0.021775")) < Decimal("1e-40")
    assert details.percent == Decimal("26.13")


def test_issue_21_single_payment_on_28_february_after_31_january_is_not_28_30() -> None:
    # The review's case: 27.99% disclosed, 26.12% right.
    got = apr_us([(date(2025, 1, 31), usd("2000.00"))], [(date(2025, 2, 28), usd("2043.54"))])
    assert got == Decimal("26.12")


def test_single_payment_from_a_day_february_lacks_is_one_month() -> None:
    # No 30 or 31 February: a month from those days ends on February's last day.
    for start, end in [
        (date(2025, 1, 29), date(2025, 2, 28)),
        (date(2025, 1, 30), date(2025, 2, 28)),
        (date(2028, 1, 30), date(2028, 2, 29)),
        (date(2028, 1, 31), date(2028, 2, 29)),
    ]:
        assert apr_us([(start, usd("2000.00"))], [(end, usd("2020.00"))]) == Decimal("12.00")


def test_single_payment_over_a_year_from_31_january_counts_the_february_month() -> None:
    # J(b)(5)(v): one year back from 28 Feb 2027 is 28 Feb 2026, and 31 Jan -> 28 Feb is a
    # whole month, so t = 1, f = 1/12 (not 28 days / 365).
    start, end = date(2026, 1, 31), date(2027, 2, 28)
    expected = solved_annual_percent(
        [(ORIGIN, Decimal(1000))], [(at(1, 1, 12), Decimal(1130))], Fraction(1)
    )
    assert apr_us([(start, usd("1000.00"))], [(end, usd("1130.00"))]) == two_places(expected)
    timing = timeline(start, advance_dates=[start], payment_dates=[end])
    assert timing.unit == months(12)
    assert timing.payments[end] == at(1, 1, 12)


# --- series on month ends, the 29th and the 30th ----


def assert_placed(
    start: date, paid: list[date], amount: str, lent: str, places: list[Position], per_year: int
) -> None:
    """apr_us of the schedule equals J(b)(8) solved at `places`, and those are its positions."""
    expected = solved_annual_percent(
        [(ORIGIN, Decimal(lent))], [(p, Decimal(amount)) for p in places], Fraction(per_year)
    )
    assert apr_us([(start, usd(lent))], [(day, usd(amount)) for day in paid]) == two_places(
        expected
    )
    timing = timeline(start, advance_dates=[start], payment_dates=paid)
    assert timing.unit.per_year == per_year
    assert timing.advances[start] == ORIGIN
    assert [timing.payments[day] for day in paid] == places


def test_issue_21_mid_month_advance_with_payments_on_month_ends() -> None:
    # 1,000 on 15 Jan 2025, 340 on 28 Feb, 31 Mar and 30 Apr: a month-end series counts
    # back to 31 Jan, so each payment is t + 16/30; the advance is at time zero (the old
    # code put it 8/15 of a month in and disclosed 11.96%).
    start = date(2025, 1, 15)
    paid = [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    assert apr_us([(start, usd("1000.00"))], [(day, usd("340.00")) for day in paid]) == Decimal(
        "9.42"
    )
    assert_placed(start, paid, "340.00", "1000.00", [at(k, 16, 30) for k in (1, 2, 3)], 12)


def test_series_on_the_30th_counts_28_february_as_a_full_month() -> None:
    # Drawn 30 Dec 2024, paid 30 Jan, 28 Feb and 30 Mar: whole months 1, 2, 3, so the APR
    # is that of the same loan drawn on the 15th and paid on the 15th.
    start = date(2024, 12, 30)
    paid = [date(2025, 1, 30), date(2025, 2, 28), date(2025, 3, 30)]
    regular = apr_us(
        [(date(2024, 12, 15), usd("1000.00"))],
        [(date(2025, m, 15), usd("340.00")) for m in (1, 2, 3)],
    )
    assert apr_us([(start, usd("1000.00"))], [(day, usd("340.00")) for day in paid]) == regular
    assert_placed(start, paid, "340.00", "1000.00", [at(1), at(2), at(3)], 12)


def test_series_on_the_29th_counts_28_february_as_a_full_month() -> None:
    start = date(2024, 11, 29)
    paid = [date(2024, 12, 29), date(2025, 1, 29), date(2025, 2, 28), date(2025, 3, 29)]
    assert_placed(start, paid, "260.00", "1000.00", [at(k) for k in (1, 2, 3, 4)], 12)


def test_series_on_the_30th_counts_back_from_february_to_the_30th() -> None:
    # Drawn 15 Jan 2025, paid 28 Feb, 30 Mar, 30 Apr (the 30th): 28 Feb stands for 30 Feb,
    # so one month back is 30 Jan, and every payment is t + 15/30 (not 28 Jan, 13/30).
    start = date(2025, 1, 15)
    paid = [date(2025, 2, 28), date(2025, 3, 30), date(2025, 4, 30)]
    assert_placed(start, paid, "340.00", "1000.00", [at(k, 15, 30) for k in (1, 2, 3)], 12)


def test_advance_on_a_month_end_with_month_end_payments_is_at_time_zero() -> None:
    # 31 Jan -> 28 Feb -> 31 Mar -> 30 Apr: whole months from the advance.
    start = date(2025, 1, 31)
    paid = [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    assert_placed(start, paid, "340.00", "1000.00", [at(1), at(2), at(3)], 12)


# --- unit periods ------------------------------------------------------


def test_biweekly_loan_with_a_16_day_first_period_has_a_two_week_unit() -> None:
    # 1 Mar 2027 -> 17 Mar is 16 days, then every 14 days: the common period is two weeks
    # (a 14 or 16-day gap is not a semimonth), t = k, f = 2/14 (J(b)(5)(iv)).
    start = date(2027, 3, 1)
    paid = [date(2027, 3, 17) + timedelta(days=14 * k) for k in range(10)]
    assert_placed(start, paid, "52.00", "500.00", [at(k, 2, 14) for k in range(1, 11)], 26)
    assert timeline(start, advance_dates=[start], payment_dates=paid).unit == weeks(2)


def test_two_payments_after_an_odd_first_period_have_a_monthly_unit() -> None:
    # 10 Mar 2025, then 15 Apr and 15 May: a monthly loan with a 36-day first period
    # (t = 1 and 2, f = 5/30), not a 5-week unit from averaging 36 and 30 days.
    start = date(2025, 3, 10)
    paid = [date(2025, 4, 15), date(2025, 5, 15)]
    assert_placed(start, paid, "310.00", "600.00", [at(1, 5, 30), at(2, 5, 30)], 12)
    assert timeline(start, advance_dates=[start], payment_dates=paid).unit == months(1)


def test_semimonthly_series_on_the_15th_and_last_day() -> None:
    # 15th and last day of each month, drawn on 31 Dec: whole semimonths throughout (the
    # last days count back month end to month end: 28 Feb -> 31 Jan).
    start = date(2024, 12, 31)
    paid = sorted(
        [date(2025, m, 15) for m in range(1, 7)]
        + [date(2025, m, calendar.monthrange(2025, m)[1]) for m in range(1, 7)]
    )
    assert_placed(start, paid, "90.00", "1000.00", [at(k) for k in range(1, 13)], 24)
    assert timeline(start, advance_dates=[start], payment_dates=paid).unit == semimonth()


# --- a brute-force reference for generated schedules ------------------------------------


@dataclass(frozen=True)
class Series:
    dates: list[date]
    scheduled_days: list[int]  # the day of the month each date is scheduled for (31: last)


def _shift(day: date, months_: int, on: int) -> date:
    index = day.year * 12 + day.month - 1 + months_
    year, month = divmod(index, 12)
    return date(year, month + 1, min(on, calendar.monthrange(year, month + 1)[1]))


def _month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _months_apart(begin: date, end: date, count: int) -> bool:
    # (b)(3)(iv): same date of another month (none: its last day), or last day to last day.
    months_between = (end.year - begin.year) * 12 + end.month - begin.month
    return (
        _shift(begin, count, begin.day) == end
        or _shift(end, -count, end.day) == begin
        or (_month_end(begin) and _month_end(end) and months_between == count)
    )


Unit = tuple[Fraction, str, int]  # approximate days (for "smaller"), kind, multiple
STANDARD: list[Unit] = [
    (Fraction(1), "day", 1),
    *((Fraction(7 * n), "week", n) for n in range(1, 53)),
    (Fraction(365, 24), "semimonth", 1),
    *((Fraction(365 * n, 12), "month", n) for n in range(1, 13)),
]


def _reference_labels(begin: date, end: date) -> set[Unit]:
    days = (end - begin).days
    thirty = [30 if _month_end(d) else d.day for d in (begin, end)]
    months_between = (end.year - begin.year) * 12 + end.month - begin.month
    matches: dict[str, Callable[[int], bool]] = {
        "day": lambda n: days == n == 1,
        "week": lambda n: days == 7 * n,
        "semimonth": lambda n: 30 * months_between + thirty[1] - thirty[0] == 15,
        "month": lambda n: _months_apart(begin, end, n),
    }
    return {unit for unit in STANDARD if matches[unit[1]](unit[2])}


def _reference_unit(start: date, paid: list[date], later_advances: list[date]) -> Unit:
    # (b)(4): the most frequent common period, the smaller on a tie; two payments a standard
    # interval apart after an odd first period: that interval; else the nearest average.
    # (b)(3)(i): periods between payments, between advances, and from the start to each.
    periods = list(pairwise([start, *paid])) + list(pairwise([start, *later_advances]))
    seen: Counter[Unit] = Counter()
    for begin, end in periods:
        seen.update(_reference_labels(begin, end))
    common = {unit: n for unit, n in seen.items() if n > 1}
    if common:
        return min(unit for unit, n in common.items() if n == max(common.values()))
    if len(paid) == 2 and _reference_labels(paid[0], paid[1]):
        return min(_reference_labels(paid[0], paid[1]))
    average = Fraction(sum((end - begin).days for begin, end in periods), len(periods))
    return min(STANDARD, key=lambda unit: (abs(unit[0] - average), unit[0]))


def _reference_months_back(start: date, when: date, on: int) -> tuple[int, date]:
    # One month at a time, each step from `when` itself, until the next would pass `start`.
    count = 0
    while _shift(when, -(count + 1), on) >= start:
        count += 1
    stop = _shift(when, -count, on)
    if stop != start and _shift(start, 1, start.day) == stop:
        return count + 1, start  # e.g. 31 Jan -> 28 Feb: one month from the start
    return count, stop


def _reference_position(start: date, when: date, unit: Unit, on: int) -> Position:
    _, kind, n = unit
    days = (when - start).days
    if kind == "day":
        return at(days)
    if kind == "week":
        return at(days // (7 * n), days % (7 * n), 7 * n)
    full, stop = _reference_months_back(start, when, on)
    odd = (stop - start).days
    if kind == "month" and n == 12:
        if stop == start:
            return at(full // 12, full % 12, 12)
        return at(full // 12, (_shift(when, -12 * (full // 12), on) - start).days, 365)
    size = 15 if kind == "semimonth" else 30 * n
    return at((30 * full + odd) // size, (30 * full + odd) % size, size)


def _reference(
    start: date, advances: list[tuple[date, Decimal]], series: Series, amounts: list[Decimal]
) -> Decimal:
    paid = series.dates
    later = [day for day, _ in advances if day > start]
    if len(paid) == 1 and not later:
        # (b)(5)(vi)-(vii): single advance, single payment under a year: one unit period.
        (end,) = paid
        count = (end.year - start.year) * 12 + end.month - start.month
        if 1 <= count <= 12 and _months_apart(start, end, count):
            per_year = Fraction(12, count)
        else:
            per_year = Fraction(365, (end - start).days)
        lent = sum((amount for _, amount in advances), Decimal(0))
        return solved_annual_percent([(ORIGIN, lent)], [(at(1), amounts[0])], per_year)
    # (b)(3)(iv): a series on the last day of each month is measured last day to last day.
    month_ends = len(paid) > 1 and all(_month_end(d) for d in paid)
    scheduled = [31 if month_ends else on for on in series.scheduled_days]
    unit = _reference_unit(start, paid, later)
    per_year = {
        "day": Fraction(365),
        "week": Fraction(52, unit[2]),
        "semimonth": Fraction(24),
        "month": Fraction(12, unit[2]),
    }[unit[1]]
    placed = [
        (_reference_position(start, d, unit, on), a)
        for d, on, a in zip(paid, scheduled, amounts, strict=True)
    ]
    lent_at = [(_reference_position(start, d, unit, d.day), a) for d, a in advances]
    return solved_annual_percent(lent_at, placed, per_year)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[date, Series]:
    count = draw(st.integers(1, 24))
    kind = draw(st.sampled_from(["months", "weeks", "semimonths"]))
    year = draw(st.integers(2024, 2029))
    month = draw(st.integers(1, 12))
    if kind == "months":
        # Any day, 29th to 31st included; every month, two, three, six or twelve.
        on = draw(st.one_of(st.integers(1, 31), st.integers(28, 31)))
        every = draw(st.sampled_from([1, 1, 1, 2, 3, 6, 12]))
        anchor = _shift(date(year, month, 1), 0, on)
        dates = [_shift(anchor, every * k, on) for k in range(count)]
        # A single payment is not a series: it is scheduled for its own day.
        series = Series(dates, [on] * count if count > 1 else [anchor.day])
    elif kind == "weeks":
        first = date(year, month, draw(st.integers(1, 28)))
        every = draw(st.sampled_from([1, 2, 4]))
        dates = [first + timedelta(days=7 * every * k) for k in range(count)]
        series = Series(dates, [d.day for d in dates])
    else:
        # The 1st and 16th, or the 15th and the last day, of each month.
        pair = draw(st.sampled_from([(1, 16), (15, 31)]))
        scheduled = [pair[k % 2] for k in range(count)]
        dates = [_shift(date(year, month, 1), k // 2, scheduled[k]) for k in range(count)]
        if scheduled.count(31) < 2:
            # One payment on a last day is not "a series ... scheduled for the last day of
            # each month": nothing in the dates says so, and it is counted from its own day.
            scheduled = [d.day for d in dates]
        series = Series(dates, scheduled)
    gap = draw(st.integers(1, 75))
    return series.dates[0] - timedelta(days=gap), series


@settings(max_examples=400, deadline=None)
@given(
    schedule=schedules(),
    payment_cents=st.integers(1_000, 200_000),
    lent_percent=st.integers(50, 100),
    last_extra_cents=st.integers(0, 50_000),
    second_advance_after_days=st.one_of(st.none(), st.integers(1, 120)),
)
def test_apr_us_matches_a_brute_force_appendix_j_reference(
    schedule: tuple[date, Series],
    payment_cents: int,
    lent_percent: int,
    last_extra_cents: int,
    second_advance_after_days: int | None,
) -> None:
    start, series = schedule
    amounts = [Decimal(payment_cents) / 100] * len(series.dates)
    amounts[-1] += Decimal(last_extra_cents) / 100
    lent = (sum(amounts, Decimal(0)) * lent_percent / 100).quantize(
        Decimal("0.01"), decimal.ROUND_DOWN
    )
    advances = [(start, lent)]
    if second_advance_after_days is not None:
        # A second draw (two fifths of the credit), no later than the last payment.
        later = min(start + timedelta(days=second_advance_after_days), series.dates[-1])
        second = (lent * 2 / 5).quantize(Decimal("0.01"), decimal.ROUND_DOWN)
        advances = [(start, lent - second), (later, second)]
    flows = [(d, usd(str(a))) for d, a in zip(series.dates, amounts, strict=True)]
    got = us_apr_details([(d, usd(str(a))) for d, a in advances], flows).annual_rate * 100
    expected = _reference(start, advances, series, amounts)
    assert abs(got - expected) < Decimal("1e-18") * max(expected, Decimal(1))


# --- quotes use apr_us, so a PAL drawn on the 29th to 31st is disclosed right ----------

PAL_WITHOUT_FEES = LoanProduct(
    name="PAL II, no fees",
    currency="USD",
    amounts=AmountRange(usd("100"), usd("2000")),
    terms=TermRange(1, 12),
    frequencies=frozenset({Frequency.MONTHLY}),
    rate=InterestRate.annual(Decimal("0.28")),
    rule_set=PAL_II,
    day_count=DayCount.THIRTY_360,
)
PAL_MEMBER = LoanFacts(
    membership_start=date(2024, 6, 1),
    portfolio_pal_balances=usd("0"),
    net_worth=usd("1000000"),
)


def test_quote_of_a_one_month_pal_drawn_on_31_january() -> None:
    # A worked case: 2,000 at 28% (30/360: 28 days, 43.55) repaid on 28 Feb 2026.
    got = quote(PAL_WITHOUT_FEES, usd("2000"), 1, Frequency.MONTHLY, date(2026, 1, 31), PAL_MEMBER)
    assert got.payments == ((date(2026, 2, 28), usd("2043.55")),)
    assert got.apr == Decimal("26.13")


def test_quote_of_a_pal_drawn_on_30_january_counts_whole_months() -> None:
    # Due 28 Feb, 30 Mar, 30 Apr 2026: a series on the 30th, whole months 1, 2 and 3.
    got = quote(PAL_WITHOUT_FEES, usd("1000"), 3, Frequency.MONTHLY, date(2026, 1, 30), PAL_MEMBER)
    assert [day for day, _ in got.payments] == [
        date(2026, 2, 28),
        date(2026, 3, 30),
        date(2026, 4, 30),
    ]
    expected = solved_annual_percent(
        [(ORIGIN, Decimal(1000))],
        [(at(k + 1), amount.amount) for k, (_, amount) in enumerate(got.payments)],
        Fraction(12),
    )
    assert got.apr == two_places(expected)


def test_timeline_refuses_dates_before_the_term_and_impossible_scheduled_days() -> None:
    with pytest.raises(CalendarError):
        timeline(date(2025, 1, 15), advance_dates=[date(2025, 1, 14)], payment_dates=[])
    with pytest.raises(CalendarError):
        months_back(date(2025, 1, 15), date(2025, 3, 15), nominal_day=31)
    assert months_back(date(2025, 1, 15), date(2025, 2, 28), nominal_day=30) == (
        1,
        date(2025, 1, 30),
    )
