"""Bodies of the dividend endpoints (managers declare; the close of business pays)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.iso_dates import IsoDate
from api.money import MoneyOut
from api.out import DecimalText, OutModel
from api.shares.schemas import PRODUCT_CODE_PATTERN
from creditunion.savings.dividends import DividendView
from creditunion.savings.models import DividendStatus
from ledger.money import Money


class DividendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_code: str = Field(pattern=PRODUCT_CODE_PATTERN, examples=["INSTANT"])
    period_start: IsoDate
    period_end: IsoDate = Field(description="Before the business date: the period is over.")
    pay_on: IsoDate = Field(description="The business date the close of business pays it.")
    annual_rate: str = Field(
        max_length=12,
        pattern=r"^0?\.[0-9]{1,8}$",
        description="A decimal fraction as a string, above 0 and below 1: 0.025 is 2.5%.",
        examples=["0.025"],
    )


class DividendOut(OutModel):
    id: int
    product_code: str
    period_start: dt.date
    period_end: dt.date
    pay_on: dt.date
    annual_rate: DecimalText = Field(examples=["0.025"])
    status: DividendStatus
    declared_by: str
    paid_members: int | None
    paid_total: MoneyOut | None


def dividend_out(view: DividendView, currency: str) -> DividendOut:
    """The paid total is stored in minor units of the product's currency."""
    paid = view.paid_total_minor
    return DividendOut.of(
        view, paid_total=None if paid is None else Money.from_minor(paid, currency)
    )
