"""Bodies of the maker-checker endpoints: pending approvals and reversal requests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.money import MoneyOut
from api.out import OutModel
from creditunion.approvals.models import ApprovalKind, ApprovalStatus
from creditunion.approvals.views import ApprovalView
from ledger.money import Money

NOTE_MAX = 500


class ApprovalOut(OutModel):
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
    payment_id: int | None = Field(default=None, description="The payment out it releases.")
    payee_name: str | None = Field(default=None, description="Who a payment out pays.")
    payee_account: str | None = Field(
        default=None,
        description="Where a payment out goes: sort code or routing number, masked account.",
        examples=["200000 ****9911"],
    )

    @model_validator(mode="before")
    @classmethod
    def _with_payload(cls, value: object) -> object:
        """What differs by kind (account, amount, reference, reason) is in the payload."""
        if not isinstance(value, ApprovalView):
            return value
        payload: dict[str, Any] = value.payload
        fields = {name: getattr(value, name) for name in cls.model_fields if hasattr(value, name)}
        amount = None
        if "amount" in payload and "currency" in payload:
            amount = Money(str(payload["amount"]), str(payload["currency"]))
        final = payload.get("final")
        payment_id = payload.get("payment_id")
        return fields | {
            "amount": amount,
            "account_number": _text(payload.get("account_number")),
            "final": None if final is None else bool(final),
            "reference": _text(payload.get("reference")),
            "reason": _text(payload.get("reason")),
            "payment_id": None if payment_id is None else int(payment_id),
            "payee_name": _text(payload.get("creditor_name")),
            "payee_account": _text(payload.get("to")),
        }


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
