"""Many accounts against one: interest to every member, accrual on every loan.

Lines are packed into balanced entries of up to `LINES_PER_ENTRY` lines (one line on the
common account, the rest on the many) and posted with `post_batch`, a few thousand
postings per round trip. Keys are `{key_prefix}:{first account id of the entry}`, so the
same call for the same business date is replayed, never posted twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Final

from sqlalchemy.orm import Session

from ledger.batch import BatchResult, Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.money import Money

LINES_PER_ENTRY: Final = 200
ENTRIES_PER_BATCH: Final = 100


class Direction(enum.Enum):
    CREDIT_MANY = "credit_many"  # debit the common account, credit each of the many
    DEBIT_MANY = "debit_many"  # credit the common account, debit each of the many


class FanOutRefused(RuntimeError):
    """Some entry was refused: the caller's step must fail rather than drop money quietly."""

    def __init__(self, refused: list[BatchResult]) -> None:
        super().__init__(f"{len(refused)} entries refused, first: {refused[0].error}")
        self.refused = refused


@dataclass(frozen=True, slots=True)
class FanOutTotals:
    entries: int
    lines: int
    total_minor: int


def fan_out(
    session: Session,
    *,
    common_account_id: int,
    many: Iterable[tuple[int, int]],
    currency: str,
    direction: Direction,
    business_date: dt.date,
    key_prefix: str,
    description: str,
    kind: str,
    posted_by: str,
) -> FanOutTotals:
    """Post `(account_id, amount_minor)` pairs (amounts positive) against one account."""
    entries = lines = total = 0
    for batch in _chunks(_entries(many), ENTRIES_PER_BATCH):
        requests = [
            _request(
                common_account_id,
                chunk,
                currency,
                direction,
                business_date,
                key_prefix,
                description,
                kind,
                posted_by,
            )
            for chunk in batch
        ]
        results = post_batch(session, requests)
        refused = [r for r in results if r.outcome is Outcome.REFUSED]
        if refused:
            raise FanOutRefused(refused)
        entries += len(requests)
        lines += sum(len(chunk) for chunk in batch)
        total += sum(amount for chunk in batch for _, amount in chunk)
    return FanOutTotals(entries=entries, lines=lines, total_minor=total)


def _entries(many: Iterable[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    non_zero = (pair for pair in many if pair[1])
    while chunk := list(islice(non_zero, LINES_PER_ENTRY - 1)):
        assert all(amount > 0 for _, amount in chunk), "fan-out amounts are positive"
        yield chunk


def _chunks(
    entries: Iterator[list[tuple[int, int]]], size: int
) -> Iterator[list[list[tuple[int, int]]]]:
    while batch := list(islice(entries, size)):
        yield batch


def _request(
    common_account_id: int,
    chunk: list[tuple[int, int]],
    currency: str,
    direction: Direction,
    business_date: dt.date,
    key_prefix: str,
    description: str,
    kind: str,
    posted_by: str,
) -> EntryRequest:
    sign = 1 if direction is Direction.DEBIT_MANY else -1
    many_lines = [
        Line(account, Money.from_minor(sign * amount, currency)) for account, amount in chunk
    ]
    total = sum(amount for _, amount in chunk)
    common = Line(common_account_id, Money.from_minor(-sign * total, currency))
    return EntryRequest(
        idempotency_key=f"{key_prefix}:{chunk[0][0]}",
        business_date=business_date,
        lines=(common, *many_lines),
        description=description,
        posted_by=posted_by,
        kind=kind,
    )
