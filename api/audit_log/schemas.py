"""Bodies of the audit log endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.out import OutModel


class AuditRecordOut(OutModel):
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
