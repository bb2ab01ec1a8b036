from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.money import CurrencyMismatch, InexactAmount, Money, MoneyError, UnknownCurrency

CURRENCIES = st.sampled_from(["GBP", "USD", "EUR", "JPY", "BHD", "KWD", "CLP"])
MINOR = st.integers(min_value=-(10**15), max_value=10**15)


class TestBuildingMoney:
    def test_keeps_the_exact_amount_and_currency(self) -> None:
        money = Money("125.40", "GBP")

        assert money.amount == Decimal("125.40")
        assert money.currency == "GBP"
        assert money.minor_units == 12540

    @pytest.mark.parametrize("bad", [1.5, 0.1, float("nan"), True])
    def test_refuses_floats_and_bools(self, bad: object) -> None:
        with pytest.raises(TypeError):
            Money(bad, "GBP")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("amount", "currency"), [("1.005", "GBP"), ("1.5", "JPY"), ("0.0001", "BHD")]
    )
    def test_refuses_more_decimals_than_the_currency_has(self, amount: str, currency: str) -> None:
        with pytest.raises(InexactAmount):
            Money(amount, currency)

    def test_rounds_only_when_a_mode_is_named(self) -> None:
        assert Money("1.005", "GBP", rounding=decimal.ROUND_HALF_UP) == Money("1.01", "GBP")
        assert Money("1.005", "GBP", rounding=decimal.ROUND_HALF_EVEN) == Money("1.00", "GBP")
        assert Money("-1.005", "GBP", rounding=decimal.ROUND_FLOOR) == Money("-1.01", "GBP")

    @pytest.mark.parametrize("bad", ["", "abc", "1,00", "NaN", "Infinity", "1e"])
    def test_refuses_text_that_is_not_a_finite_number(self, bad: str) -> None:
        with pytest.raises(MoneyError):
            Money(bad, "GBP")

    @pytest.mark.parametrize("bad", ["XXX", "GB", "POUND", "XAU", "123"])
    def test_refuses_codes_that_are_not_money_currencies(self, bad: str) -> None:
        with pytest.raises(UnknownCurrency):
            Money("1", bad)

    def test_uses_the_iso_4217_minor_unit(self) -> None:
        assert Money("1", "JPY").minor_units == 1
        assert Money("1", "BHD").minor_units == 1000
        assert Money("1.5", "GBP").amount == Decimal("1.50")

    def test_negative_zero_is_zero(self) -> None:
        assert str(Money("-0.00", "GBP")) == "0.00 GBP"


class TestArithmetic:
    def test_adds_and_subtracts_within_a_currency(self) -> None:
        assert Money("1.10", "GBP") + Money("2.25", "GBP") == Money("3.35", "GBP")
        assert Money("1.10", "GBP") - Money("2.25", "GBP") == Money("-1.15", "GBP")

    def test_refuses_mixing_currencies(self) -> None:
        with pytest.raises(CurrencyMismatch):
            Money("1", "GBP") + Money("1", "USD")
        with pytest.raises(CurrencyMismatch):
            _ = Money("1", "GBP") < Money("1", "USD")

    def test_different_currencies_are_never_equal(self) -> None:
        assert Money("1", "GBP") != Money("1", "USD")

    def test_multiplication_is_refused_when_it_would_round(self) -> None:
        assert Money("1.10", "GBP") * 3 == Money("3.30", "GBP")
        with pytest.raises(InexactAmount):
            Money("1.10", "GBP") * Decimal("0.333")
        with pytest.raises(TypeError):
            Money("1.10", "GBP") * 1.5  # type: ignore[operator]
        rounded = Money("1.10", "GBP").multiply(Decimal("0.333"), rounding=decimal.ROUND_HALF_EVEN)
        assert rounded == Money("0.37", "GBP")

    def test_is_immutable(self) -> None:
        money = Money("1", "GBP")
        with pytest.raises(AttributeError):
            money.amount = Decimal(2)  # type: ignore[misc]


class TestAllocation:
    def test_splits_a_pound_in_three_without_losing_a_penny(self) -> None:
        parts = Money("1.00", "GBP").allocate([1, 1, 1])

        assert parts == [Money("0.34", "GBP"), Money("0.33", "GBP"), Money("0.33", "GBP")]

    def test_gives_leftover_units_to_the_largest_remainders(self) -> None:
        parts = Money("0.07", "GBP").allocate([2, 8])

        assert parts == [Money("0.01", "GBP"), Money("0.06", "GBP")]

    def test_breaks_ties_towards_the_earliest_part(self) -> None:
        parts = Money("0.05", "GBP").allocate([3, 7])

        assert parts == [Money("0.02", "GBP"), Money("0.03", "GBP")]

    def test_refuses_bad_weights(self) -> None:
        with pytest.raises(ValueError):
            Money("1", "GBP").allocate([])
        with pytest.raises(ValueError):
            Money("1", "GBP").allocate([0, 0])
        with pytest.raises(ValueError):
            Money("1", "GBP").allocate([1, -1])
        with pytest.raises(TypeError):
            Money("1", "GBP").allocate([0.5, 0.5])  # type: ignore[list-item]

    @given(
        minor=MINOR,
        currency=CURRENCIES,
        weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(
            lambda ws: sum(ws) > 0
        ),
    )
    def test_allocation_always_sums_exactly(
        self, minor: int, currency: str, weights: list[int]
    ) -> None:
        money = Money.from_minor(minor, currency)

        parts = money.allocate(weights)

        assert sum(p.minor_units for p in parts) == minor
        assert all(p.currency == currency for p in parts)
        for part, weight in zip(parts, weights, strict=True):
            exact = Decimal(minor) * weight / sum(weights)
            assert abs(Decimal(part.minor_units) - exact) < 1
            if weight == 0:
                assert part.is_zero()


class TestMinorUnits:
    @given(minor=MINOR, currency=CURRENCIES)
    def test_round_trips_through_minor_units(self, minor: int, currency: str) -> None:
        assert Money.from_minor(minor, currency).minor_units == minor

    @given(
        amount=st.decimals(
            allow_nan=False, allow_infinity=False, places=2, max_value=10**12, min_value=-(10**12)
        )
    )
    def test_round_trips_through_text(self, amount: Decimal) -> None:
        money = Money(amount, "GBP")

        assert Money(str(money.amount), "GBP") == money
        assert Money.from_minor(money.minor_units, "GBP") == money

    @given(value=st.floats(allow_nan=True, allow_infinity=True))
    def test_any_float_is_refused(self, value: float) -> None:
        with pytest.raises(TypeError):
            Money(value, "GBP")  # type: ignore[arg-type]

    def test_from_minor_refuses_non_integers(self) -> None:
        with pytest.raises(TypeError):
            Money.from_minor(Decimal("1.5"), "GBP")  # type: ignore[arg-type]
