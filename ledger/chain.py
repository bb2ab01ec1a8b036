"""The hash chain of the day seals: canonical bytes of an entry and of a day (pure).

Every value is first written as text (integers in decimal, UUIDs in lower-case hyphenated
form, dates as ISO 8601, timestamps in UTC as ISO 8601 with microseconds, bytes as lower-case
hex), then each text field as `<length in code points>:<text>` and a missing one as `-`,
and the whole is UTF-8 encoded. The length prefix makes the encoding unambiguous, so no two
different entries share canonical bytes, and anyone can recompute it from an export in any
language. docs/exports.md gives the field order.

An entry's link is SHA-256(previous link || canonical bytes of the entry); the first entry
of a day links to the previous day's seal hash (GENESIS before the first sealed day). The
seal hash then binds the day's summary (counts, sequence range, totals) to its last link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

ENTRY_TAG: Final = "ledger.entry.v1"
SEAL_TAG: Final = "ledger.seal.v1"
# A fixed, documented value: the link the first sealed day starts from.
GENESIS: Final = hashlib.sha256(b"creditunion ledger day-seal chain genesis v1").digest()
_UTC: Final = dt.UTC


class PostingRecord(NamedTuple):
    id: int
    account_id: int
    amount_minor: int
    currency: str
    business_date: dt.date


class EntryRecord(NamedTuple):
    """A journal entry as stored, with its postings sorted by id.

    Named tuples rather than dataclasses: sealing builds a million of them a minute.
    """

    id: uuid.UUID
    sequence_no: int
    idempotency_key: str
    content_hash: bytes
    business_date: dt.date
    posted_at: dt.datetime
    description: str
    reference: str | None
    kind: str
    reverses_entry_id: uuid.UUID | None
    metadata_json: str  # the stored JSONB's own text form, which is canonical for its value
    posted_by: str
    postings: tuple[PostingRecord, ...]


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    debit_minor: int
    credit_minor: int


@dataclass(frozen=True, slots=True)
class DaySummary:
    business_date: dt.date
    entry_count: int
    posting_count: int
    first_sequence_no: int | None
    last_sequence_no: int | None
    totals: tuple[CurrencyTotal, ...]  # sorted by currency


def timestamp_text(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("a posting timestamp must carry its time zone")
    return value.astimezone(_UTC).isoformat(timespec="microseconds")


def _encode(fields: Iterable[str | None]) -> bytes:
    return "".join(["-" if f is None else f"{len(f)}:{f}" for f in fields]).encode()


def entry_canonical_bytes(entry: EntryRecord) -> bytes:
    fields: list[str | None] = [
        ENTRY_TAG,
        str(entry.id),
        str(entry.sequence_no),
        entry.idempotency_key,
        entry.content_hash.hex(),
        entry.business_date.isoformat(),
        timestamp_text(entry.posted_at),
        entry.description,
        entry.reference,
        entry.kind,
        None if entry.reverses_entry_id is None else str(entry.reverses_entry_id),
        entry.metadata_json,
        entry.posted_by,
        str(len(entry.postings)),
    ]
    for posting in entry.postings:
        fields.extend(
            (
                str(posting.id),
                str(posting.account_id),
                str(posting.amount_minor),
                posting.currency,
                posting.business_date.isoformat(),
            )
        )
    return _encode(fields)


def entry_digest(canonical: bytes) -> bytes:
    return hashlib.sha256(canonical).digest()


def next_link(previous: bytes, canonical: bytes) -> bytes:
    digest = hashlib.sha256(previous)
    digest.update(canonical)
    return digest.digest()


def seal_hash(previous_seal_hash: bytes, last_link: bytes, summary: DaySummary) -> bytes:
    fields: list[str | None] = [
        SEAL_TAG,
        summary.business_date.isoformat(),
        previous_seal_hash.hex(),
        last_link.hex(),
        str(summary.entry_count),
        str(summary.posting_count),
        None if summary.first_sequence_no is None else str(summary.first_sequence_no),
        None if summary.last_sequence_no is None else str(summary.last_sequence_no),
        str(len(summary.totals)),
    ]
    for total in summary.totals:
        fields.extend((total.currency, str(total.debit_minor), str(total.credit_minor)))
    return hashlib.sha256(_encode(fields)).digest()


class DayAccumulator:
    """Counts and totals of a day's entries as they stream past, for its summary."""

    __slots__ = ("_credits", "_debits", "entry_count", "first", "last", "posting_count")

    def __init__(self) -> None:
        self.entry_count = 0
        self.posting_count = 0
        self.first: int | None = None
        self.last: int | None = None
        self._debits: dict[str, int] = {}
        self._credits: dict[str, int] = {}

    def add(self, sequence_no: int, postings: Sequence[PostingRecord]) -> None:
        self.entry_count += 1
        self.posting_count += len(postings)
        if self.first is None:
            self.first = sequence_no
        self.last = sequence_no
        for posting in postings:
            book = self._debits if posting.amount_minor > 0 else self._credits
            book[posting.currency] = book.get(posting.currency, 0) + abs(posting.amount_minor)

    def summary(self, business_date: dt.date) -> DaySummary:
        currencies = sorted(self._debits.keys() | self._credits.keys())
        return DaySummary(
            business_date=business_date,
            entry_count=self.entry_count,
            posting_count=self.posting_count,
            first_sequence_no=self.first,
            last_sequence_no=self.last,
            totals=tuple(
                CurrencyTotal(c, self._debits.get(c, 0), self._credits.get(c, 0))
                for c in currencies
            ),
        )
