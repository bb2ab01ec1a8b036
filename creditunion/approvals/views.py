"""What the approval services return."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from creditunion.approvals.models import ApprovalKind, ApprovalStatus, PendingApproval


@dataclass(frozen=True, slots=True)
class ApprovalView:
    id: int
    kind: ApprovalKind
    status: ApprovalStatus
    payload: dict[str, Any]  # what will be done: see `withdrawal_payload` / `reversal_payload`
    idempotency_key: str
    maker: str
    requested_on: dt.date
    checker: str | None
    decided_on: dt.date | None
    decided_at: dt.datetime | None
    decision_note: str | None
    journal_entry_id: uuid.UUID | None  # set once approved: the entry it posted
    share_account_id: int | None
    target_entry_id: uuid.UUID | None
    loan_id: int | None = None  # the loan a write-off request writes off
    replayed: bool = False  # the request's idempotency key had already created it

    @classmethod
    def of(cls, row: PendingApproval, *, replayed: bool = False) -> ApprovalView:
        return cls(
            id=row.id,
            kind=row.kind,
            status=row.status,
            payload=dict(row.payload),
            idempotency_key=row.idempotency_key,
            maker=row.maker,
            requested_on=row.requested_on,
            checker=row.checker,
            decided_on=row.decided_on,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            journal_entry_id=row.journal_entry_id,
            share_account_id=row.share_account_id,
            target_entry_id=row.target_entry_id,
            loan_id=row.loan_id,
            replayed=replayed,
        )


@dataclass(frozen=True, slots=True)
class ApprovalPage:
    items: tuple[ApprovalView, ...]
    next_after_id: int | None
