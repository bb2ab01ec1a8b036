"""Claiming an idempotency key, completing it with the answer, and replaying that answer.

The claim is an INSERT that does nothing on a clash with the (user, key) unique key. A
duplicate arriving while the first request is still running blocks on that key until the
first transaction ends: if it committed, the duplicate reads the stored answer; if it
rolled back, the duplicate's insert goes ahead and it runs as the first. So two requests
with one key never both run, under any interleaving, without a lock of our own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from creditunion.errors import Conflict
from creditunion.idempotency.models import HttpIdempotency
from ledger.transaction import require_transaction

CLAIM_ATTEMPTS_MAX: Final = 3
PURGE_BATCH_MAX: Final = 10_000


class KeyReused(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request "
            "(another path, method or body)"
        )


@dataclass(frozen=True, slots=True)
class Claim:
    """This request holds the key; complete it in the same transaction."""

    row_id: int


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The key was used before for this same request: answer with this."""

    status: int
    body: Any


def claim(
    session: Session,
    *,
    actor_user_id: int,
    key: str,
    method: str,
    path: str,
    request_hash: bytes,
) -> Claim | StoredResponse:
    """Claim `key` for this request, or return the answer stored for it, or raise `KeyReused`."""
    require_transaction(session)
    for _ in range(CLAIM_ATTEMPTS_MAX):
        inserted = session.execute(
            insert(HttpIdempotency)
            .values(
                actor_user_id=actor_user_id,
                key=key,
                method=method,
                path=path,
                request_hash=request_hash,
            )
            .on_conflict_do_nothing(index_elements=["actor_user_id", "key"])
            .returning(HttpIdempotency.id)
        ).scalar_one_or_none()
        if inserted is not None:
            return Claim(row_id=int(inserted))
        # READ COMMITTED: this statement's snapshot sees the row the insert clashed with.
        existing = session.execute(
            select(
                HttpIdempotency.method,
                HttpIdempotency.path,
                HttpIdempotency.request_hash,
                HttpIdempotency.response_status,
                HttpIdempotency.response_body,
            ).where(HttpIdempotency.actor_user_id == actor_user_id, HttpIdempotency.key == key)
        ).one_or_none()
        if existing is None:
            continue  # purged between the two statements: claim again
        if (existing.method, existing.path, bytes(existing.request_hash)) != (
            method,
            path,
            request_hash,
        ):
            raise KeyReused()
        assert existing.response_status is not None, "committed keys always carry their answer"
        return StoredResponse(status=existing.response_status, body=existing.response_body)
    raise RuntimeError(f"could not claim idempotency key after {CLAIM_ATTEMPTS_MAX} attempts")


def complete(session: Session, held: Claim, *, status: int, body: Any) -> None:
    """Store the answer; it commits (or rolls back) with the operation it answers."""
    session.execute(
        update(HttpIdempotency)
        .where(HttpIdempotency.id == held.row_id)
        .values(response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )


def purge(session: Session, *, older_than: dt.datetime, limit: int = PURGE_BATCH_MAX) -> int:
    """Forget up to `limit` keys created before `older_than`; returns how many."""
    if not 0 < limit <= PURGE_BATCH_MAX:
        raise ValueError(f"limit must be 1 to {PURGE_BATCH_MAX}")
    oldest = (
        select(HttpIdempotency.id)
        .where(HttpIdempotency.created_at < older_than)
        .order_by(HttpIdempotency.id)
        .limit(limit)
    )
    result = session.execute(
        delete(HttpIdempotency)
        .where(HttpIdempotency.id.in_(oldest.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
