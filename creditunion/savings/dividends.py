"""Declaring a dividend: a manager sets a rate for a closed period; COB pays it on `pay_on`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import ValidationProblem
from creditunion.savings.accrual import RateTooPrecise, rate_units
from creditunion.savings.models import DividendDeclaration, DividendStatus
from creditunion.shares.models import ReturnBasis, ShareProduct
from ledger.transaction import require_transaction


class DividendProductNotFound(NotFound):
    pass


class DividendOverlaps(Conflict):
    pass


@dataclass(frozen=True, slots=True)
class DividendView:
    id: int
    product_code: str
    period_start: dt.date
    period_end: dt.date
    pay_on: dt.date
    annual_rate: Decimal
    status: DividendStatus
    declared_by: str
    paid_members: int | None
    paid_total_minor: int | None


def declare_dividend(
    session: Session,
    *,
    product_code: str,
    period_start: dt.date,
    period_end: dt.date,
    pay_on: dt.date,
    annual_rate: str,
    declared_by: str,
    business_date: dt.date,
) -> DividendView:
    """Record a declaration; refused unless the period is over and the product pays dividends."""
    require_transaction(session)
    rate = _parse_rate(annual_rate)
    if period_end < period_start:
        raise ValidationProblem.single("period_end", "the period ends before it starts")
    if period_end >= business_date:
        raise ValidationProblem.single("period_end", "a dividend is declared for a closed period")
    if pay_on < business_date or pay_on <= period_end:
        raise ValidationProblem.single("pay_on", "the payment date must be today or later")
    product = session.scalar(select(ShareProduct).where(ShareProduct.code == product_code))
    if product is None or product.return_basis is not ReturnBasis.DIVIDEND:
        raise DividendProductNotFound(f"no dividend-paying share product {product_code!r}")
    overlapping = session.scalar(
        select(DividendDeclaration.id).where(
            DividendDeclaration.product_id == product.id,
            DividendDeclaration.period_start <= period_end,
            DividendDeclaration.period_end >= period_start,
        )
    )
    if overlapping is not None:
        raise DividendOverlaps(f"declaration {overlapping} already covers part of that period")
    declaration = DividendDeclaration(
        product_id=product.id,
        period_start=period_start,
        period_end=period_end,
        pay_on=pay_on,
        annual_rate=rate,
        declared_by=declared_by,
        status=DividendStatus.DECLARED,
    )
    session.add(declaration)
    session.flush()
    return _view(declaration, product.code)


def list_dividends(session: Session, *, limit: int = 100) -> list[DividendView]:
    rows = session.execute(
        select(DividendDeclaration, ShareProduct.code)
        .join(ShareProduct, ShareProduct.id == DividendDeclaration.product_id)
        .order_by(DividendDeclaration.id.desc())
        .limit(min(max(limit, 1), 500))
    ).all()
    return [_view(declaration, code) for declaration, code in rows]


def _parse_rate(text: str) -> Decimal:
    try:
        rate = Decimal(text)
        if not rate.is_finite():
            raise RateTooPrecise(text)
        rate_units(rate)
    except (InvalidOperation, RateTooPrecise, TypeError):
        raise ValidationProblem.single(
            "annual_rate", "a decimal rate such as 0.025, with at most 8 places"
        ) from None
    if not Decimal(0) < rate < Decimal(1):
        raise ValidationProblem.single("annual_rate", "the rate must be above 0 and below 1")
    return rate


def _view(declaration: DividendDeclaration, product_code: str) -> DividendView:
    return DividendView(
        id=declaration.id,
        product_code=product_code,
        period_start=declaration.period_start,
        period_end=declaration.period_end,
        pay_on=declaration.pay_on,
        annual_rate=declaration.annual_rate,
        status=declaration.status,
        declared_by=declaration.declared_by,
        paid_members=declaration.paid_members,
        paid_total_minor=declaration.paid_total_minor,
    )
