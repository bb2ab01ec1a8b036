"""Declaring a dividend, as a command: it runs in the caller's transaction and is audited
once from its result."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, command
from creditunion.savings import dividends
from creditunion.savings.dividends import DividendView


@command(action="dividend.declare", target_type="dividend")
def declare_dividend(
    session: Session,
    context: CommandContext,
    *,
    product_code: str,
    period_start: dt.date,
    period_end: dt.date,
    pay_on: dt.date,
    annual_rate: str,
) -> Audited[DividendView]:
    declared = dividends.declare_dividend(
        session,
        product_code=product_code,
        period_start=period_start,
        period_end=period_end,
        pay_on=pay_on,
        annual_rate=annual_rate,
        declared_by=context.actor_ref,
        business_date=context.business_date,
    )
    summary = {
        "product_code": declared.product_code,
        "period_start": declared.period_start,
        "period_end": declared.period_end,
        "pay_on": declared.pay_on,
        "annual_rate": format(declared.annual_rate.normalize(), "f"),
    }
    return Audited(declared, target_id=declared.id, summary=summary)
