"""The day seals, a page at a time in date order, for auditors to copy and keep.

A seal hash is evidence only while a copy of it lives outside the database (see
docs/exports.md), so auditors list them through the API and store them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain import CurrencyTotal
from ledger.seal import SealView
from ledger.seal_models import DaySeal, DaySealTotal

PAGE_SIZE_MAX: Final = 1_000


def seals_page(
    session: Session,
    *,
    from_date: dt.date | None,
    to_date: dt.date | None,
    after: dt.date | None,
    limit: int,
) -> list[SealView]:
    """Up to `limit` seals dated in [from_date, to_date] and after `after`, oldest first."""
    if not 0 < limit <= PAGE_SIZE_MAX:
        raise ValueError(f"limit must be 1 to {PAGE_SIZE_MAX}")
    query = select(DaySeal).order_by(DaySeal.business_date).limit(limit)
    if from_date is not None:
        query = query.where(DaySeal.business_date >= from_date)
    if to_date is not None:
        query = query.where(DaySeal.business_date <= to_date)
    if after is not None:
        query = query.where(DaySeal.business_date > after)
    seals = list(session.scalars(query))
    totals: defaultdict[dt.date, list[CurrencyTotal]] = defaultdict(list)
    if seals:
        rows = session.scalars(
            select(DaySealTotal)
            .where(DaySealTotal.business_date.in_([s.business_date for s in seals]))
            .order_by(DaySealTotal.business_date, DaySealTotal.currency)
        )
        for row in rows:
            totals[row.business_date].append(
                CurrencyTotal(row.currency, row.debit_minor, row.credit_minor)
            )
    return [
        SealView(
            business_date=seal.business_date,
            previous_seal_hash=bytes(seal.previous_seal_hash),
            last_link=bytes(seal.last_link),
            seal_hash=bytes(seal.seal_hash),
            entry_count=seal.entry_count,
            posting_count=seal.posting_count,
            first_sequence_no=seal.first_sequence_no,
            last_sequence_no=seal.last_sequence_no,
            totals=tuple(totals[seal.business_date]),
            sealed_at=seal.sealed_at,
            sealed_by=seal.sealed_by,
        )
        for seal in seals
    ]
