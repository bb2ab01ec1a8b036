"""Reversal: a new entry that mirrors an original and links to it; the original is untouched."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.checks import PostingRefused
from ledger.entry import EntryRequest, Line, PostedEntry, validate
from ledger.errors import NotFound
from ledger.models import JournalEntry, Posting
from ledger.money import Money
from ledger.posting import post_validated
from ledger.transaction import require_transaction


class EntryNotFound(NotFound):
    pass


class CannotReverseReversal(PostingRefused):
    def __init__(self, entry_id: uuid.UUID) -> None:
        super().__init__(f"entry {entry_id} is itself a reversal and cannot be reversed")
        self.entry_id = entry_id


def reverse_entry(
    session: Session,
    *,
    entry_id: uuid.UUID,
    idempotency_key: str,
    business_date: dt.date,
    posted_by: str,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> PostedEntry:
    """Post the mirror of `entry_id` on `business_date` (an open date, usually today's).

    `metadata` is recorded beside the reversed entry's sequence number (who asked for the
    reversal and who approved it, say). Refused with `posting.AlreadyReversed` if another
    reversal of it exists.
    """
    require_transaction(session)
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise EntryNotFound(f"journal entry {entry_id} does not exist")
    if original.reverses_entry_id is not None:
        raise CannotReverseReversal(entry_id)
    request = EntryRequest(
        idempotency_key=idempotency_key,
        business_date=business_date,
        lines=_mirrored_lines(session, entry_id),
        description=description or f"Reversal of {original.description}"[:500],
        posted_by=posted_by,
        kind="reversal",
        reference=original.reference,
        metadata={**(metadata or {}), "reverses_sequence_no": original.sequence_no},
    )
    validate(request)
    return post_validated(session, request, reverses_entry_id=entry_id)


def _mirrored_lines(session: Session, entry_id: uuid.UUID) -> tuple[Line, ...]:
    rows = session.execute(
        select(Posting.account_id, Posting.amount_minor, Posting.currency)
        .where(Posting.entry_id == entry_id)
        .order_by(Posting.id)
    ).all()
    assert len(rows) >= 2, f"entry {entry_id} has fewer than two postings"
    return tuple(
        Line(account_id, Money.from_minor(-amount, currency))
        for account_id, amount, currency in rows
    )
