"""Verifying the sealed days: recompute the hash chain and check invariants 1 to 3.

For each sealed day in the range, in date order: the seal must link to the seal of the day
before; every entry of the day must still have the digest and the link it was sealed with;
no entry may have been added to the day or taken from it; and the seal hash must follow from
the recomputed chain and the day's recomputed counts and totals. The first difference is
reported with its day and entry. Then the ledger's invariants: every entry in the range
balances (1), every stored balance equals its postings (2) and the books balance (3).

Reads stream through a server-side cursor, so a year of journal verifies in flat memory.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.chain import (
    GENESIS,
    DayAccumulator,
    DaySummary,
    EntryRecord,
    entry_canonical_bytes,
    entry_digest,
    next_link,
    seal_hash,
)
from ledger.invariants import InvariantReport, check_invariants
from ledger.journal_stream import StoredLink, entries_with_links_between
from ledger.seal import ONE_DAY, SealView, get_seal, seals_between
from ledger.transaction import require_transaction


class BreakKind(enum.StrEnum):
    ENTRY_ALTERED = "entry altered"
    ENTRY_MISSING = "entry missing"
    ENTRY_ADDED = "entry added after the seal"
    SEAL_ALTERED = "seal altered"
    SEAL_LINK_BROKEN = "seal link broken"
    SEAL_MISSING = "seal missing"
    ENTRY_UNBALANCED = "entry unbalanced"
    BALANCE_DRIFT = "stored balance differs from postings"
    BOOKS_UNBALANCED = "books do not balance"


@dataclass(frozen=True, slots=True)
class Break:
    kind: BreakKind
    business_date: dt.date | None
    entry_id: uuid.UUID | None
    sequence_no: int | None
    detail: str

    def __str__(self) -> str:
        where = f" on {self.business_date}" if self.business_date else ""
        entry = f" at entry {self.entry_id} (sequence {self.sequence_no})" if self.entry_id else ""
        return f"{self.kind}{where}{entry}: {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    from_date: dt.date | None
    to_date: dt.date | None
    days_verified: int
    entries_verified: int
    postings_verified: int
    first_break: Break | None
    invariants: InvariantReport

    @property
    def ok(self) -> bool:
        return self.first_break is None


# A link whose entry is gone, or was moved to another date, is an entry missing from its day.
_FIRST_ORPHAN_LINK = text("""
SELECT c.business_date, c.sequence_no, c.entry_id FROM ledger_entry_chain c
WHERE c.business_date BETWEEN :from_date AND :to_date
  AND NOT EXISTS (SELECT 1 FROM journal_entries e
                  WHERE e.id = c.entry_id AND e.business_date = c.business_date)
ORDER BY c.business_date, c.sequence_no
LIMIT 1
""")

# Invariant 1 for the entries of the range only, earliest first.
_FIRST_UNBALANCED_IN_RANGE = text("""
SELECT e.business_date, e.sequence_no, e.id FROM journal_entries e
WHERE e.business_date BETWEEN :from_date AND :to_date
  AND (
    (SELECT count(*) FROM postings p WHERE p.entry_id = e.id) < 2
    OR EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.id
               GROUP BY p.currency HAVING sum(p.amount_minor) <> 0)
  )
