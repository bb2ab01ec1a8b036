"""Share products as data: definitions, their checks, withdrawal windows (pure).

The three standard products seeded by `creditunion init` are at the bottom.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from creditunion.field_problems import FieldError, Problems
from creditunion.members.dates import age_on
from creditunion.members.text import clean_text
from creditunion.shares.models import PostingFrequency, ProductKind, ReturnBasis
from ledger.money import Money, MoneyError, minor_unit_exponent
from loans.daycount import DayCount

WINDOWS_MAX: Final = 12
_CODE: Final = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
_MONTH_DAY: Final = re.compile(r"([0-9]{2})-([0-9]{2})")
# 2024 is a leap year: any month-day that exists in some year exists in it.
_LEAP_YEAR: Final = 2024


@dataclass(frozen=True, slots=True, order=True)
class MonthDay:
    month: int
    day: int

    @classmethod
    def parse(cls, raw: object) -> MonthDay:
        if not isinstance(raw, str) or not (match := _MONTH_DAY.fullmatch(raw)):
            raise FieldError("a window bound is written MM-DD, e.g. 11-01")
        month, day = int(match[1]), int(match[2])
        try:
            dt.date(_LEAP_YEAR, month, day)
        except ValueError:
            raise FieldError(f"{raw} is not a day of the year") from None
        return cls(month, day)

    @classmethod
    def of(cls, date: dt.date) -> MonthDay:
        return cls(date.month, date.day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True, slots=True)
class WithdrawalWindow:
    """Inclusive month-day range; a start after the end wraps the year (12-01 to 01-15)."""

    start: MonthDay
    end: MonthDay

    def contains(self, date: dt.date) -> bool:
        day = MonthDay.of(date)
        if self.start <= self.end:
            return self.start <= day <= self.end
        return day >= self.start or day <= self.end

    def as_json(self) -> dict[str, str]:
        return {"from": str(self.start), "to": str(self.end)}


def parse_windows(raw: object) -> tuple[WithdrawalWindow, ...] | None:
    """Windows from their JSON form ([{"from": "11-01", "to": "12-31"}]); None: any time."""
    if raw is None:
        return None
    if not isinstance(raw, list | tuple) or not 1 <= len(raw) <= WINDOWS_MAX:
        raise FieldError(f"give 1 to {WINDOWS_MAX} windows, or none for withdrawals at any time")
    windows = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"from", "to"}:
            raise FieldError('each window is {"from": "MM-DD", "to": "MM-DD"}')
        windows.append(WithdrawalWindow(MonthDay.parse(item["from"]), MonthDay.parse(item["to"])))
    return tuple(windows)


def withdrawals_open(windows: Sequence[WithdrawalWindow] | None, on: dt.date) -> bool:
    return windows is None or any(window.contains(on) for window in windows)


def age_allows(maximum_age_years: int | None, date_of_birth: dt.date, on: dt.date) -> bool:
    """Whether someone born on `date_of_birth` is under the product's age limit on `on`."""
    return maximum_age_years is None or age_on(date_of_birth, on) < maximum_age_years


@dataclass(frozen=True, slots=True)
class ProductDefinition:
    """A share product as a manager defines it; amounts and the rate as decimal strings."""

    code: str
    name: str
    kind: ProductKind | str
    currency: str
    minimum_balance: str
    maximum_balance: str | None
    return_basis: ReturnBasis | str
    posting_frequency: PostingFrequency | str
    annual_rate: str | None = None  # "0.0125" is 1.25% a year; only for the interest basis
    day_count: DayCount | str = DayCount.ACT_365_FIXED
    withdrawal_windows: list[dict[str, str]] | None = None
    maximum_age_years: int | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class ValidProduct:
    code: str
    name: str
    kind: ProductKind
    currency: str
    minimum_balance: Money
    maximum_balance: Money | None
    return_basis: ReturnBasis
    posting_frequency: PostingFrequency
    annual_rate: Decimal | None
    day_count: DayCount
    withdrawal_windows: tuple[WithdrawalWindow, ...] | None
    maximum_age_years: int | None
    active: bool = field(default=True)


def _enum(cls: Any, raw: object) -> Any:
    try:
        return cls(raw)
    except ValueError:
        raise FieldError(f"must be one of {', '.join(m.value for m in cls)}") from None


def _money(raw: object, currency: str) -> Money:
    if not isinstance(raw, str):
        raise FieldError("must be a decimal string such as '1.00'")
    try:
        amount = Money(raw, currency)
    except (MoneyError, ValueError) as exc:
        raise FieldError(str(exc)) from None
    if amount.is_negative():
        raise FieldError("must not be negative")
    return amount


