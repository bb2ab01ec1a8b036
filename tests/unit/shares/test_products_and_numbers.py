from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from creditunion.field_problems import FieldError, ValidationProblem
from creditunion.shares.account_number import (
    AccountNumbersExhausted,
    format_account_number,
    luhn_check_digit,
    normalise_account_number,
)
from creditunion.shares.models import ProductKind, ReturnBasis
from creditunion.shares.products import (
    MonthDay,
    WithdrawalWindow,
    age_allows,
    parse_windows,
    standard_products,
    validate_product,
    withdrawals_open,
)
from ledger.money import Money


def test_luhn_against_known_values() -> None:
    assert luhn_check_digit("7992739871") == 3  # the textbook example
    assert format_account_number(1) == "00000018"
    assert format_account_number(9_999_999)[:7] == "9999999"


def test_every_single_digit_typo_is_caught() -> None:
    number = format_account_number(1_234_567)
    assert normalise_account_number(number) == number
    for position in range(8):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            with pytest.raises(FieldError):
                normalise_account_number(typo)


def test_account_number_input_forms() -> None:
    number = format_account_number(42)
    assert normalise_account_number(f"{number[:4]} {number[4:]}") == number
    assert normalise_account_number(f"{number[:4]}-{number[4:]}") == number
    for bad in [
        "",
        "1234567",
        "123456789",
        "abcdefgh",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
        None,
        12345678,
    ]:
        with pytest.raises(FieldError):
            normalise_account_number(bad)
    with pytest.raises(AccountNumbersExhausted):
        format_account_number(10_000_000)
    with pytest.raises(AccountNumbersExhausted):
        format_account_number(0)


def test_christmas_window_and_year_wrap() -> None:
    christmas = parse_windows([{"from": "11-01", "to": "12-31"}])
    assert not withdrawals_open(christmas, dt.date(2026, 10, 31))
    assert withdrawals_open(christmas, dt.date(2026, 11, 1))
    assert withdrawals_open(christmas, dt.date(2026, 12, 31))
    assert not withdrawals_open(christmas, dt.date(2027, 1, 1))
    wrapping = parse_windows([{"from": "12-01", "to": "01-15"}])
    assert withdrawals_open(wrapping, dt.date(2027, 1, 15))
    assert withdrawals_open(wrapping, dt.date(2026, 12, 1))
    assert not withdrawals_open(wrapping, dt.date(2027, 1, 16))
    assert withdrawals_open(None, dt.date(2026, 6, 1))
    leap = WithdrawalWindow(MonthDay.parse("02-29"), MonthDay.parse("03-01"))
    assert leap.contains(dt.date(2028, 2, 29))
    assert not leap.contains(dt.date(2027, 2, 28))


@pytest.mark.parametrize(
    "raw",
    [
        [],
        [{"from": "11-01"}],
        [{"from": "11-01", "to": "12-32"}],
        [{"from": "13-01", "to": "12-31"}],
        [{"from": "2-1", "to": "12-31"}],
        [{"from": "02-30", "to": "03-01"}],
        [{"from": "11-01", "to": "12-31", "extra": 1}],
        "11-01..12-31",
        [{"from": "01-01", "to": "01-02"}] * 13,
    ],
)
def test_bad_windows(raw: object) -> None:
    with pytest.raises(FieldError):
        parse_windows(raw)


def test_age_limit_means_under() -> None:
    born = dt.date(2008, 11, 25)
    assert age_allows(18, born, dt.date(2026, 11, 24))  # 17 the day before
    assert not age_allows(18, born, dt.date(2026, 11, 25))  # 18 today
    assert age_allows(None, dt.date(1900, 1, 1), dt.date(2026, 1, 1))


def test_standard_products_are_valid() -> None:
    products = {p.code: validate_product(p) for p in standard_products("GBP")}
    assert products["INSTANT"].minimum_balance == Money("1.00", "GBP")
    assert products["INSTANT"].return_basis is ReturnBasis.DIVIDEND
    assert products["XMAS"].kind is ProductKind.CHRISTMAS_SAVER
    assert products["XMAS"].withdrawal_windows is not None
    assert products["JUNIOR"].maximum_age_years == 18
    assert products["JUNIOR"].annual_rate == Decimal("0.0200")


def test_product_problems_are_listed_per_field() -> None:
    base = standard_products("GBP")[1]
    bad = dataclasses.replace(
        base,
        code="x",
        minimum_balance="-1.00",
        maximum_balance="0.001",
        annual_rate="1.5",
        withdrawal_windows=None,
        day_count="ACT/999",
        posting_frequency="fortnightly",
    )
    with pytest.raises(ValidationProblem) as caught:
        validate_product(bad)
    fields = {p.field for p in caught.value.problems}
    assert fields == {
        "code",
        "minimum_balance",
        "maximum_balance",
        "annual_rate",
        "withdrawal_windows",
        "day_count",
        "posting_frequency",
    }


def test_basis_and_rate_must_agree() -> None:
    instant = standard_products("GBP")[0]
    with pytest.raises(ValidationProblem, match="annual_rate"):
        validate_product(dataclasses.replace(instant, annual_rate="0.01"))
    junior = standard_products("GBP")[2]
    with pytest.raises(ValidationProblem, match="annual_rate"):
        validate_product(dataclasses.replace(junior, annual_rate=None))
    with pytest.raises(ValidationProblem, match="maximum_age_years"):
        validate_product(dataclasses.replace(junior, maximum_age_years=None))
    with pytest.raises(ValidationProblem, match="currency"):
        validate_product(dataclasses.replace(junior, currency="XXX"))
    with pytest.raises(ValidationProblem, match="maximum_balance"):
        validate_product(dataclasses.replace(junior, maximum_balance="0.00"))
