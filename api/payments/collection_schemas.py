"""Bodies of the direct-debit endpoints: mandates, their collections and notices, the
advices of members' banks, and the collections dashboard."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from api.domain import ID_MAX
from api.money import MoneyOut
from api.out import OutModel
from creditunion.payments.collections.codes import ADDACS
from creditunion.payments.collections.commands import ADVICES_MAX
from creditunion.payments.collections.models import (
    CancelledBy,
    CollectionStatus,
    MandateStatus,
    NoticeReason,
)
from creditunion.payments.collections.queries import CollectionsDashboard
from creditunion.payments.collections.views import MandateView
from creditunion.payments.models import Scheme
from ledger.money import Money

# Every ADDACS reason code: those that end an instruction are applied (`codes.ADDACS`); an
# amended (E) or reinstated (R) instruction is a known code that needs a person (409).
ADDACS_CODES: Final = "".join(sorted({*ADDACS, "E", "R"}))
# Bacs references: 6 to 18 of upper-case letters, digits, space, full stop, ampersand,
# slash and hyphen.
REFERENCE_PATTERN: Final = r"^[A-Za-z0-9 .&/-]{6,18}$"


class MandateIn(BaseModel):
    """A direct debit on one of the member's active loans, from their nominated account."""

    model_config = ConfigDict(extra="forbid")

    loan_id: StrictInt = Field(
        ge=1, le=ID_MAX, description="The loan whose instalments are collected.", examples=[1]
    )
    represent_agreed: StrictBool = Field(
        description="The member agrees that a collection their bank did not pay may be asked "
        "for again, where the scheme allows it."
    )


class MandateOut(OutModel):
    """A direct-debit mandate; the account number is masked."""

    id: int
    reference: str = Field(description="The reference the member's bank knows it by.")
    member_id: int
    loan_id: int
    scheme: Scheme
    holder_name: str
    bank_id: str = Field(description="The sort code (6 digits) or routing number (9 digits).")
    account_number_masked: str = Field(examples=["****9911"])
    status: MandateStatus
    represent_agreed: bool
    signed_on: dt.date
    channel: str = Field(description="`app` (the member) or `branch` (staff).")
    suspended_on: dt.date | None
    cancelled_on: dt.date | None
    cancelled_by: CancelledBy | None
    cancel_reason: str | None

    @model_validator(mode="before")
    @classmethod
    def _masked(cls, value: object) -> object:
        if not isinstance(value, MandateView):
            return value
        shown = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return shown | {"account_number_masked": "****" + value.account_ending}


class CollectionOut(OutModel):
    """One attempt to collect one instalment: `scheduled` (the member was told), `sent` (in
    a file given to the bank), `collected`, `unpaid` (with the bank's reason) or
    `cancelled` (never sent)."""

    id: int
    mandate_id: int
    member_id: int
    loan_id: int
    instalment_number: int
    attempt: int
    status: CollectionStatus
    amount: MoneyOut
    collection_date: dt.date
    notice_id: int = Field(description="The notice that told the member of it.")
    end_to_end_id: str
    file_id: int | None
    reason_code: str | None = Field(description="Unpaid: the ISO 20022 or NACHA reason code.")
    reason_text: str | None = Field(description="Unpaid: the Bacs ARUDD code and its meaning.")


class NoticeOut(OutModel):
    """What the member was told about their collections, and when."""

    id: int
    mandate_id: int
    loan_id: int
    reason: NoticeReason
    given_on: dt.date
    text: str


class AdviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(
        pattern=REFERENCE_PATTERN,
        description="The mandate's reference, as the advice names it.",
        examples=["CU3F2A9B01C4D5E6"],
    )
    code: str = Field(
        pattern=f"^[{ADDACS_CODES}]$",
        description=f"The ADDACS reason code. {', '.join(sorted(ADDACS))} cancel the mandate; "
        "E and R are refused (409): a person acts on them.",
        examples=["1"],
    )


class AdvicesIn(BaseModel):
    """The advices of one ADDACS report, applied all together or not at all."""

    model_config = ConfigDict(extra="forbid")

    advices: list[AdviceIn] = Field(min_length=1, max_length=ADVICES_MAX)


class AppliedAdviceOut(BaseModel):
    reference: str
    code: str
    mandate: MandateOut = Field(description="The mandate as it now is: cancelled by the bank.")


class AdvicesOut(BaseModel):
    applied: list[AppliedAdviceOut]


class StatusFiguresOut(OutModel):
    status: CollectionStatus
    count: int
    amount: MoneyOut


class ReasonFiguresOut(OutModel):
    reason_code: str
    reason_text: str
    count: int
    amount: MoneyOut


class DashboardOut(OutModel):
    """Collections dated in the period (inclusive), by status, and those unpaid by reason;
    and every mandate by its status now. Amounts are in the credit union's currency."""

    model_config = ConfigDict(populate_by_name=True)

    from_date: dt.date = Field(serialization_alias="from")
    to_date: dt.date = Field(serialization_alias="to")
    by_status: list[StatusFiguresOut] = Field(description="Every status, in lifecycle order.")
    unpaid_by_reason: list[ReasonFiguresOut] = Field(description="The most frequent first.")
    mandates_by_status: dict[MandateStatus, int]

    @classmethod
    def of_dashboard(cls, dashboard: CollectionsDashboard, *, currency: str) -> DashboardOut:
        """Every status shown, a status with no collection or mandate as zero."""
        found = {figures.status: figures for figures in dashboard.by_status}
        by_status = [
            StatusFiguresOut.of(found[status])
            if status in found
            else StatusFiguresOut(status=status, count=0, amount=MoneyOut.of(Money.zero(currency)))
            for status in CollectionStatus
        ]
        mandates = {status: dashboard.mandates_by_status.get(status, 0) for status in MandateStatus}
        return cls.of(dashboard, by_status=by_status, mandates_by_status=mandates)
