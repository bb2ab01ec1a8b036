"""Bodies of the audit endpoints: a verification report and the day seals."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field, model_validator

from api.out import HexText, OutModel
from ledger.chain import CurrencyTotal
from ledger.export.report import minor_to_decimal
from ledger.verify import BreakKind


class BreakOut(OutModel):
    kind: BreakKind = Field(description="What broke (see docs/exports.md).")
    business_date: dt.date | None = Field(description="The day, when the break has one.")
    entry_id: uuid.UUID | None = Field(description="The entry, when the break is at one.")
    sequence_no: int | None
    detail: str


class VerifyOut(OutModel):
    ok: bool = Field(description="True when no break was found.")
    from_date: dt.date = Field(serialization_alias="from")
    to_date: dt.date = Field(serialization_alias="to")
    sealed_through: dt.date | None = Field(
        description="The last sealed day; days after it in the range are not chain-verified."
    )
    days_verified: int
    entries_verified: int
    postings_verified: int
    first_break: BreakOut | None = Field(
        description="The first break in date and sequence order, or null."
    )


class SealTotalOut(OutModel):
    currency: str = Field(examples=["GBP"])
    debit: str = Field(description="The day's debits, a decimal string.", examples=["125.40"])
    credit: str = Field(description="The day's credits, a decimal string.", examples=["125.40"])

    @model_validator(mode="before")
    @classmethod
    def _from_minor_units(cls, value: object) -> object:
        if not isinstance(value, CurrencyTotal):
            return value
        return {
            "currency": value.currency,
            "debit": str(minor_to_decimal(value.debit_minor, value.currency)),
            "credit": str(minor_to_decimal(value.credit_minor, value.currency)),
        }


class SealOut(OutModel):
    business_date: dt.date
    seal_hash: HexText = Field(description="SHA-256, lower-case hex.", pattern=r"^[0-9a-f]{64}$")
    previous_seal_hash: HexText = Field(pattern=r"^[0-9a-f]{64}$")
    last_link: HexText = Field(
        description="The chain's link after the day's last entry.", pattern=r"^[0-9a-f]{64}$"
    )
    entry_count: int
    posting_count: int
    first_sequence_no: int | None
    last_sequence_no: int | None
    totals: list[SealTotalOut]
    sealed_at: dt.datetime
    sealed_by: str
