"""Reading the audit trail (auditors and managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from api.audit_log.schemas import AuditRecordOut
from api.iso_dates import AwareIsoDateTime
from api.pagination import Page, PageRequest, paginate
from api.security import require
from api.transactions import DbSession, api_router
from creditunion import audit
from creditunion.auth.roles import Permission

router = api_router(tags=["audit"])


@router.get("/audit-log", dependencies=[require(Permission.AUDIT_READ)])
def list_audit_log(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("audit-log"))],
    actor_user_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    action_prefix: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[a-z][a-z0-9_.]*$",
            description='Actions starting with this, e.g. "auth." or "user.create".',
        ),
    ] = None,
    # No control characters: PostgreSQL text cannot hold a NUL, and no target has one.
    target_type: Annotated[str | None, Query(max_length=40, pattern=r"^[^\x00-\x1f]*$")] = None,
    target_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00-\x1f]*$")] = None,
    occurred_from: Annotated[
        AwareIsoDateTime | None, Query(description="Inclusive; with a time zone.")
    ] = None,
    occurred_to: Annotated[
        AwareIsoDateTime | None, Query(description="Exclusive; with a time zone.")
    ] = None,
) -> Page[AuditRecordOut]:
    """List audit records, newest first"""
    rows = audit.list_records(
        session,
        filters=audit.AuditFilter(
            actor_user_id=actor_user_id,
            action_prefix=action_prefix,
            target_type=target_type,
            target_id=target_id,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
        ),
        before_id=page.after_int(),
        limit=page.fetch,
    )
    return page.build(rows, position=lambda r: [r.id], convert=AuditRecordOut.of)
