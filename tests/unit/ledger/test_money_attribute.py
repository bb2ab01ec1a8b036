from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.money import CurrencyMismatch, Money
from ledger.money_attribute import StoredMoney, StoredOptionalMoney


@dataclass
class Row:
    currency: str
    paid_minor: int | None
    fee_minor: int | None = None

    paid = StoredMoney("paid_minor")
    fee = StoredOptionalMoney("fee_minor")


def test_reads_minor_units_as_money_in_the_rows_currency() -> None:
    assert Row("GBP", 12_345).paid == Money("123.45", "GBP")
    assert Row("JPY", 500).paid == Money("500", "JPY")
    assert Row("BHD", 1_001).paid == Money("1.001", "BHD")


def test_writes_money_back_as_minor_units() -> None:
    row = Row("GBP", 100)
    row.paid += Money("0.25", "GBP")
    assert row.paid_minor == 125


def test_refuses_money_of_another_currency_and_changes_nothing() -> None:
    row = Row("GBP", 100)
    with pytest.raises(CurrencyMismatch, match=r"Row\.paid is in GBP, not EUR"):
        row.paid = Money("1.00", "EUR")
    assert row.paid_minor == 100


def test_refuses_a_bare_int() -> None:
    row = Row("GBP", 100)
    with pytest.raises(TypeError, match="takes Money"):
        row.paid = 5  # type: ignore[assignment]
    assert row.paid_minor == 100


def test_a_missing_required_amount_is_an_error_not_zero() -> None:
    with pytest.raises(AttributeError, match="paid_minor is not set"):
        _ = Row("GBP", None).paid


def test_optional_amounts_keep_none() -> None:
    row = Row("GBP", 0)
    assert row.fee is None
    row.fee = Money("2.50", "GBP")
    assert (row.fee_minor, row.fee) == (250, Money("2.50", "GBP"))
    row.fee = None
    assert row.fee_minor is None


def test_the_class_attribute_is_the_descriptor() -> None:
    assert isinstance(Row.paid, StoredMoney)
    assert Row.paid.column == "paid_minor"
