"""Money on the wire: `{"amount": "125.40", "currency": "GBP"}`, the amount always a string.

A JSON number (int or float) is refused, not converted: binary floating point never
touches money, and accepting ints only would make clients' code work until the first
pence. So are more decimals than the currency has, exponents, NaN and infinities, signs
other than a leading minus, and unknown currencies. `PositiveMoney` refuses zero and
negative amounts too.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Final, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ledger.money import Money, MoneyError, minor_unit_exponent

AMOUNT_PATTERN: Final = r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)
_MINOR_UNITS_MAX: Final = 2**63 - 1

Currency = Annotated[
    StrictStr,
    Field(
        min_length=3,
        max_length=3,
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 currency code, upper case.",
        examples=["GBP"],
    ),
]


class MoneyIn(BaseModel):
    """An amount sent by a client. Convert with `.to_money()`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The currency is validated first so the amount's decimals can be checked against it.
    currency: Currency
    amount: StrictStr = Field(
        description="Decimal amount as a JSON string, at most the currency's minor-unit decimals.",
        examples=["125.40"],
        json_schema_extra={"pattern": AMOUNT_PATTERN},
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            minor_unit_exponent(value)
        except MoneyError as exc:
            raise ValueError(f"{value} is not an ISO 4217 currency with a minor unit") from exc
        return value

    @field_validator("amount")
    @classmethod
    def _exact_amount(cls, value: str, info: ValidationInfo) -> str:
        if not _AMOUNT.match(value):
            raise ValueError(
                'must be a decimal number written as a string, such as "125.40" '
                "(no exponent, no plus sign, no spaces)"
            )
        currency = info.data.get("currency")
        if currency is None:
            return value  # the currency's own error is reported
        exponent = minor_unit_exponent(currency)
        decimals = len(value.partition(".")[2])
        if decimals > exponent:
            raise ValueError(f"{currency} amounts have at most {exponent} decimal places")
        if abs(Decimal(value).scaleb(exponent)) > _MINOR_UNITS_MAX:
            raise ValueError("the amount is too large")
        cls._check_sign(Decimal(value))
        return value

    @classmethod
    def _check_sign(cls, amount: Decimal) -> None:
        """Subclasses refuse signs they do not accept."""

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


class PositiveMoney(MoneyIn):
    """An amount that must be greater than zero (a deposit, a withdrawal, a transfer)."""

    @classmethod
    def _check_sign(cls, amount: Decimal) -> None:
        if amount <= 0:
            raise ValueError("must be greater than zero")


class MoneyOut(BaseModel):
    """An amount sent to a client: the amount has exactly the currency's decimals."""

    model_config = ConfigDict(frozen=True)

    amount: str = Field(examples=["125.40"], pattern=AMOUNT_PATTERN)
    currency: str = Field(examples=["GBP"], pattern=r"^[A-Z]{3}$")

    # A response model's MoneyOut field is filled from Money directly (see api.out).
    @model_validator(mode="before")
    @classmethod
    def _from_money(cls, value: object) -> object:
        if isinstance(value, Money):
            return {"amount": format(value.amount, "f"), "currency": value.currency}
        return value

    @classmethod
    def of(cls, money: Money) -> Self:
        return cls.model_validate(money)

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


def money_out(money: Money) -> MoneyOut:
    return MoneyOut.of(money)
