"""Sealing closed business days: a hash chain over each day's journal, day linked to day.

`seal_day` runs after `ledger.periods.close_business_date` (COB closes the date, then seals
it). Days are sealed one after another with no gaps, an empty day too, so the chain runs
unbroken from the first sealed day to the last; `ledger.verify` recomputes it.

The day's entries stream through a server-side cursor and their links are written in
batches, so memory stays flat however large the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.chain import (
    GENESIS,
    CurrencyTotal,
    DaySummary,
    entry_digest,
    next_link,
    seal_hash,
)
from ledger.errors import Conflict
from ledger.journal_stream import batched, canonical_entries_of_day, day_totals
from ledger.periods import closed_through
from ledger.transaction import driver_connection, require_transaction

# Arbitrary but fixed: the 64-bit key of the advisory lock that serialises sealing.
SEAL_LOCK_KEY: Final = 0x4C45_4447_4552_0002
LINK_BATCH_ROWS: Final = 2_000
SEALS_LISTED_MAX: Final = 40_000  # more than a century of business days
CATCH_UP_DAYS_MAX: Final = 400

ONE_DAY: Final = dt.timedelta(days=1)


class SealRefused(Conflict):
    """The day cannot be sealed; nothing was written."""


class DateNotClosed(SealRefused):
    def __init__(self, business_date: dt.date, closed: dt.date | None) -> None:
        super().__init__(f"{business_date} is not closed (closed through {closed})")
        self.business_date = business_date


class DayAlreadySealed(SealRefused):
    def __init__(self, business_date: dt.date) -> None:
        super().__init__(f"{business_date} is already sealed")
        self.business_date = business_date


class SealOutOfOrder(SealRefused):
    def __init__(self, business_date: dt.date, reason: str) -> None:
        super().__init__(f"{business_date} cannot be sealed yet: {reason}")
        self.business_date = business_date


@dataclass(frozen=True, slots=True)
class SealView:
    business_date: dt.date
    previous_seal_hash: bytes
    last_link: bytes
    seal_hash: bytes
    entry_count: int
    posting_count: int
    first_sequence_no: int | None
    last_sequence_no: int | None
    totals: tuple[CurrencyTotal, ...]
    sealed_at: dt.datetime
    sealed_by: str


_SEAL_COLUMNS: Final = """
    s.business_date, s.previous_seal_hash, s.last_link, s.seal_hash, s.entry_count,
    s.posting_count, s.first_sequence_no, s.last_sequence_no, s.sealed_at, s.sealed_by,
    coalesce((SELECT array_agg(t.currency::text ORDER BY t.currency)
              FROM ledger_day_seal_totals t WHERE t.business_date = s.business_date), '{}'),
    coalesce((SELECT array_agg(t.debit_minor ORDER BY t.currency)
              FROM ledger_day_seal_totals t WHERE t.business_date = s.business_date), '{}'),
    coalesce((SELECT array_agg(t.credit_minor ORDER BY t.currency)
              FROM ledger_day_seal_totals t WHERE t.business_date = s.business_date), '{}')
"""

_LAST_SEAL = text(
    f"SELECT {_SEAL_COLUMNS} FROM ledger_day_seals s ORDER BY business_date DESC LIMIT 1"
)
_SEAL_OF = text(f"SELECT {_SEAL_COLUMNS} FROM ledger_day_seals s WHERE business_date = :d")
_SEALS_BETWEEN = text(
    f"SELECT {_SEAL_COLUMNS} FROM ledger_day_seals s "
    "WHERE business_date BETWEEN :from_date AND :to_date ORDER BY business_date LIMIT :n"
)
_EARLIEST_ENTRY_BEFORE = text(
    "SELECT min(business_date) FROM journal_entries WHERE business_date < :d"
)

_INSERT_LINKS: Final = """
INSERT INTO ledger_entry_chain (entry_id, business_date, sequence_no, entry_digest, chain_hash)
SELECT l.entry_id, %b, l.sequence_no, l.entry_digest, l.chain_hash
FROM unnest(%b::uuid[], %b::bigint[], %b::bytea[], %b::bytea[])
    AS l(entry_id, sequence_no, entry_digest, chain_hash)
"""

_INSERT_SEAL = text("""
INSERT INTO ledger_day_seals (business_date, previous_seal_hash, last_link, seal_hash,
    entry_count, posting_count, first_sequence_no, last_sequence_no, sealed_by)
VALUES (:d, :previous, :last_link, :seal_hash, :entries, :postings, :first, :last, :by)
""")

_INSERT_TOTAL = text("""
INSERT INTO ledger_day_seal_totals (business_date, currency, debit_minor, credit_minor)
VALUES (:d, :currency, :debit, :credit)
""")


def _view(row: Any) -> SealView:
    currencies, debits, credits = row[10], row[11], row[12]
    return SealView(
        business_date=row[0],
        previous_seal_hash=bytes(row[1]),
        last_link=bytes(row[2]),
        seal_hash=bytes(row[3]),
        entry_count=row[4],
        posting_count=row[5],
        first_sequence_no=row[6],
        last_sequence_no=row[7],
        sealed_at=row[8],
        sealed_by=row[9],
        totals=tuple(
            CurrencyTotal(c, int(d), int(k))
            for c, d, k in zip(currencies, debits, credits, strict=True)
        ),
    )


def last_seal(session: Session) -> SealView | None:
    row = session.execute(_LAST_SEAL).one_or_none()
    return None if row is None else _view(row)


def get_seal(session: Session, business_date: dt.date) -> SealView | None:
    row = session.execute(_SEAL_OF, {"d": business_date}).one_or_none()
    return None if row is None else _view(row)


def seals_between(session: Session, *, from_date: dt.date, to_date: dt.date) -> list[SealView]:
    """The seals of the dates in [from_date, to_date], in date order."""
    rows = session.execute(
        _SEALS_BETWEEN, {"from_date": from_date, "to_date": to_date, "n": SEALS_LISTED_MAX}
    )
    return [_view(row) for row in rows]


def next_date_to_seal(session: Session) -> dt.date | None:
    """The day after the last seal, or the earliest entry's date before any seal exists."""
    last = last_seal(session)
    if last is not None:
        return last.business_date + ONE_DAY
    earliest = session.execute(text("SELECT min(business_date) FROM journal_entries")).scalar()
    assert earliest is None or isinstance(earliest, dt.date)
    return earliest


