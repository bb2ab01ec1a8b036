"""Bodies of the audit log endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from creditunion.audit import AuditView


class AuditRecordOut(BaseModel):
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

    @classmethod
    def of(cls, view: AuditView) -> AuditRecordOut:
        return cls(
            id=view.id,
            occurred_at=view.occurred_at,
            actor_user_id=view.actor_user_id,
            actor_username=view.actor_username,
            actor_role=view.actor_role,
            action=view.action,
            target_type=view.target_type,
            target_id=view.target_id,
            request_id=view.request_id,
            summary=view.summary,
            business_date=view.business_date,
        )
