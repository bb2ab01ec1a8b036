"""Creating a pending approval, idempotently by its key (used by the commands that need one)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from creditunion.approvals.models import ApprovalKind, PendingApproval
from creditunion.approvals.views import ApprovalView
from creditunion.errors import Conflict
from creditunion.field_problems import FieldError, Problems
from creditunion.members.text import clean_text
from ledger.entry import KEY_LENGTH_MAX


class ApprovalKeyReused(Conflict):
    """The idempotency key already created a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different request")
        self.key = key


class ReversalAlreadyPending(Conflict):
    def __init__(self, entry_id: uuid.UUID) -> None:
        super().__init__(f"a reversal of entry {entry_id} is already awaiting approval")
        self.entry_id = entry_id


class WriteOffAlreadyPending(Conflict):
    def __init__(self, loan_id: int) -> None:
        super().__init__(f"a write-off of loan {loan_id} is already awaiting approval")
        self.loan_id = loan_id


def checked_key_and_reason(idempotency_key: object, reason: object, *, reason_max: int) -> str:
    """The request's cleaned reason, or `ValidationProblem` naming every bad field."""
    problems = Problems()
    if (
        not isinstance(idempotency_key, str)
        or not idempotency_key.strip()
        or len(idempotency_key) > KEY_LENGTH_MAX
        or not idempotency_key.isprintable()
    ):
        problems.add("idempotency_key", f"must be 1 to {KEY_LENGTH_MAX} printable characters")
    cleaned = ""
    try:
        cleaned = clean_text(reason, max_length=reason_max)
    except FieldError as exc:
        problems.add("reason", str(exc))
    problems.raise_if_any()
    return cleaned


def find_by_key(session: Session, key: str) -> PendingApproval | None:
    return session.scalar(
        select(PendingApproval)
        .where(PendingApproval.idempotency_key == key)
        .execution_options(populate_existing=True)
    )


def same_request(row: PendingApproval, kind: ApprovalKind, payload: dict[str, Any]) -> bool:
    return row.kind is kind and dict(row.payload) == payload


def create_pending(
    session: Session,
    *,
    kind: ApprovalKind,
    payload: dict[str, Any],
    maker: str,
    idempotency_key: str,
    business_date: dt.date,
    share_account_id: int | None = None,
    amount_minor: int | None = None,
    target_entry_id: uuid.UUID | None = None,
    loan_id: int | None = None,
) -> ApprovalView:
    """Insert the request, or return the one this key already created (`replayed`).

    Raises `ApprovalKeyReused` if the key created a different request,
    `ReversalAlreadyPending` if another request to reverse the same entry is pending and
    `WriteOffAlreadyPending` if another request to write the same loan off is.
    """
    # ON CONFLICT DO NOTHING: two identical requests racing both end with the one row,
    # and the loser of a race on a pending-per-target index is told, not given an error.
    inserted = session.execute(
        insert(PendingApproval)
        .values(
            kind=kind,
            payload=payload,
            idempotency_key=idempotency_key,
            maker=maker,
            requested_on=business_date,
            share_account_id=share_account_id,
            amount_minor=amount_minor,
            target_entry_id=target_entry_id,
            loan_id=loan_id,
        )
        .on_conflict_do_nothing()
        .returning(PendingApproval.id)
    ).scalar_one_or_none()
    if inserted is not None:
        row = session.get(PendingApproval, inserted, populate_existing=True)
        assert row is not None
        return ApprovalView.of(row)
    existing = find_by_key(session, idempotency_key)
    if existing is None:
        if loan_id is not None:
            raise WriteOffAlreadyPending(loan_id)
        assert target_entry_id is not None, "only the reversal index can conflict otherwise"
        raise ReversalAlreadyPending(target_entry_id)
    if not same_request(existing, kind, payload):
        raise ApprovalKeyReused(idempotency_key)
    return ApprovalView.of(existing, replayed=True)
