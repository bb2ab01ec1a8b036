"""Reading the audit trail back: filtered, newest first, a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.audit.models import AuditRecord

PAGE_SIZE_MAX: Final = 1_000


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_user_id: int | None = None
    action_prefix: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    occurred_from: dt.datetime | None = None  # inclusive
    occurred_to: dt.datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    occurred_at: dt.datetime
    actor_user_id: int | None
    actor_username: str | None
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    request_id: str | None
    summary: dict[str, Any]
    business_date: dt.date | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_records(
    session: Session, *, filters: AuditFilter, before_id: int | None, limit: int
) -> list[AuditView]:
    """Up to `limit` records matching `filters` with ids below `before_id`, newest first."""
    if not 0 < limit <= PAGE_SIZE_MAX:
        raise ValueError(f"limit must be 1 to {PAGE_SIZE_MAX}")
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditRecord.id < before_id)
    if filters.actor_user_id is not None:
        query = query.where(AuditRecord.actor_user_id == filters.actor_user_id)
    if filters.action_prefix:
        query = query.where(
            AuditRecord.action.like(_escape_like(filters.action_prefix) + "%", escape="\\")
        )
    if filters.target_type is not None:
        query = query.where(AuditRecord.target_type == filters.target_type)
    if filters.target_id is not None:
        query = query.where(AuditRecord.target_id == filters.target_id)
    if filters.occurred_from is not None:
        query = query.where(AuditRecord.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        query = query.where(AuditRecord.occurred_at < filters.occurred_to)
    return [
        AuditView(
            id=row.id,
            occurred_at=row.occurred_at,
            actor_user_id=row.actor_user_id,
            actor_username=row.actor_username,
            actor_role=row.actor_role,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            request_id=row.request_id,
            summary=row.summary,
            business_date=row.business_date,
        )
        for row in session.scalars(query)
    ]
