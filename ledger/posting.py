"""Posting one journal entry: the only way money moves.

One call is one savepoint in the caller's transaction and two round trips: open the
savepoint and lock the entry's accounts in ascending id order; then, once the lines are
checked against the locked balances, write the entry, its postings and the new balances in
one statement that also replays a known idempotency key and refuses a closed date, or one
after the transaction's declared business date (`periods.limit_postings_to`).
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Final

from sqlalchemy.orm import Session

from ledger.checks import AccountState, PostingRefused, apply_lines
from ledger.entry import EntryRequest, PostedEntry, content_hash, metadata_json, validate
from ledger.models import AccountStatus, AccountType
from ledger.observe import PostingEvent, notify, observed
from ledger.periods import DAY_CLOSE_LOCK_KEY, HORIZON_SQL, FutureDated, PeriodClosed
from ledger.transaction import SavepointCursor, in_savepoint_with_retries


class IdempotencyConflict(PostingRefused):
    """The key was used before for an entry with different content."""

    def __init__(self, key: str, entry_id: uuid.UUID) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different entry")
        self.key = key
        self.entry_id = entry_id


class AlreadyReversed(PostingRefused):
    def __init__(self, entry_id: uuid.UUID, reversal_id: uuid.UUID) -> None:
        super().__init__(f"entry {entry_id} was already reversed by {reversal_id}")
        self.entry_id = entry_id
        self.reversal_id = reversal_id


FIND_REVERSAL: Final = "SELECT id FROM journal_entries WHERE reverses_entry_id = %s"

FIND_BY_KEY: Final = """
SELECT id, sequence_no, business_date, posted_at, content_hash
FROM journal_entries WHERE idempotency_key = %s
"""

LOCK_ACCOUNTS: Final = """
SELECT id, currency, status, type, floor_minor, balance_minor, header,
       pg_advisory_xact_lock_shared(%(lock)s)
FROM ledger_accounts WHERE id = ANY(%(ids)s::bigint[])
ORDER BY id FOR UPDATE
"""

# Runs after the accounts are locked, so its snapshot sees any rival that held them:
# a committed entry with this key makes it write nothing and return that entry instead.
WRITE_ENTRY: Final = f"""
WITH existing AS (
    SELECT id, sequence_no, business_date, posted_at, content_hash
    FROM journal_entries WHERE idempotency_key = %(key)s
), horizon AS (
    SELECT {HORIZON_SQL} AS d
), open_date AS (
    SELECT NOT EXISTS (SELECT 1 FROM ledger_day_closes WHERE business_date >= %(d)s)
       AND NOT EXISTS (SELECT 1 FROM existing)
       AND (horizon.d IS NULL OR %(d)s <= horizon.d) AS ok
    FROM horizon
), entry AS (
    INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date,
        description, reference, kind, reverses_entry_id, metadata, posted_by)
    SELECT %(id)s, %(key)s, %(hash)s, %(d)s, %(description)s, %(reference)s, %(kind)s,
        %(reverses)s, %(metadata)s::jsonb, %(posted_by)s
    FROM open_date WHERE ok
    RETURNING sequence_no, posted_at
), lines AS (
    INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date)
    SELECT %(id)s, l.account_id, l.amount_minor, l.currency, %(d)s
    FROM unnest(%(accounts)s::bigint[], %(amounts)s::bigint[], %(currencies)s::text[])
        AS l(account_id, amount_minor, currency), open_date
    WHERE open_date.ok
), balances AS (
    UPDATE ledger_accounts AS a SET balance_minor = a.balance_minor + n.delta
    FROM unnest(%(net_ids)s::bigint[], %(net_deltas)s::bigint[]) AS n(id, delta), open_date
    WHERE a.id = n.id AND open_date.ok
)
SELECT entry.sequence_no, entry.posted_at,
       (SELECT max(business_date) FROM ledger_day_closes), (SELECT d FROM horizon),
       existing.id, existing.sequence_no, existing.business_date, existing.posted_at,
       existing.content_hash
