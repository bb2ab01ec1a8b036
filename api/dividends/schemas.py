"""Bodies of the dividend endpoints (managers declare; the close of business pays)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.iso_dates import IsoDate
from api.money import MoneyOut
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


class DividendOut(BaseModel):
    id: int
    product_code: str
    period_start: dt.date
    period_end: dt.date
    pay_on: dt.date
    annual_rate: str = Field(examples=["0.025"])
    status: DividendStatus
    declared_by: str
    paid_members: int | None
    paid_total: MoneyOut | None

    @classmethod
    def of(cls, view: DividendView, currency: str) -> DividendOut:
        return cls(
            id=view.id,
            product_code=view.product_code,
            period_start=view.period_start,
            period_end=view.period_end,
            pay_on=view.pay_on,
            annual_rate=format(view.annual_rate.normalize(), "f"),
            status=view.status,
            declared_by=view.declared_by,
            paid_members=view.paid_members,
            paid_total=None
            if view.paid_total_minor is None
            else MoneyOut.of(Money.from_minor(view.paid_total_minor, currency)),
        )
