"""Posting many entries in one call: a bulk feed (COB, payroll deductions) in a few round trips.

Each entry is still all-or-nothing and gets its own outcome; a refused entry does not stop
the others. The batch locks all its accounts once (ascending id), applies the entries in
order against those locked balances, then writes every entry, every posting and one
balance update per account in three set-based statements.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy.orm import Session

from ledger.checks import AccountState, PostingRefused, apply_lines
from ledger.entry import (
    EntryRequest,
    InvalidEntry,
    PostedEntry,
    content_hash,
    metadata_json,
    validate,
)
from ledger.observe import PostingEvent, notify, observed
from ledger.periods import HORIZON_SQL, FutureDated, PeriodClosed
from ledger.posting import IdempotencyConflict, lock_accounts, replay
from ledger.transaction import SavepointCursor, in_savepoint_with_retries

BATCH_ENTRIES_MAX: Final = 20_000


class BatchTooLarge(ValueError):
    pass


class Outcome(enum.StrEnum):
    POSTED = "posted"
    REPLAYED = "replayed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class BatchResult:
    index: int
    outcome: Outcome
    entry: PostedEntry | None = None
    error: Exception | None = None


@dataclass(slots=True)
class _Pending:
    index: int
    request: EntryRequest
    digest: bytes
    entry_id: uuid.UUID


FIND_KEYS: Final = """
SELECT idempotency_key, id, sequence_no, business_date, posted_at, content_hash
FROM journal_entries WHERE idempotency_key = ANY(%s::text[])
"""

CLOSED_THROUGH: Final = f"SELECT max(business_date), {HORIZON_SQL} FROM ledger_day_closes"

INSERT_ENTRIES: Final = """
INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date, description,
    reference, kind, metadata, posted_by)
SELECT * FROM unnest(%s::uuid[], %s::text[], %s::bytea[], %s::date[], %s::text[], %s::text[],
    %s::text[], %s::jsonb[], %s::text[])