FROM open_date LEFT JOIN entry ON true LEFT JOIN existing ON true
"""


def post_entry(session: Session, request: EntryRequest) -> PostedEntry:
    """Post `request` in the caller's transaction, or raise why not (writing nothing).

    The same idempotency key with the same content returns the entry first posted.
    """
    validate(request)
    return post_validated(session, request, reverses_entry_id=None)


def post_validated(
    session: Session, request: EntryRequest, *, reverses_entry_id: uuid.UUID | None
) -> PostedEntry:
    digest = content_hash(request, reverses_entry_id)
    started = time.perf_counter()
    posted = in_savepoint_with_retries(
        session, lambda cursor: _post_once(cursor, request, digest, reverses_entry_id)
    )
    if observed():
        notify(session, _event(request, posted, time.perf_counter() - started))
    return posted


def _event(request: EntryRequest, posted: PostedEntry, seconds: float) -> PostingEvent:
    if posted.replayed:
        return PostingEvent(operation="entry", seconds=seconds, replayed=1)
    return PostingEvent(
        operation="entry",
        seconds=seconds,
        entries_by_kind={request.kind: 1},
        postings_by_kind={request.kind: len(request.lines)},
    )


def _post_once(
    cursor: SavepointCursor,
    request: EntryRequest,
    digest: bytes,
    reverses_entry_id: uuid.UUID | None,
) -> PostedEntry:
    account_ids = sorted({line.account_id for line in request.lines})
    accounts = lock_accounts(cursor, account_ids)
    try:
        if reverses_entry_id is not None:
            # After the locks: a rival reversal holds them until it commits, and is then seen.
            reversal = cursor.execute(FIND_REVERSAL, (reverses_entry_id,)).fetchone()
            if reversal is not None:
                raise AlreadyReversed(reverses_entry_id, reversal[0])
        balances_after = apply_lines(request.lines, accounts)
    except PostingRefused:
        # A retry of a request that already posted is a replay, even if what it changed
        # (a balance spent, an entry reversed) would now refuse it.
        existing = cursor.execute(FIND_BY_KEY, (request.idempotency_key,)).fetchone()
        if existing is not None:
            return replay(request.idempotency_key, existing, digest)
        raise
    entry_id = uuid.uuid4()
    params = _write_params(request, entry_id, digest, reverses_entry_id, balances_after, accounts)
    written = cursor.execute(WRITE_ENTRY, params).fetchone()
    assert written is not None, "the write statement always returns one row"
    sequence_no, posted_at, closed, horizon, *existing_row = written
    if existing_row[0] is not None:
        return replay(request.idempotency_key, tuple(existing_row), digest)
    if sequence_no is None:
        if horizon is not None and request.business_date > horizon:
            raise FutureDated(request.business_date, horizon)
        raise PeriodClosed(request.business_date, closed)
    return PostedEntry(
        id=entry_id,
        sequence_no=sequence_no,
        idempotency_key=request.idempotency_key,
        business_date=request.business_date,
        posted_at=posted_at,
    )


def replay(key: str, row: tuple[Any, ...], digest: bytes) -> PostedEntry:
    entry_id, sequence_no, business_date, posted_at, stored_digest = row
    if bytes(stored_digest) != digest:
        raise IdempotencyConflict(key, entry_id)
    return PostedEntry(
        id=entry_id,
        sequence_no=sequence_no,
        idempotency_key=key,
        business_date=business_date,
        posted_at=posted_at,
        replayed=True,
    )


def lock_accounts(cursor: SavepointCursor, account_ids: list[int]) -> dict[int, AccountState]:
    """Lock the accounts in ascending id order (so postings never deadlock each other)."""
    rows = cursor.execute(LOCK_ACCOUNTS, {"lock": DAY_CLOSE_LOCK_KEY, "ids": account_ids})
    return {
        row[0]: AccountState(
            id=row[0],
            currency=row[1],
            status=AccountStatus(row[2]),
            type=AccountType(row[3]),
            floor_minor=row[4],
            balance_minor=row[5],
            header=row[6],
        )
        for row in rows
    }


def _write_params(
    request: EntryRequest,
    entry_id: uuid.UUID,
    digest: bytes,
    reverses_entry_id: uuid.UUID | None,
    balances_after: dict[int, int],
    accounts: dict[int, AccountState],
) -> dict[str, Any]:
    net_ids = sorted(balances_after)
    return {
        "id": entry_id,
        "key": request.idempotency_key,
        "hash": digest,
        "d": request.business_date,
        "description": request.description,
        "reference": request.reference,
        "kind": request.kind,
        "reverses": reverses_entry_id,
        "metadata": metadata_json(request.metadata),
        "posted_by": request.posted_by,
        "accounts": [line.account_id for line in request.lines],
        "amounts": [line.amount.minor_units for line in request.lines],
        "currencies": [line.amount.currency for line in request.lines],
        "net_ids": net_ids,
        "net_deltas": [balances_after[i] - accounts[i].balance_minor for i in net_ids],
    }