ORDER BY e.business_date, e.sequence_no
LIMIT 1
""")

_SEAL_BOUNDS = text("SELECT min(business_date), max(business_date) FROM ledger_day_seals")
_DATES_MAX: Final = dt.date(9999, 12, 31)


@dataclass(slots=True)
class _Orphan:
    business_date: dt.date
    sequence_no: int
    entry_id: uuid.UUID

    def before(self, business_date: dt.date, sequence_no: int | None) -> bool:
        if self.business_date != business_date:
            return self.business_date < business_date
        return sequence_no is None or self.sequence_no < sequence_no

    def as_break(self) -> Break:
        return Break(
            BreakKind.ENTRY_MISSING,
            self.business_date,
            self.entry_id,
            self.sequence_no,
            "the entry was sealed but is no longer in the journal on this date",
        )


class _Counts:
    __slots__ = ("days", "entries", "postings")

    def __init__(self) -> None:
        self.days = 0
        self.entries = 0
        self.postings = 0


def verify(
    session: Session, *, from_date: dt.date | None = None, to_date: dt.date | None = None
) -> VerifyReport:
    """Recompute the seals of the sealed days in [from_date, to_date] (all when None)."""
    require_transaction(session)
    if from_date is not None and to_date is not None and from_date > to_date:
        raise ValueError("the range's start date is after its end date")
    counts = _Counts()
    first_break = _verify_chain(session, from_date, to_date, counts)
    invariants = check_invariants(session)
    if first_break is None:
        first_break = _first_invariant_break(session, from_date, to_date, invariants)
    return VerifyReport(
        from_date=from_date,
        to_date=to_date,
        days_verified=counts.days,
        entries_verified=counts.entries,
        postings_verified=counts.postings,
        first_break=first_break,
        invariants=invariants,
    )


def _verify_chain(
    session: Session, from_date: dt.date | None, to_date: dt.date | None, counts: _Counts
) -> Break | None:
    first_sealed, last_sealed = session.execute(_SEAL_BOUNDS).one()
    if first_sealed is None:
        return None
    low = max(from_date or first_sealed, first_sealed)
    high = min(to_date or last_sealed, last_sealed)
    if low > high:
        return None
    window = {"from_date": low, "to_date": high}
    orphan_row = session.execute(_FIRST_ORPHAN_LINK, window).one_or_none()
    orphan = None if orphan_row is None else _Orphan(*orphan_row)
    seals = seals_between(session, from_date=low, to_date=high)
    previous = None if low == first_sealed else get_seal(session, low - ONE_DAY)
    if low != first_sealed and previous is None:
        return Break(BreakKind.SEAL_MISSING, low - ONE_DAY, None, None, "the day has no seal")
    entries = _Peekable(entries_with_links_between(session, from_date=low, to_date=high))
    day = low
    for seal in seals:
        if seal.business_date != day:
            return Break(BreakKind.SEAL_MISSING, day, None, None, "the day has no seal")
        found = _verify_day(seal, previous, entries, orphan, counts)
        if found is not None:
            return found
        previous = seal
        day += ONE_DAY
    return None


def _verify_day(
    seal: SealView,
    previous: SealView | None,
    entries: _Peekable,
    orphan: _Orphan | None,
    counts: _Counts,
) -> Break | None:
    date = seal.business_date
    expected_previous = GENESIS if previous is None else previous.seal_hash
    if seal.previous_seal_hash != expected_previous:
        return Break(
            BreakKind.SEAL_LINK_BROKEN,
            date,
            None,
            None,
            "the seal does not link to the seal of the day before",
        )
    link = seal.previous_seal_hash
    day = DayAccumulator()
    while (item := entries.peek()) is not None and item[0].business_date == date:
        entry, stored = entries.next()
        if orphan is not None and orphan.before(date, entry.sequence_no):
            return orphan.as_break()
        canonical = entry_canonical_bytes(entry)
        found = _check_entry(entry, stored, canonical, link)
        if found is not None:
            return found
        link = next_link(link, canonical)
        day.add(entry.sequence_no, entry.postings)
        counts.entries += 1
        counts.postings += len(entry.postings)
    if orphan is not None and orphan.before(date, None):
        return orphan.as_break()
    counts.days += 1
    return _check_seal(seal, link, day.summary(date))


def _check_entry(
    entry: EntryRecord, stored: StoredLink | None, canonical: bytes, link: bytes
) -> Break | None:
    def broken(kind: BreakKind, detail: str) -> Break:
        return Break(kind, entry.business_date, entry.id, entry.sequence_no, detail)

    if stored is None:
        return broken(
            BreakKind.ENTRY_ADDED, "the entry is dated in a sealed day but was not sealed"
        )
    if stored.business_date != entry.business_date:
        return broken(BreakKind.ENTRY_ALTERED, f"the entry was sealed on {stored.business_date}")
    if stored.entry_digest != entry_digest(canonical):
        return broken(BreakKind.ENTRY_ALTERED, "the entry or its postings differ from when sealed")
    if stored.chain_hash != next_link(link, canonical):
        return broken(
            BreakKind.ENTRY_MISSING, "an entry sealed just before this one is no longer there"
        )
    return None


def _check_seal(seal: SealView, link: bytes, summary: DaySummary) -> Break | None:
    def broken(kind: BreakKind, detail: str) -> Break:
        return Break(kind, seal.business_date, None, None, detail)

    if link != seal.last_link:
        return broken(BreakKind.ENTRY_MISSING, "the day's last sealed entry is no longer there")
    stored = DaySummary(
        business_date=seal.business_date,
        entry_count=seal.entry_count,
        posting_count=seal.posting_count,
        first_sequence_no=seal.first_sequence_no,
        last_sequence_no=seal.last_sequence_no,
        totals=seal.totals,
    )
    if stored != summary:
        return broken(BreakKind.SEAL_ALTERED, "the seal's counts or totals differ from the day's")
    if seal.seal_hash != seal_hash(seal.previous_seal_hash, link, summary):
        return broken(BreakKind.SEAL_ALTERED, "the seal hash does not follow from the day")
    return None


def _first_invariant_break(
    session: Session,
    from_date: dt.date | None,
    to_date: dt.date | None,
    invariants: InvariantReport,
) -> Break | None:
    window = {"from_date": from_date or dt.date.min, "to_date": to_date or _DATES_MAX}
    row = session.execute(_FIRST_UNBALANCED_IN_RANGE, window).one_or_none()
    if row is not None:
        business_date, sequence_no, entry_id = row
        return Break(
            BreakKind.ENTRY_UNBALANCED,
            business_date,
            entry_id,
            sequence_no,
            "the entry's postings do not sum to zero per currency, or it has fewer than two",
        )
    if invariants.drifted_balances:
        accounts = ", ".join(invariants.drifted_balances)
        return Break(BreakKind.BALANCE_DRIFT, None, None, None, f"accounts {accounts}")
    if invariants.unbalanced_currencies:
        currencies = ", ".join(invariants.unbalanced_currencies)
        return Break(BreakKind.BOOKS_UNBALANCED, None, None, None, f"currencies {currencies}")
    return None


class _Peekable:
    """An iterator of (entry, stored link) that can look one item ahead."""

    __slots__ = ("_head", "_items")

    def __init__(self, items: Iterator[tuple[EntryRecord, StoredLink | None]]) -> None:
        self._items = items
        self._head: tuple[EntryRecord, StoredLink | None] | None = next(items, None)

    def peek(self) -> tuple[EntryRecord, StoredLink | None] | None:
        return self._head

    def next(self) -> tuple[EntryRecord, StoredLink | None]:
        head = self._head
        assert head is not None, "peek before next"
        self._head = next(self._items, None)
        return head
