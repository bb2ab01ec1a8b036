"""Reading the journal in sequence order through a server-side cursor, in bounded memory.

Sealing and verifying a day read every entry of it with its postings; a day can hold a
million postings, so rows arrive in batches from a named (server-side) cursor in the
caller's transaction, and nothing holds more than one batch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.chain import EntryRecord, PostingRecord
from ledger.transaction import driver_connection, require_transaction

FETCH_ROWS: Final = 5_000
CANONICAL_FETCH_ROWS: Final = 250

_ENTRY_COLUMNS: Final = """
    e.id, e.sequence_no, e.idempotency_key, e.content_hash, e.business_date, e.posted_at,
    e.description, e.reference, e.kind, e.reverses_entry_id, e.metadata::text, e.posted_by,
    p.ids, p.accounts, p.amounts, p.currencies, p.dates
"""

# Postings by entry through their entry_id index, so a day costs what it holds, not what
# the whole journal holds.
_POSTINGS_OF_ENTRY: Final = """
LEFT JOIN LATERAL (
    SELECT array_agg(id ORDER BY id) AS ids,
           array_agg(account_id ORDER BY id) AS accounts,
           array_agg(amount_minor ORDER BY id) AS amounts,
           array_agg(currency::text ORDER BY id) AS currencies,
           array_agg(business_date ORDER BY id) AS dates
    FROM postings WHERE entry_id = e.id
) AS p ON true
"""

ENTRIES_OF_RANGE: Final[LiteralString] = (
    "SELECT"
    + _ENTRY_COLUMNS
    + "FROM journal_entries e"
    + _POSTINGS_OF_ENTRY
    + "WHERE e.business_date BETWEEN %(from_date)s AND %(to_date)s "
    "ORDER BY e.business_date, e.sequence_no"
)

ENTRIES_WITH_LINKS_OF_RANGE: Final[LiteralString] = (
    "SELECT" + _ENTRY_COLUMNS + ", c.entry_digest, c.chain_hash, c.business_date AS chain_date "
    "FROM journal_entries e"
    + _POSTINGS_OF_ENTRY
    + "LEFT JOIN ledger_entry_chain c ON c.entry_id = e.id "
    "WHERE e.business_date BETWEEN %(from_date)s AND %(to_date)s "
    "ORDER BY e.business_date, e.sequence_no"
)


def _field(expression: LiteralString) -> LiteralString:
    """SQL for one field of ledger.chain's encoding: `<length>:<text>`, or `-` for NULL.

    PostgreSQL's length() of text counts characters (code points in a UTF-8 database), as
    Python's len() does.
    """
    return (
        "CASE WHEN (" + expression + ") IS NULL THEN '-' ELSE length(" + expression + ")::text"
        " || ':' || (" + expression + ") END"
    )


_DATE: Final = "'YYYY-MM-DD'"
# The same text as Python's isoformat(timespec="microseconds") of the instant in UTC.
_UTC_TIMESTAMP: Final = """'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'"""

# Each entry's canonical bytes (ledger.chain.entry_canonical_bytes) built by PostgreSQL, so
# sealing a day moves three columns per entry instead of a dozen and its postings. `verify`
# recomputes the same bytes in Python from the stored values: two encoders, checked against
# each other by every verification.
CANONICAL_ENTRIES_OF_DAY: Final[LiteralString] = (
    "SELECT e.id, e.sequence_no, convert_to("
    + _field("'ledger.entry.v1'")
    + " || "
    + _field("e.id::text")
    + " || "
    + _field("e.sequence_no::text")
    + " || "
    + _field("e.idempotency_key")
    + " || "
    + _field("encode(e.content_hash, 'hex')")
    + " || "
    + _field("to_char(e.business_date, " + _DATE + ")")
    + " || "
    + _field("to_char(e.posted_at AT TIME ZONE 'UTC', " + _UTC_TIMESTAMP + ")")
    + " || "
    + _field("e.description")
    + " || "
    + _field("e.reference")
    + " || "
    + _field("e.kind")
    + " || "
    + _field("e.reverses_entry_id::text")
    + " || "
    + _field("e.metadata::text")
    + " || "
    + _field("e.posted_by")
    + " || "
    + _field("p.n::text")
    + " || coalesce(p.lines, ''), 'UTF8') "
    "FROM journal_entries e "
    "LEFT JOIN LATERAL ("
    "SELECT count(*) AS n, string_agg("
    + _field("id::text")
    + " || "
    + _field("account_id::text")
    + " || "
    + _field("amount_minor::text")
    + " || "
    + _field("currency::text")
    + " || "
    + _field("to_char(business_date, " + _DATE + ")")
    + ", '' ORDER BY id) AS lines FROM postings WHERE entry_id = e.id) AS p ON true "
    "WHERE e.business_date = %(day)s "
    "ORDER BY e.sequence_no"
)

DAY_TOTALS: Final[LiteralString] = """
SELECT p.currency::text, count(*),
       coalesce(sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0), 0),
       coalesce(-sum(p.amount_minor) FILTER (WHERE p.amount_minor < 0), 0)
