"""Bodies of the audit endpoints: a verification report and the day seals."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from creditunion.exports.service import Verification
from ledger.chain import CurrencyTotal
from ledger.export.report import minor_to_decimal
from ledger.seal import SealView
from ledger.verify import Break, BreakKind


class BreakOut(BaseModel):
    kind: BreakKind = Field(description="What broke (see docs/exports.md).")
    business_date: dt.date | None = Field(description="The day, when the break has one.")
    entry_id: uuid.UUID | None = Field(description="The entry, when the break is at one.")
    sequence_no: int | None
    detail: str

    @classmethod
    def of(cls, found: Break) -> BreakOut:
        return cls(
            kind=found.kind,
            business_date=found.business_date,
            entry_id=found.entry_id,
            sequence_no=found.sequence_no,
            detail=found.detail,
        )


class VerifyOut(BaseModel):
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

    @classmethod
    def of(cls, verification: Verification) -> VerifyOut:
        report = verification.report
        assert report.from_date is not None and report.to_date is not None
        return cls(
            ok=report.ok,
            from_date=report.from_date,
            to_date=report.to_date,
            sealed_through=verification.sealed_through,
            days_verified=report.days_verified,
            entries_verified=report.entries_verified,
            postings_verified=report.postings_verified,
            first_break=None if report.first_break is None else BreakOut.of(report.first_break),
        )


class SealTotalOut(BaseModel):
    currency: str = Field(examples=["GBP"])
    debit: str = Field(description="The day's debits, a decimal string.", examples=["125.40"])
    credit: str = Field(description="The day's credits, a decimal string.", examples=["125.40"])

    @classmethod
    def of(cls, total: CurrencyTotal) -> SealTotalOut:
        return cls(
            currency=total.currency,
            debit=str(minor_to_decimal(total.debit_minor, total.currency)),
            credit=str(minor_to_decimal(total.credit_minor, total.currency)),
        )


class SealOut(BaseModel):
    business_date: dt.date
    seal_hash: str = Field(description="SHA-256, lower-case hex.", pattern=r"^[0-9a-f]{64}$")
    previous_seal_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    last_link: str = Field(
        description="The chain's link after the day's last entry.", pattern=r"^[0-9a-f]{64}$"
    )
    entry_count: int
    posting_count: int
    first_sequence_no: int | None
    last_sequence_no: int | None
    totals: list[SealTotalOut]
    sealed_at: dt.datetime
    sealed_by: str

    @classmethod
    def of(cls, seal: SealView) -> SealOut:
        return cls(
            business_date=seal.business_date,
            seal_hash=seal.seal_hash.hex(),
            previous_seal_hash=seal.previous_seal_hash.hex(),
            last_link=seal.last_link.hex(),
            entry_count=seal.entry_count,
            posting_count=seal.posting_count,
            first_sequence_no=seal.first_sequence_no,
            last_sequence_no=seal.last_sequence_no,
            totals=[SealTotalOut.of(t) for t in seal.totals],
            sealed_at=seal.sealed_at,
            sealed_by=seal.sealed_by,
        )