def _rate(raw: object) -> Decimal:
    if not isinstance(raw, str) or len(raw) > 20:
        raise FieldError("must be a decimal string such as '0.0125'")
    try:
        rate = Decimal(raw)
    except InvalidOperation:
        raise FieldError("must be a decimal string such as '0.0125'") from None
    if not rate.is_finite() or not 0 <= rate < 1:
        raise FieldError("must be at least 0 and below 1 (a fraction: 0.0125 is 1.25%)")
    if rate.as_tuple().exponent < -8:  # type: ignore[operator]
        raise FieldError("has more than 8 decimal places")
    return rate


def validate_product(definition: ProductDefinition) -> ValidProduct:
    """The definition checked field by field, or `ValidationProblem` listing every problem."""
    d = definition
    problems = Problems()

    def check(name: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except FieldError as exc:
            problems.add(name, str(exc))
            return None

    code = d.code.strip().upper() if isinstance(d.code, str) else ""
    if not _CODE.fullmatch(code):
        problems.add("code", "must be 2-32 letters, digits or _, starting with a letter")
    name = check("name", lambda: clean_text(d.name, max_length=100))
    kind = check("kind", _enum, ProductKind, d.kind)
    currency = d.currency.upper() if isinstance(d.currency, str) else ""
    try:
        minor_unit_exponent(currency)
    except MoneyError:
        problems.add("currency", "must be an ISO 4217 currency code such as GBP")
        currency = ""
    minimum = check("minimum_balance", _money, d.minimum_balance, currency) if currency else None
    maximum = None
    if currency and d.maximum_balance is not None:
        maximum = check("maximum_balance", _money, d.maximum_balance, currency)
        if maximum is not None and minimum is not None and maximum <= minimum:
            problems.add("maximum_balance", "must be above the minimum balance")
    basis = check("return_basis", _enum, ReturnBasis, d.return_basis)
    rate = None
    if basis is ReturnBasis.INTEREST:
        if d.annual_rate is None:
            problems.add("annual_rate", "is required for the interest basis")
        else:
            rate = check("annual_rate", _rate, d.annual_rate)
    elif basis is ReturnBasis.DIVIDEND and d.annual_rate is not None:
        problems.add("annual_rate", "is declared per period for the dividend basis, not fixed")
    frequency = check("posting_frequency", _enum, PostingFrequency, d.posting_frequency)
    day_count = check("day_count", _enum, DayCount, d.day_count)
    windows = check("withdrawal_windows", parse_windows, d.withdrawal_windows)
    if kind is ProductKind.CHRISTMAS_SAVER and windows is None:
        problems.add("withdrawal_windows", "a Christmas saver needs a withdrawal window")
    age = d.maximum_age_years
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= 25
    ):
        problems.add("maximum_age_years", "must be a whole number of years from 1 to 25")
    if kind is ProductKind.JUNIOR_SAVER and age is None:
        problems.add("maximum_age_years", "a junior saver needs an age limit (18: under 18)")
    problems.raise_if_any()
    assert minimum is not None
    return ValidProduct(
        code=code,
        name=name,
        kind=kind,
        currency=currency,
        minimum_balance=minimum,
        maximum_balance=maximum,
        return_basis=basis,
        posting_frequency=frequency,
        annual_rate=rate,
        day_count=day_count,
        withdrawal_windows=windows,
        maximum_age_years=age,
        active=bool(d.active),
    )


INSTANT_ACCESS: Final = "INSTANT"
CHRISTMAS_SAVER: Final = "XMAS"
JUNIOR_SAVER: Final = "JUNIOR"


def standard_products(currency: str) -> tuple[ProductDefinition, ...]:
    """The products `creditunion init` seeds; a manager may add others or deactivate these.

    Instant-access shares carry the £1 membership share (the minimum a member must hold)
    and earn a declared dividend, as UK credit unions pay on shares.
    """
    return (
        ProductDefinition(
            code=INSTANT_ACCESS,
            name="Instant access shares",
            kind=ProductKind.INSTANT_ACCESS,
            currency=currency,
            minimum_balance="1.00",
            maximum_balance="50000.00",
            return_basis=ReturnBasis.DIVIDEND,
            posting_frequency=PostingFrequency.ANNUALLY,
        ),
        ProductDefinition(
            code=CHRISTMAS_SAVER,
            name="Christmas saver",
            kind=ProductKind.CHRISTMAS_SAVER,
            currency=currency,
            minimum_balance="0.00",
            maximum_balance="5000.00",
            return_basis=ReturnBasis.INTEREST,
            annual_rate="0.0100",
            posting_frequency=PostingFrequency.ANNUALLY,
            withdrawal_windows=[{"from": "11-01", "to": "12-31"}],
        ),
        ProductDefinition(
            code=JUNIOR_SAVER,
            name="Junior saver",
            kind=ProductKind.JUNIOR_SAVER,
            currency=currency,
            minimum_balance="0.00",
            maximum_balance="10000.00",
            return_basis=ReturnBasis.INTEREST,
            annual_rate="0.0200",
            posting_frequency=PostingFrequency.MONTHLY,
            maximum_age_years=18,
        ),
    )
