"""Bodies of the maker-checker endpoints: pending approvals and reversal requests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.money import MoneyOut
from creditunion.approvals.models import ApprovalKind, ApprovalStatus
from creditunion.approvals.views import ApprovalView
from ledger.money import Money

NOTE_MAX = 500


class ApprovalOut(BaseModel):
    """A request awaiting (or given) a second staff user's decision.

    A cash withdrawal names its account and amount; a reversal the entry and the reason; a
    loan write-off the loan and the reason.
    Once approved, `journal_entry_id` is the entry it posted.
    """

    id: int
    kind: ApprovalKind
    status: ApprovalStatus
    maker: str = Field(description="Who asked: `user:{id}`.", examples=["user:12"])
    requested_on: dt.date
    checker: str | None
    decided_on: dt.date | None
    decided_at: dt.datetime | None
    decision_note: str | None
    journal_entry_id: uuid.UUID | None
    share_account_id: int | None
    account_number: str | None
    amount: MoneyOut | None
    final: bool | None = Field(description="A withdrawal that empties the account to close it.")
    reference: str | None
    target_entry_id: uuid.UUID | None = Field(description="The entry a reversal undoes.")
    loan_id: int | None = Field(default=None, description="The loan a write-off writes off.")
    reason: str | None

    @classmethod
    def of(cls, view: ApprovalView) -> ApprovalOut:
        payload: dict[str, Any] = view.payload
        amount = None
        if "amount" in payload and "currency" in payload:
            amount = MoneyOut.of(Money(str(payload["amount"]), str(payload["currency"])))
        final = payload.get("final")
        return cls(
            id=view.id,
            kind=view.kind,
            status=view.status,
            maker=view.maker,
            requested_on=view.requested_on,
            checker=view.checker,
            decided_on=view.decided_on,
            decided_at=view.decided_at,
            decision_note=view.decision_note,
            journal_entry_id=view.journal_entry_id,
            share_account_id=view.share_account_id,
            account_number=_text(payload.get("account_number")),
            amount=amount,
            final=None if final is None else bool(final),
            reference=_text(payload.get("reference")),
            target_entry_id=view.target_entry_id,
            loan_id=view.loan_id,
            reason=_text(payload.get("reason")),
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=NOTE_MAX)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(max_length=NOTE_MAX, description="Why it is rejected (required).")


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_id: uuid.UUID = Field(description="The journal entry to reverse.")
    reason: str = Field(max_length=NOTE_MAX, description="Why it must be reversed.")