RETURNING id, sequence_no, posted_at
"""

INSERT_POSTINGS: Final = """
INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date)
SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::text[], %s::date[])
"""

UPDATE_BALANCES: Final = """
UPDATE ledger_accounts AS a SET balance_minor = n.balance
FROM unnest(%s::bigint[], %s::bigint[]) AS n(id, balance)
WHERE a.id = n.id
"""


def post_batch(session: Session, requests: Sequence[EntryRequest]) -> list[BatchResult]:
    """Post each request if it can be; return one result per request, in order."""
    if len(requests) > BATCH_ENTRIES_MAX:
        raise BatchTooLarge(f"a batch holds at most {BATCH_ENTRIES_MAX} entries")
    results: list[BatchResult | None] = [None] * len(requests)
    candidates: list[_Pending] = []
    for index, request in enumerate(requests):
        try:
            validate(request)
        except InvalidEntry as exc:
            results[index] = BatchResult(index, Outcome.REFUSED, error=exc)
            continue
        candidates.append(_Pending(index, request, content_hash(request), uuid.uuid4()))
    if candidates:
        started = time.perf_counter()
        written = in_savepoint_with_retries(session, lambda cur: _post_once(cur, candidates))
        for result in written:
            results[result.index] = result
        if observed():
            notify(session, _event(requests, written, time.perf_counter() - started))
    assert all(r is not None for r in results), "every request gets an outcome"
    return [r for r in results if r is not None]


def _event(
    requests: Sequence[EntryRequest], written: list[BatchResult], seconds: float
) -> PostingEvent:
    entries: Counter[str] = Counter()
    postings: Counter[str] = Counter()
    for result in written:
        if result.outcome is Outcome.POSTED:
            request = requests[result.index]
            entries[request.kind] += 1
            postings[request.kind] += len(request.lines)
    replayed = sum(1 for r in written if r.outcome is Outcome.REPLAYED)
    return PostingEvent(
        operation="batch",
        seconds=seconds,
        entries_by_kind=dict(entries),
        postings_by_kind=dict(postings),
        replayed=replayed,
    )


def _post_once(cursor: SavepointCursor, candidates: list[_Pending]) -> list[BatchResult]:
    results: list[BatchResult] = []
    # Lock first, then read keys, as posting.py does, so a rival in flight is seen.
    account_ids = sorted({line.account_id for p in candidates for line in p.request.lines})
    accounts = lock_accounts(cursor, account_ids)
    fresh, repeats = _settle_known_keys(cursor, candidates, results)
    period = cursor.execute(CLOSED_THROUGH).fetchone()
    closed_through, horizon = period if period else (None, None)
    accepted: list[_Pending] = []
    by_index: dict[int, BatchResult] = {}
    for pending in fresh:
        try:
            _accept(pending, accounts, closed_through, horizon)
        except PostingRefused as exc:
            by_index[pending.index] = BatchResult(pending.index, Outcome.REFUSED, error=exc)
            continue
        accepted.append(pending)
    for result in _write(cursor, accepted, accounts, account_ids):
        by_index[result.index] = result
    results.extend(by_index.values())
    results.extend(_repeat_result(repeat, by_index[first.index]) for repeat, first in repeats)
    return results


def _settle_known_keys(
    cursor: SavepointCursor, candidates: list[_Pending], results: list[BatchResult]
) -> tuple[list[_Pending], list[tuple[_Pending, _Pending]]]:
    """Resolve replays and conflicts against the journal and within the batch itself.

    Returns the requests to post, and the repeats of a key earlier in the same batch
    (with the same content), which share the outcome of that first request.
    """
    keys = [p.request.idempotency_key for p in candidates]
    known = {row[0]: row[1:] for row in cursor.execute(FIND_KEYS, (keys,))}
    first_in_batch: dict[str, _Pending] = {}
    fresh: list[_Pending] = []
    repeats: list[tuple[_Pending, _Pending]] = []
    for pending in candidates:
        key = pending.request.idempotency_key
        first = first_in_batch.get(key)
        if key in known:
            results.append(_replay_result(pending, key, known[key]))
        elif first is None:
            first_in_batch[key] = pending
            fresh.append(pending)
        elif first.digest == pending.digest:
            repeats.append((pending, first))
        else:
            conflict = IdempotencyConflict(key, first.entry_id)
            results.append(BatchResult(pending.index, Outcome.REFUSED, error=conflict))
    return fresh, repeats


def _replay_result(pending: _Pending, key: str, row: tuple[Any, ...]) -> BatchResult:
    try:
        entry = replay(key, row, pending.digest)
    except IdempotencyConflict as exc:
        return BatchResult(pending.index, Outcome.REFUSED, error=exc)
    return BatchResult(pending.index, Outcome.REPLAYED, entry=entry)


def _repeat_result(repeat: _Pending, first: BatchResult) -> BatchResult:
    if first.entry is None:
        return BatchResult(repeat.index, Outcome.REFUSED, error=first.error)
    return BatchResult(repeat.index, Outcome.REPLAYED, entry=replace(first.entry, replayed=True))


def _accept(
    pending: _Pending, accounts: dict[int, AccountState], closed_through: Any, horizon: Any
) -> None:
    request = pending.request
    if closed_through is not None and request.business_date <= closed_through:
        raise PeriodClosed(request.business_date, closed_through)
    if horizon is not None and request.business_date > horizon:
        raise FutureDated(request.business_date, horizon)
    balances_after = apply_lines(request.lines, accounts)
    for account_id, balance in balances_after.items():
        accounts[account_id].balance_minor = balance


def _write(
    cursor: SavepointCursor,
    accepted: list[_Pending],
    accounts: dict[int, AccountState],
    account_ids: list[int],
) -> list[BatchResult]:
    if not accepted:
        return []
    rows = cursor.execute(INSERT_ENTRIES, _entry_columns(accepted)).fetchall()
    cursor.execute(INSERT_POSTINGS, _posting_columns(accepted))
    touched = [i for i in account_ids if i in accounts]
    cursor.execute(UPDATE_BALANCES, (touched, [accounts[i].balance_minor for i in touched]))
    written = {row[0]: (row[1], row[2]) for row in rows}
    assert len(written) == len(accepted), "every accepted entry was inserted"
    results = []
    for pending in accepted:
        sequence_no, posted_at = written[pending.entry_id]
        entry = PostedEntry(
            id=pending.entry_id,
            sequence_no=sequence_no,
            idempotency_key=pending.request.idempotency_key,
            business_date=pending.request.business_date,
            posted_at=posted_at,
        )
        results.append(BatchResult(pending.index, Outcome.POSTED, entry=entry))
    return results


def _entry_columns(accepted: list[_Pending]) -> tuple[list[Any], ...]:
    requests = [p.request for p in accepted]
    return (
        [p.entry_id for p in accepted],
        [r.idempotency_key for r in requests],
        [p.digest for p in accepted],
        [r.business_date for r in requests],
        [r.description for r in requests],
        [r.reference for r in requests],
        [r.kind for r in requests],
        [metadata_json(r.metadata) for r in requests],
        [r.posted_by for r in requests],
    )


def _posting_columns(accepted: list[_Pending]) -> tuple[list[Any], ...]:
    entry_ids: list[uuid.UUID] = []
    account_ids: list[int] = []
    amounts: list[int] = []
    currencies: list[str] = []
    dates: list[Any] = []
    for pending in accepted:
        for line in pending.request.lines:
            entry_ids.append(pending.entry_id)
            account_ids.append(line.account_id)
            amounts.append(line.amount.minor_units)
            currencies.append(line.amount.currency)
            dates.append(pending.request.business_date)
    return entry_ids, account_ids, amounts, currencies, dates
