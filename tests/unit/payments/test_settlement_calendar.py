from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditunion.payments import settlement_calendar
from creditunion.payments.settlement_calendar import (
    Rail,
    is_business_day,
    next_business_day,
    settlement_date,
)

UK_RAILS = [Rail.FASTER_PAYMENTS, Rail.BACS]
DAYS = st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31))


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class TestUkBankHolidays:
    @pytest.mark.parametrize("rail", UK_RAILS)
    @pytest.mark.parametrize(
        ("day", "open_"),
        [
            ("2026-12-24", True),  # Thursday
            ("2026-12-25", False),  # Christmas Day, Friday
            ("2026-12-26", False),  # Boxing Day, Saturday
            ("2026-12-28", False),  # Boxing Day's substitute, Monday
            ("2026-12-29", True),
            ("2027-01-01", False),  # New Year's Day, Friday
            ("2026-04-03", False),  # Good Friday
            ("2026-04-06", False),  # Easter Monday (England and Wales, not Scotland)
            ("2026-08-31", False),  # Late Summer bank holiday (England and Wales)
            ("2026-08-03", True),  # Scotland's summer holiday is not England's
            ("2026-11-26", True),  # Thanksgiving is not a UK holiday
            ("2027-12-27", False),  # Christmas Day on a Saturday: substitute Monday
            ("2027-12-28", False),  # Boxing Day on a Sunday: substitute Tuesday
        ],
    )
    def test_known_days(self, rail: Rail, day: str, open_: bool) -> None:
        assert is_business_day(rail, d(day)) is open_

    def test_faster_payments_settle_the_same_business_day(self) -> None:
        assert settlement_date(Rail.FASTER_PAYMENTS, d("2026-12-24")) == d("2026-12-24")
        assert settlement_date(Rail.FASTER_PAYMENTS, d("2026-12-25")) == d("2026-12-29")
        assert settlement_date(Rail.FASTER_PAYMENTS, d("2026-12-31")) == d("2026-12-31")
        assert settlement_date(Rail.FASTER_PAYMENTS, d("2027-01-01")) == d("2027-01-04")

    @pytest.mark.parametrize(
        ("submitted", "settles"),
        [
            ("2026-12-07", "2026-12-09"),  # Monday: input Monday, settle Wednesday
            ("2026-12-10", "2026-12-14"),  # Thursday: over the weekend to Monday
            ("2026-12-24", "2026-12-30"),  # Thursday: Christmas, weekend, Boxing Day's Monday
            ("2026-12-26", "2026-12-31"),  # Saturday: input counts from Tuesday 29th
            ("2026-12-30", "2027-01-04"),  # New Year's Day in the way
            ("2026-04-02", "2026-04-08"),  # Maundy Thursday: Good Friday and Easter Monday
        ],
    )
    def test_bacs_runs_the_three_day_cycle(self, submitted: str, settles: str) -> None:
        assert settlement_date(Rail.BACS, d(submitted)) == d(settles)


class TestFederalReserveHolidays:
    @pytest.mark.parametrize(
        ("day", "open_"),
        [
            ("2026-11-26", False),  # Thanksgiving
            ("2026-11-27", True),  # the Friday after: the Fed is open
            ("2026-06-19", False),  # Juneteenth, Friday
            ("2026-07-04", False),  # Independence Day, Saturday
            ("2026-07-03", True),  # not observed on the Friday by the Fed
            ("2026-10-12", False),  # Columbus Day
            ("2026-11-11", False),  # Veterans Day
            ("2026-12-25", False),
            ("2026-12-28", True),  # Boxing Day is not a US holiday
            ("2026-04-03", True),  # nor Good Friday
            ("2027-07-05", False),  # Independence Day on a Sunday: closed on the Monday
            ("2027-06-18", True),  # Juneteenth 2027 is a Saturday: Friday open
            ("2027-12-24", True),  # Christmas 2027 is a Saturday: Friday open
            ("2021-12-31", True),  # New Year's Day 2022 was a Saturday: the Friday before open
        ],
    )
    def test_known_days(self, day: str, open_: bool) -> None:
        assert is_business_day(Rail.ACH, d(day)) is open_

    @pytest.mark.parametrize(
        ("submitted", "settles"),
        [
            ("2026-11-25", "2026-11-27"),  # over Thanksgiving
            ("2026-06-18", "2026-06-22"),  # over Juneteenth and the weekend
            ("2026-07-02", "2026-07-03"),  # the Friday before 4 July is a business day
            ("2026-07-03", "2026-07-06"),
            ("2026-12-05", "2026-12-08"),  # a Saturday counts as Monday: settles Tuesday
            ("2026-11-26", "2026-11-30"),  # on Thanksgiving itself: counts from Friday
        ],
    )
    def test_ach_standard_entries_settle_the_next_business_day(
        self, submitted: str, settles: str
    ) -> None:
        assert settlement_date(Rail.ACH, d(submitted)) == d(settles)


class TestProperties:
    @given(st.sampled_from(Rail), DAYS)
    def test_next_business_day_is_the_first_open_day_strictly_after(
        self, rail: Rail, day: dt.date
    ) -> None:
        following = next_business_day(rail, day)
        assert following > day
        assert is_business_day(rail, following)
        between = (day + dt.timedelta(days=n) for n in range(1, (following - day).days))
        assert not any(is_business_day(rail, skipped) for skipped in between)

    @given(st.sampled_from(Rail), DAYS)
    def test_settlement_is_the_cycles_number_of_business_days_after_input(
        self, rail: Rail, day: dt.date
    ) -> None:
        settles = settlement_date(rail, day)
        first = day if is_business_day(rail, day) else next_business_day(rail, day)
        open_days = [
            first + dt.timedelta(days=n)
            for n in range(1, (settles - first).days + 1)
            if is_business_day(rail, first + dt.timedelta(days=n))
        ]
        cycle = {Rail.FASTER_PAYMENTS: 0, Rail.BACS: 2, Rail.ACH: 1}[rail]
        assert len(open_days) == cycle
        assert is_business_day(rail, settles)

    @given(DAYS)
    def test_weekends_are_never_business_days(self, day: dt.date) -> None:
        if day.weekday() >= 5:
            assert not any(is_business_day(rail, day) for rail in Rail)


def test_a_calendar_closed_for_a_month_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settlement_calendar, "_closed_days", lambda _us, _year: _AlwaysIn())
    with pytest.raises(RuntimeError, match="no bacs business day within 30 days of 2026-12-24"):
        next_business_day(Rail.BACS, d("2026-12-24"))


class _AlwaysIn:
    def __contains__(self, _day: object) -> bool:
        return True
