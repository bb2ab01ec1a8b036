"""Dividends on shares: a manager declares a rate for a closed period; close of business pays it.

Declaring takes `cob:run` (managers): it decides what a close of business will post.
Reading takes `ledger:read` (managers and auditors).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.commands import staff_command
from api.dividends.schemas import DividendIn, DividendOut, dividend_out
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.savings import commands, dividends
from creditunion.shares.product_service import get_share_product

router = api_router(prefix="/dividends", tags=["dividends"])

LIST_LIMIT_MAX = 100

Declaring = Annotated[CommandContext, staff_command(Permission.COB_RUN)]


@router.post("", status_code=201, responses=problem_responses(404, 409))
def declare(session: DbSession, body: DividendIn, context: Declaring) -> DividendOut:
    """Declare a dividend rate for a closed period of a dividend-paying product"""
    declared = commands.declare_dividend(
        session,
        context,
        product_code=body.product_code.upper(),
        period_start=body.period_start,
        period_end=body.period_end,
        pay_on=body.pay_on,
        annual_rate=body.annual_rate,
    )
    currency = get_share_product(session, code=declared.product_code).currency
    return dividend_out(declared, currency)


@router.get("", dependencies=[require(Permission.LEDGER_READ)])
def list_declared(
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = LIST_LIMIT_MAX,
) -> list[DividendOut]:
    """Declared dividends, newest first"""
    currencies: dict[str, str] = {}
    found = []
    for view in dividends.list_dividends(session, limit=limit):
        if view.product_code not in currencies:
            currencies[view.product_code] = get_share_product(
                session, code=view.product_code
            ).currency
        found.append(dividend_out(view, currencies[view.product_code]))
    return found
