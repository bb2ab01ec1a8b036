"""Exact money: a `Decimal` amount in an ISO 4217 currency, never a float.

Amounts are held at exactly the currency's minor unit (2 places for GBP, 0 for JPY,
3 for BHD). Anything that would need rounding to get there is refused unless the caller
names a rounding mode, so no rounding ever happens by accident.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Final

import iso4217

from ledger.errors import Refused

# Enough digits for any BIGINT of minor units plus a generous fractional part, so that
# quantize never fails for lack of precision on an amount we could store.
_CONTEXT: Final = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)
ROUNDING_MODES: Final = frozenset(
    {
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_UP,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_DOWN,
        decimal.ROUND_UP,
        decimal.ROUND_FLOOR,
        decimal.ROUND_CEILING,
    }
)
ALLOCATE_PARTS_MAX: Final = 1_000_000


class MoneyError(Refused, ValueError):
    """Base for every refusal to build or combine money."""


class UnknownCurrency(MoneyError):
    pass


class InexactAmount(MoneyError):
    """The amount has more decimals than the currency's minor unit and no rounding was named."""


class CurrencyMismatch(MoneyError):
    pass


@lru_cache(maxsize=512)
def minor_unit_exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit, per ISO 4217."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise UnknownCurrency(f"currency must be a 3-letter ISO 4217 code, got {currency!r}")
    try:
        exponent = iso4217.Currency(currency.upper()).exponent
    except ValueError as exc:
        raise UnknownCurrency(f"{currency!r} is not an ISO 4217 currency") from exc
    if exponent is None:
        raise UnknownCurrency(f"{currency!r} has no minor unit and cannot hold money")
    return int(exponent)


def _to_decimal(value: object) -> Decimal:
    # bool is an int subclass; True pounds is a bug, not an amount.
    if isinstance(value, float | bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(
            f"money amounts are built from str, int or Decimal, not {type(value).__name__}"
        )
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation as exc:
            raise MoneyError(f"{value!r} is not a decimal number") from exc
    else:
        result = Decimal(value)
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return result


def _check_rounding(rounding: str | None) -> None:
    if rounding is not None and rounding not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rounding!r}")


class Money:
    """An immutable amount of one currency, exact to the currency's minor unit."""

    __slots__ = ("_amount", "_currency")
    _amount: Decimal
    _currency: str

    def __init__(
        self, amount: str | int | Decimal, currency: str, *, rounding: str | None = None
    ) -> None:
        _check_rounding(rounding)
        exponent = minor_unit_exponent(currency)
        raw = _to_decimal(amount)
        quantum = Decimal(1).scaleb(-exponent)
        exact = raw.quantize(
            quantum, rounding=rounding or decimal.ROUND_HALF_EVEN, context=_CONTEXT
        )
        if rounding is None and exact != raw:
            raise InexactAmount(
                f"{raw} has more than {exponent} decimal places for {currency.upper()}; "
                "name a rounding mode to round it"
            )
        # -0.00 and 0.00 are the same money.
        object.__setattr__(self, "_amount", exact if exact else abs(exact))
        object.__setattr__(self, "_currency", currency.upper())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    @property
    def amount(self) -> Decimal:
        return self._amount

    @property
    def currency(self) -> str:
        return self._currency

    @property
    def exponent(self) -> int:
        return minor_unit_exponent(self._currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_minor(cls, minor_units: int, currency: str) -> Money:
        if isinstance(minor_units, bool) or not isinstance(minor_units, int):
            raise TypeError(f"minor units must be an int, not {type(minor_units).__name__}")
        return cls(Decimal(minor_units).scaleb(-minor_unit_exponent(currency)), currency)

    @property
    def minor_units(self) -> int:
        scaled = self._amount.scaleb(self.exponent, context=_CONTEXT)
        assert scaled == scaled.to_integral_value(), "Money holds more precision than its unit"
        return int(scaled)

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other._currency != self._currency:
            raise CurrencyMismatch(f"cannot combine {self._currency} with {other._currency}")
        return other

    def __add__(self, other: Money) -> Money:
        other = self._same_currency(other)
        return Money(self._amount + other._amount, self._currency)

    def __sub__(self, other: Money) -> Money:
        other = self._same_currency(other)
        return Money(self._amount - other._amount, self._currency)

    def __neg__(self) -> Money:
        return Money(-self._amount, self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self._amount), self._currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        """Multiply by an int or Decimal; refused if the product needs rounding."""
        return self.multiply(factor)

    __rmul__ = __mul__

    def multiply(self, factor: int | Decimal, *, rounding: str | None = None) -> Money:
        if isinstance(factor, float | bool) or not isinstance(factor, int | Decimal):
            raise TypeError(f"money is multiplied by int or Decimal, not {type(factor).__name__}")
        _check_rounding(rounding)
        return Money(
            _CONTEXT.multiply(self._amount, Decimal(factor)), self._currency, rounding=rounding
        )

    def allocate(self, weights: Sequence[int | Decimal]) -> list[Money]:
        """Split into parts proportional to `weights`, losing and creating no minor unit.

        Largest-remainder method: each part gets the floor of its exact share, then the
        minor units left over go one each to the largest remainders (earliest part on a tie).
        """
        if not weights:
            raise ValueError("allocate needs at least one weight")
        if len(weights) > ALLOCATE_PARTS_MAX:
            raise ValueError(f"allocate takes at most {ALLOCATE_PARTS_MAX} parts")
        exact_weights = [_weight(w) for w in weights]
        total_weight = sum(exact_weights, Decimal(0))
        if total_weight <= 0:
            raise ValueError("allocate needs a positive total weight")
        units = self.minor_units
        sign = -1 if units < 0 else 1
        magnitude = abs(units)
        shares = [_CONTEXT.divide(magnitude * w, total_weight) for w in exact_weights]
        floors = [int(s.to_integral_value(rounding=decimal.ROUND_FLOOR)) for s in shares]
        leftover = magnitude - sum(floors)
        order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
        for index in order[:leftover]:
            floors[index] += 1
        parts = [Money.from_minor(sign * f, self._currency) for f in floors]
        assert sum(p.minor_units for p in parts) == units, "allocation lost or created a unit"
        return parts

    def _compare_key(self, other: object) -> Decimal:
        return self._same_currency(other)._amount

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency == other._currency and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((self._currency, self._amount))

    def __lt__(self, other: Money) -> bool:
        return self._amount < self._compare_key(other)

    def __le__(self, other: Money) -> bool:
        return self._amount <= self._compare_key(other)

    def __gt__(self, other: Money) -> bool:
        return self._amount > self._compare_key(other)

    def __ge__(self, other: Money) -> bool:
        return self._amount >= self._compare_key(other)

    def __bool__(self) -> bool:
        return bool(self._amount)

    def is_zero(self) -> bool:
        return not self._amount

    def is_positive(self) -> bool:
        return self._amount > 0

    def is_negative(self) -> bool:
        return self._amount < 0

    def __repr__(self) -> str:
        return f"Money({str(self._amount)!r}, {self._currency!r})"

    def __str__(self) -> str:
        return f"{self._amount} {self._currency}"

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (str(self._amount), self._currency))


def _weight(weight: int | Decimal) -> Decimal:
    if isinstance(weight, float | bool) or not isinstance(weight, int | Decimal):
        raise TypeError(f"weights are int or Decimal, not {type(weight).__name__}")
    value = Decimal(weight)
    if not value.is_finite() or value < 0:
        raise ValueError(f"weights must be finite and non-negative, got {weight}")
    return value