FROM journal_entries e JOIN postings p ON p.entry_id = e.id
WHERE e.business_date = %(day)s
GROUP BY p.currency
ORDER BY p.currency
"""


@dataclass(frozen=True, slots=True)
class StoredLink:
    entry_digest: bytes
    chain_hash: bytes
    business_date: dt.date


def _entry(row: tuple[Any, ...]) -> EntryRecord:
    ids, accounts, amounts, currencies, dates = row[12:17]
    postings = (
        ()
        if ids is None
        else tuple(
            PostingRecord(i, a, m, c, d)
            for i, a, m, c, d in zip(ids, accounts, amounts, currencies, dates, strict=True)
        )
    )
    return EntryRecord(
        id=row[0],
        sequence_no=row[1],
        idempotency_key=row[2],
        content_hash=bytes(row[3]),
        business_date=row[4],
        posted_at=row[5],
        description=row[6],
        reference=row[7],
        kind=row[8],
        reverses_entry_id=row[9],
        metadata_json=row[10],
        posted_by=row[11],
        postings=postings,
    )


def server_side_rows(
    session: Session,
    query: LiteralString,
    params: dict[str, Any],
    *,
    binary: bool = True,
    fetch_rows: int = FETCH_ROWS,
) -> Iterator[tuple[Any, ...]]:
    """The query's rows, fetched in batches through a named cursor in the session's transaction.

    Binary rows suit arrays, integers and timestamps; text rows suit values cast to text
    in the query, which then need no parsing at all.
    """
    require_transaction(session)
    connection = driver_connection(session)
    name = f"ledger_stream_{uuid.uuid4().hex}"
    with connection.cursor(name=name, binary=binary) as cursor:
        cursor.itersize = fetch_rows
        cursor.execute(query, params)
        while True:
            batch = cursor.fetchmany(fetch_rows)
            if not batch:
                return
            yield from batch


def entries_between(
    session: Session, *, from_date: dt.date, to_date: dt.date
) -> Iterator[EntryRecord]:
    """Every entry dated in [from_date, to_date], in (business date, sequence) order."""
    params = {"from_date": from_date, "to_date": to_date}
    for row in server_side_rows(session, ENTRIES_OF_RANGE, params):
        yield _entry(row)


def entries_with_links_between(
    session: Session, *, from_date: dt.date, to_date: dt.date
) -> Iterator[tuple[EntryRecord, StoredLink | None]]:
    """As `entries_between`, each with its stored chain link (None if it has none)."""
    params = {"from_date": from_date, "to_date": to_date}
    for row in server_side_rows(session, ENTRIES_WITH_LINKS_OF_RANGE, params):
        link = None if row[17] is None else StoredLink(bytes(row[17]), bytes(row[18]), row[19])
        yield _entry(row), link


def canonical_entries_of_day(
    session: Session, business_date: dt.date
) -> Iterator[tuple[uuid.UUID, int, bytes]]:
    """(id, sequence_no, canonical bytes) of each entry of the day, in sequence order."""
    # An entry's canonical bytes grow with its lines (up to 200 for a close-of-business
    # entry), so fewer rows a fetch keep memory the same whatever the day holds.
    for entry_id, sequence_no, canonical in server_side_rows(
        session, CANONICAL_ENTRIES_OF_DAY, {"day": business_date}, fetch_rows=CANONICAL_FETCH_ROWS
    ):
        yield entry_id, sequence_no, bytes(canonical)


def day_totals(session: Session, business_date: dt.date) -> list[tuple[str, int, int, int]]:
    """Per currency: the day's posting count, debit total and credit total (minor units)."""
    connection = driver_connection(session)
    with connection.cursor() as cursor:
        rows = cursor.execute(DAY_TOTALS, {"day": business_date}).fetchall()
    return [(c, int(n), int(d), int(k)) for c, n, d, k in rows]


def batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of at most `size` items (the last may be shorter)."""
    if size < 1:
        raise ValueError("a batch holds at least one item")
    while chunk := list(itertools.islice(items, size)):
        yield chunk