def seal_day(session: Session, *, business_date: dt.date, sealed_by: str) -> SealView:
    """Seal a closed `business_date`, the day after the last sealed one; return its seal.

    Raises `DateNotClosed`, `DayAlreadySealed` or `SealOutOfOrder`, writing nothing.
    """
    require_transaction(session)
    if not sealed_by.strip() or len(sealed_by) > 100:
        raise ValueError("sealed_by must be 1 to 100 characters")
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK_KEY})
    previous = _check_order(session, business_date)
    previous_hash = GENESIS if previous is None else previous.seal_hash
    link, summary = _write_links(session, business_date, previous_hash)
    digest = seal_hash(previous_hash, link, summary)
    session.execute(
        _INSERT_SEAL,
        {
            "d": business_date,
            "previous": previous_hash,
            "last_link": link,
            "seal_hash": digest,
            "entries": summary.entry_count,
            "postings": summary.posting_count,
            "first": summary.first_sequence_no,
            "last": summary.last_sequence_no,
            "by": sealed_by,
        },
    )
    for total in summary.totals:
        session.execute(
            _INSERT_TOTAL,
            {
                "d": business_date,
                "currency": total.currency,
                "debit": total.debit_minor,
                "credit": total.credit_minor,
            },
        )
    seal = get_seal(session, business_date)
    assert seal is not None, "the seal was just written"
    return seal


def seal_through(
    session: Session,
    *,
    business_date: dt.date,
    sealed_by: str,
    days_max: int = CATCH_UP_DAYS_MAX,
) -> list[SealView]:
    """Seal every day from the next unsealed one through `business_date`, in order.

    For a close of business on a ledger with history from before sealing began (or after
    days closed while it was not sealing): the first seal must start at the journal's first
    date, and no day may be skipped. Returns the seals written (none if all are sealed).
    Refuses, writing nothing, a catch-up longer than `days_max` days: run
    `creditunion audit seal`, which commits day by day, first.
    """
    # An empty journal with no seal yet may start its chain on any day.
    start = next_date_to_seal(session) or business_date
    if start > business_date:
        return []
    days = (business_date - start).days + 1
    if days > days_max:
        raise SealOutOfOrder(
            business_date, f"{days} days from {start} are unsealed; seal them first in steps"
        )
    return [
        seal_day(session, business_date=start + dt.timedelta(days=n), sealed_by=sealed_by)
        for n in range(days)
    ]


def _check_order(session: Session, business_date: dt.date) -> SealView | None:
    closed = closed_through(session)
    if closed is None or business_date > closed:
        raise DateNotClosed(business_date, closed)
    last = last_seal(session)
    if last is None:
        earlier = session.execute(_EARLIEST_ENTRY_BEFORE, {"d": business_date}).scalar()
        if earlier is not None:
            raise SealOutOfOrder(
                business_date, f"the first seal must start at the journal's first date, {earlier}"
            )
        return None
    if business_date <= last.business_date:
        if get_seal(session, business_date) is not None:
            raise DayAlreadySealed(business_date)
        raise SealOutOfOrder(business_date, "it is before the first sealed day")
    if business_date != last.business_date + ONE_DAY:
        raise SealOutOfOrder(
            business_date, f"the next day to seal is {last.business_date + ONE_DAY}"
        )
    return last


def _write_links(
    session: Session, business_date: dt.date, previous_hash: bytes
) -> tuple[bytes, DaySummary]:
    # The seal row is written last, once the day's summary is known.
    connection = driver_connection(session)
    link = previous_hash
    entry_count, first, last = 0, None, None
    entries = canonical_entries_of_day(session, business_date)
    for batch in batched(entries, LINK_BATCH_ROWS):
        ids, sequences, digests, links = [], [], [], []
        for entry_id, sequence_no, canonical in batch:
            link = next_link(link, canonical)
            ids.append(entry_id)
            sequences.append(sequence_no)
            digests.append(entry_digest(canonical))
            links.append(link)
        entry_count += len(batch)
        first = sequences[0] if first is None else first
        last = sequences[-1]
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_LINKS, (business_date, ids, sequences, digests, links))
    totals = day_totals(session, business_date)
    summary = DaySummary(
        business_date=business_date,
        entry_count=entry_count,
        posting_count=sum(count for _, count, _, _ in totals),
        first_sequence_no=first,
        last_sequence_no=last,
        totals=tuple(CurrencyTotal(c, debit, credit) for c, _, debit, credit in totals),
    )
    return link, summary
