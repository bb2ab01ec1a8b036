"""Reading mandates, collections and notices, for members (their own) and staff; and the
collections dashboard. A staff list of one member's rows passes that member's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.payments.collections.mandates import MandateNotFound
from creditunion.payments.collections.models import (
    Collection,
    CollectionMandate,
    CollectionNotice,
    CollectionStatus,
    MandateStatus,
)
from creditunion.payments.collections.views import (
    CollectionView,
    MandateView,
    NoticeView,
    collection_view,
    mandate_view,
    notice_view,
)
from ledger.money import Money
from ledger.ownership import Scope

PAGE_MAX: Final = 500


def _page(limit: int) -> int:
    if not 1 <= limit <= PAGE_MAX:
        raise ValueError(f"a page holds 1 to {PAGE_MAX} rows")
    return limit


def get_mandate(session: Session, *, mandate_id: int, scope: Scope) -> MandateView:
    row = session.get(CollectionMandate, mandate_id)
    if row is None or (scope.member_id is not None and row.member_id != scope.member_id):
        raise MandateNotFound(mandate_id)
    return mandate_view(row)


def list_mandates(
    session: Session,
    *,
    scope: Scope,
    loan_id: int | None = None,
    status: MandateStatus | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[MandateView]:
    query = select(CollectionMandate).where(CollectionMandate.id > after_id)
    owner = scope.member_id
    if owner is not None:
        query = query.where(CollectionMandate.member_id == owner)
    if loan_id is not None:
        query = query.where(CollectionMandate.loan_id == loan_id)
    if status is not None:
        query = query.where(CollectionMandate.status == status)
    rows = session.scalars(query.order_by(CollectionMandate.id).limit(_page(limit)))
    return [mandate_view(row) for row in rows]


def list_collections(
    session: Session,
    *,
    scope: Scope,
    loan_id: int | None = None,
    mandate_id: int | None = None,
    status: CollectionStatus | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[CollectionView]:
    query = select(Collection).where(Collection.id > after_id)
    owner = scope.member_id
    if owner is not None:
        query = query.where(Collection.member_id == owner)
    if loan_id is not None:
        query = query.where(Collection.loan_id == loan_id)
    if mandate_id is not None:
        query = query.where(Collection.mandate_id == mandate_id)
    if status is not None:
        query = query.where(Collection.status == status)
    rows = session.scalars(query.order_by(Collection.id).limit(_page(limit)))
    return [collection_view(row) for row in rows]


def list_notices(
    session: Session,
    *,
    scope: Scope,
    loan_id: int | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[NoticeView]:
    query = select(CollectionNotice).where(CollectionNotice.id > after_id)
    owner = scope.member_id
    if owner is not None:
        query = query.where(CollectionNotice.member_id == owner)
    if loan_id is not None:
        query = query.where(CollectionNotice.loan_id == loan_id)
    rows = session.scalars(query.order_by(CollectionNotice.id).limit(_page(limit)))
    return [notice_view(row) for row in rows]


@dataclass(frozen=True, slots=True)
class StatusFigures:
    status: CollectionStatus
    count: int
    amount: Money


@dataclass(frozen=True, slots=True)
class ReasonFigures:
    reason_code: str
    reason_text: str
    count: int
    amount: Money


@dataclass(frozen=True, slots=True)
class CollectionsDashboard:
    """Collections whose date falls in [from_date, to_date], by status and unpaid by reason;
    and the mandates by status now."""

    from_date: dt.date
    to_date: dt.date
    by_status: list[StatusFigures]
    unpaid_by_reason: list[ReasonFigures]
    mandates_by_status: dict[MandateStatus, int]


def dashboard(
    session: Session, *, from_date: dt.date, to_date: dt.date, currency: str
) -> CollectionsDashboard:
    if to_date < from_date:
        raise ValueError("the period ends before it starts")
    in_period = (
        Collection.collection_date >= from_date,
        Collection.collection_date <= to_date,
        Collection.currency == currency,
    )
    statuses = session.execute(
        select(Collection.status, func.count(), func.sum(Collection.amount_minor))
        .where(*in_period)
        .group_by(Collection.status)
        .order_by(Collection.status)
    ).all()
    reasons = session.execute(
        select(
            Collection.reason_code,
            func.min(Collection.reason_text),
            func.count(),
            func.sum(Collection.amount_minor),
        )
        .where(*in_period, Collection.status == CollectionStatus.UNPAID)
        .group_by(Collection.reason_code)
        .order_by(func.count().desc(), Collection.reason_code)
    ).all()
    mandates = session.execute(
        select(CollectionMandate.status, func.count()).group_by(CollectionMandate.status)
    ).all()
    return CollectionsDashboard(
        from_date=from_date,
        to_date=to_date,
        by_status=[
            StatusFigures(status, int(count), Money.from_minor(int(minor or 0), currency))
            for status, count, minor in statuses
        ],
        unpaid_by_reason=[
            ReasonFigures(
                code or "", text or "", int(count), Money.from_minor(int(minor), currency)
            )
            for code, text, count, minor in reasons
        ],
        mandates_by_status={status: int(count) for status, count in mandates},
    )
