"""A stored amount read and written as `Money`: the edge between BIGINT minor units and planning.

Tables keep amounts as BIGINT minor units beside a currency column, which is exact and
indexable. Code that plans postings should not see those integers: a `StoredMoney`
declared on a model reads a column's minor units as `Money` in the row's currency, and
refuses to write `Money` of another currency into it, so the conversions between
integers and money happen here, once per column.

    class Loan(Base):
        currency: Mapped[str] = mapped_column(String(3))
        recovered_minor: Mapped[int] = mapped_column(BigInteger)
        recovered = StoredMoney("recovered_minor")

    loan.recovered += payment        # Money; CurrencyMismatch if payment is not the loan's
"""

from __future__ import annotations

from typing import Final, Self, overload

from ledger.money import CurrencyMismatch, Money

CURRENCY_ATTRIBUTE: Final = "currency"


class _Stored:
    def __init__(self, column: str) -> None:
        self.column = column
        self.name = column

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def _read(self, obj: object) -> Money | None:
        minor = getattr(obj, self.column)
        return None if minor is None else Money.from_minor(minor, getattr(obj, CURRENCY_ATTRIBUTE))

    def _write(self, obj: object, value: Money | None) -> None:
        if value is not None:
            currency = getattr(obj, CURRENCY_ATTRIBUTE)
            if value.currency != currency:
                raise CurrencyMismatch(
                    f"{type(obj).__name__}.{self.name} is in {currency}, not {value.currency}"
                )
        setattr(obj, self.column, None if value is None else value.minor_units)


class StoredMoney(_Stored):
    """A NOT NULL int column `column` as Money in the row's `currency`."""

    @overload
    def __get__(self, obj: None, owner: type) -> Self: ...

    @overload
    def __get__(self, obj: object, owner: type) -> Money: ...

    def __get__(self, obj: object | None, owner: type) -> Self | Money:
        if obj is None:
            return self
        money = self._read(obj)
        if money is None:
            raise AttributeError(f"{owner.__name__}.{self.column} is not set")
        return money

    def __set__(self, obj: object, value: Money) -> None:
        if not isinstance(value, Money):
            raise TypeError(f"{self.name} takes Money, not {type(value).__name__}")
        self._write(obj, value)


class StoredOptionalMoney(_Stored):
    """A nullable int column `column` as Money in the row's `currency`, or None."""

    @overload
    def __get__(self, obj: None, owner: type) -> Self: ...

    @overload
    def __get__(self, obj: object, owner: type) -> Money | None: ...

    def __get__(self, obj: object | None, owner: type) -> Self | Money | None:
        if obj is None:
            return self
        return self._read(obj)

    def __set__(self, obj: object, value: Money | None) -> None:
        if value is not None and not isinstance(value, Money):
            raise TypeError(f"{self.name} takes Money or None, not {type(value).__name__}")
        self._write(obj, value)
