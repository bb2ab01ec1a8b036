"""The day seals, a page at a time in date order, for auditors to copy and keep.

A seal hash is evidence only while a copy of it lives outside the database (see
docs/exports.md), so auditors list them through the API and store them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.business_date.models import BusinessCalendar
from creditunion.business_date.service import BusinessDateNotInitialised
from ledger.chain import CurrencyTotal
from ledger.seal import SealView
from ledger.seal_models import DaySeal, DaySealTotal

PAGE_SIZE_MAX: Final = 1_000


def verify_window(
    session: Session, *, from_date: dt.date | None, to_date: dt.date | None, days_max: int
) -> tuple[dt.date, dt.date]:
    """The range a verification covers when one or both ends are left out.

    `to` defaults to the last sealed day and `from` to the later of the first sealed day
    and the `days_max` days ending at `to`; given `from` alone, `to` is the last sealed day
    but at most `days_max` days on. With nothing sealed yet the date given, else the
    business date, stands for both (no chain to check; the invariants are checked all the
    same).
    """
    if from_date is not None and to_date is not None:
        return from_date, to_date
    first, last = session.execute(
        select(func.min(DaySeal.business_date), func.max(DaySeal.business_date))
    ).one()
    if last is None:
        anchor = from_date or to_date or session.scalar(select(BusinessCalendar.business_date))
        if anchor is None:
            raise BusinessDateNotInitialised()
        first = last = anchor
    span = dt.timedelta(days=days_max - 1)
    if to_date is None:
        to_date = last if from_date is None else max(from_date, min(last, from_date + span))
    if from_date is None:
        from_date = min(to_date, max(first, to_date - span))
    return from_date, to_date


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
