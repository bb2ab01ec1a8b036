"""`creditunion init`: what a new credit union's database needs before the first member."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.service import initialise_business_date
from creditunion.commands import Audited, CommandContext, command
from creditunion.platform.settings import Settings
from creditunion.shares.product_service import install_standard_products
from ledger.chart import install_chart
from loans.rulesets.base import NoRuleInForce
from loans.services.seed import seed_products


def initialise(
    session: Session, *, settings: Settings, business_date: dt.date | None = None
) -> str:
    """Chart, standard share and loan products and the business date; each only if missing.

    The business date starts at `business_date`, or today in the business time zone
    (this runs at the edge, so it may read the clock); once set, only COB moves it.
    """
    opened = install_chart(session, currency=settings.base_currency)
    products = install_standard_products(session, currency=settings.base_currency)
    start = business_date or today_in_zone(settings.zone)
    current = initialise_business_date(session, business_date=start)
    return (
        f"chart of accounts: {opened} accounts opened in {settings.base_currency}; "
        f"share products: {products} added; {_seed_loan_products(session, settings, current)}; "
        f"business date: {current}"
    )


def _seed_loan_products(session: Session, settings: Settings, business_date: dt.date) -> str:
    # Products lending in another currency than the books' are added inactive. A rule set
    # whose configured caps have lapsed by the business date (the NCUA usury ceiling is
    # configured to 10 Sep 2027) cannot validate its products: nothing is seeded then, and
    # init says why, rather than failing the whole initialisation.
    try:
        with session.begin_nested():
            added = seed_products(
                session,
                currency=settings.base_currency,
                actor="system:init",
                business_date=business_date,
            )
    except NoRuleInForce as exc:
        return f"loan products: none added ({exc}; update the rule sets' configuration)"
    return f"loan products: {added} added"


@command(action="setup.initialise", target_type=None)
def initialise_books(
    session: Session, context: CommandContext, *, settings: Settings
) -> Audited[str]:
    """`initialise` as a command: the operator who set up the books is on the audit trail.
    The context's business date is the first one (the books have none before this)."""
    report = initialise(session, settings=settings, business_date=context.business_date)
    return Audited(report, target_id=None, summary={"currency": settings.base_currency})
