"""Money on the wire: strings only, exact to the currency, positive where it must be."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.money import MoneyIn, MoneyOut, PositiveMoney
from ledger.money import Money


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"amount": "125.40", "currency": "GBP"}, Money("125.40", "GBP")),
        ({"amount": "125.4", "currency": "GBP"}, Money("125.40", "GBP")),
        ({"amount": "7", "currency": "JPY"}, Money("7", "JPY")),
        ({"amount": "0.125", "currency": "BHD"}, Money("0.125", "BHD")),
        ({"amount": "-3.00", "currency": "EUR"}, Money("-3", "EUR")),
    ],
)
def test_valid_amounts_convert_exactly(payload: dict[str, Any], expected: Money) -> None:
    assert MoneyIn.model_validate(payload).to_money() == expected
    assert MoneyIn.model_validate_json(__import__("json").dumps(payload)).to_money() == expected


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": 125.4, "currency": "GBP"}, "amount"),
        ({"amount": 125, "currency": "GBP"}, "amount"),
        ({"amount": True, "currency": "GBP"}, "amount"),
        ({"amount": "1.234", "currency": "GBP"}, "amount"),
        ({"amount": "1.5", "currency": "JPY"}, "amount"),
        ({"amount": "NaN", "currency": "GBP"}, "amount"),
        ({"amount": "Infinity", "currency": "GBP"}, "amount"),
        ({"amount": "1e3", "currency": "GBP"}, "amount"),
        ({"amount": "+1.00", "currency": "GBP"}, "amount"),
        ({"amount": " 1.00", "currency": "GBP"}, "amount"),
        ({"amount": "1,000.00", "currency": "GBP"}, "amount"),
        ({"amount": "01.00", "currency": "GBP"}, "amount"),
        ({"amount": "", "currency": "GBP"}, "amount"),
        ({"amount": "99999999999999999.99", "currency": "GBP"}, "amount"),
        ({"amount": "1.00", "currency": "XXX"}, "currency"),
        ({"amount": "1.00", "currency": "ZZZ"}, "currency"),
        ({"amount": "1.00", "currency": "gbp"}, "currency"),
        ({"amount": "1.00"}, "currency"),
        ({"currency": "GBP"}, "amount"),
        ({"amount": "1.00", "currency": "GBP", "extra": 1}, "extra"),
    ],
)
def test_invalid_amounts_are_refused_at_the_right_field(
    payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        MoneyIn.model_validate_json(__import__("json").dumps(payload))
    assert field in {str(e["loc"][0]) for e in caught.value.errors()}


@pytest.mark.parametrize("amount", ["0", "0.00", "-0.01", "-5"])
def test_positive_money_refuses_zero_and_negatives(amount: str) -> None:
    with pytest.raises(ValidationError, match="greater than zero"):
        PositiveMoney.model_validate({"amount": amount, "currency": "GBP"})
    assert (
        PositiveMoney.model_validate({"amount": "0.01", "currency": "GBP"}).to_money().is_positive()
    )


def test_money_out_has_exactly_the_currencys_decimals() -> None:
    assert MoneyOut.of(Money("5", "GBP")).model_dump() == {"amount": "5.00", "currency": "GBP"}
    assert MoneyOut.of(Money("-0.00", "GBP")).amount == "0.00"
    assert MoneyOut.of(Money("1200", "JPY")).amount == "1200"
    assert MoneyOut.of(Money(Decimal("1E+3"), "GBP")).amount == "1000.00"
    assert MoneyOut.of(Money("0.125", "BHD")).to_money() == Money("0.125", "BHD")


def test_through_the_api(client: TestClient) -> None:
    ok = client.post("/v1/_test/money", json={"amount": "10.5", "currency": "GBP"})
    assert ok.json() == {"amount": "10.50", "currency": "GBP"}
    for bad in ({"amount": 10.5, "currency": "GBP"}, {"amount": "0", "currency": "GBP"}):
        response = client.post("/v1/_test/money", json=bad)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/amount"
