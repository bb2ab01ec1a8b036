from __future__ import annotations

import datetime as dt

import pytest

from creditunion.field_problems import FieldError
from creditunion.members.dates import age_on, check_date_of_birth, parse_date
from creditunion.members.text import clean_name, clean_text

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O'Brien", "O'Brien"),
        ("Smith-Jones", "Smith-Jones"),
        ("  Mary   Ann  ", "Mary Ann"),
        ("D\u2019Arcy", "D\u2019Arcy"),  # a curly apostrophe
        ("Zoe\u0308", "Zoë"),  # decomposed input is stored composed (NFC)
        ("Siobhán", "Siobhán"),
        ("Nguyễn", "Nguyễn"),
        ("Σωκράτης", "Σωκράτης"),
        ("李", "李"),
        ("محمد", "محمد"),
        ("St. John", "St. John"),
    ],
)
def test_names_in_any_script(raw: str, expected: str) -> None:
    assert clean_name(raw, max_length=100) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "'--",  # no letter
        "Robert'); DROP TABLE members;--",
        "J0hn",
        "<script>alert(1)</script>",
        "Jane\x00",
        "Jane\nDoe",
        "Jane\u202eeoD",  # right-to-left override
        "Jane😀",
        "A" * 101,
    ],
)
def test_bad_names(raw: str) -> None:
    with pytest.raises(FieldError):
        clean_name(raw, max_length=100)


def test_sql_looking_text_is_ordinary_text() -> None:
    hostile = "1 High St'; DROP TABLE members; --"
    assert clean_text(hostile, max_length=200) == hostile


@pytest.mark.parametrize(
    "raw", ["a\x07b", "a\x1bb", "line\r\nbreak", "\ud800", "a\u2066b", "x" * 201, "x" * 10**6]
)
def test_text_refuses_control_characters_and_long_input(raw: str) -> None:
    with pytest.raises(FieldError):
        clean_text(raw, max_length=200)


def test_ages() -> None:
    assert age_on(dt.date(2000, 11, 25), TODAY) == 26
    assert age_on(dt.date(2000, 11, 26), TODAY) == 25
    # Born on 29 February: a year older on 1 March in a common year.
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2023-02-30", "not a real calendar date"),
        ("2023-13-01", "not a real calendar date"),
        ("2023-00-10", "not a real calendar date"),
        ("2021-02-29", "not a real calendar date"),  # not a leap year
        ("20200101", "YYYY-MM-DD"),
        ("01/02/2000", "YYYY-MM-DD"),
        ("2000-1-1", "YYYY-MM-DD"),
        ("\uff12\uff10\uff10\uff10-01-01", "YYYY-MM-DD"),
        ("yesterday", "YYYY-MM-DD"),
        ("", "YYYY-MM-DD"),
        ("2026-11-26", "in the future"),
        ("3000-01-01", "in the future"),
        ("1905-11-25", "age over 120"),  # 121 today
        ("0001-01-01", "age over 120"),
    ],
)
def test_impossible_dates_of_birth(raw: str, message: str) -> None:
    with pytest.raises(FieldError, match=message):
        check_date_of_birth(raw, business_date=TODAY)


def test_date_of_birth_bounds_are_inclusive() -> None:
    assert check_date_of_birth("2026-11-25", business_date=TODAY) == TODAY  # born today
    # 120 years and 364 days old is still 120.
    assert check_date_of_birth("1905-11-26", business_date=TODAY) == dt.date(1905, 11, 26)
    assert check_date_of_birth(dt.date(2000, 2, 29), business_date=TODAY) == dt.date(2000, 2, 29)


def test_a_datetime_or_a_number_is_not_a_date() -> None:
    with pytest.raises(FieldError, match="without a time"):
        parse_date(dt.datetime(2000, 1, 1, 12, 0))
    with pytest.raises(FieldError):
        parse_date(20000101)
