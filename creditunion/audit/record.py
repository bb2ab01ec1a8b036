"""Writing one audit record, in the caller's transaction so it commits with the change."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import insert
from sqlalchemy.orm import Session

from creditunion.audit.models import ACTION_PATTERN, AuditRecord
from creditunion.auth.actor import Actor
from creditunion.platform.redaction import scrub
from creditunion.platform.request_context import current_request_id
from ledger.money import Money
from ledger.transaction import require_transaction

SUMMARY_BYTES_MAX: Final = 16_384
TARGET_ID_LENGTH_MAX: Final = 64
TARGET_TYPE_LENGTH_MAX: Final = 40
_ACTION = re.compile(ACTION_PATTERN)


class InvalidAuditRecord(ValueError):
    pass


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    target_type: str | None,
    target_id: str | int | None,
    summary: Mapping[str, Any] | None = None,
    business_date: dt.date | None = None,
) -> int:
    """Append one record and return its id. `actor` None means an anonymous caller.

    `summary` says what changed, as plain JSON. Secrets, dates of birth and full National
    Insurance numbers are removed or masked here whatever the caller passes, but callers
    should not pass them in the first place. The request id comes from the context.
    """
    require_transaction(session)
    if len(action) > 64 or not _ACTION.match(action):
        raise InvalidAuditRecord(f"action {action!r} must look like 'noun.verb' ({ACTION_PATTERN})")
    if target_type is not None and not 0 < len(target_type) <= TARGET_TYPE_LENGTH_MAX:
        raise InvalidAuditRecord(f"target_type is 1 to {TARGET_TYPE_LENGTH_MAX} characters")
    target = None if target_id is None else str(target_id)
    if target is not None and not 0 < len(target) <= TARGET_ID_LENGTH_MAX:
        raise InvalidAuditRecord(f"target_id is 1 to {TARGET_ID_LENGTH_MAX} characters")
    cleaned = scrub(dict(summary or {}))
    try:
        encoded = json.dumps(cleaned, allow_nan=False, default=_plain)
    except (TypeError, ValueError) as exc:
        raise InvalidAuditRecord(f"summary must be plain JSON: {exc}") from exc
    if len(encoded.encode()) > SUMMARY_BYTES_MAX:
        raise InvalidAuditRecord(f"summary is limited to {SUMMARY_BYTES_MAX} bytes of JSON")
    row_id = session.execute(
        insert(AuditRecord)
        .values(
            actor_user_id=actor.user_id if actor else None,
            actor_username=actor.username[:100] if actor else None,
            actor_role=actor.role.value if actor and actor.role else None,
            action=action,
            target_type=target_type,
            target_id=target,
            request_id=current_request_id(),
            summary=json.loads(encoded),
            business_date=business_date,
        )
        .returning(AuditRecord.id)
    ).scalar_one()
    return int(row_id)


def _plain(value: object) -> str:
    # Dates, amounts and ids are common in summaries; they are recorded as text.
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | Money):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
