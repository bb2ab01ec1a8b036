"""`creditunion init`: what a new credit union's database needs before the first member."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.service import initialise_business_date
from creditunion.settings import Settings
from creditunion.shares.product_service import install_standard_products
from ledger.chart import install_chart


def initialise(
    session: Session, *, settings: Settings, business_date: dt.date | None = None
) -> str:
    """Chart, standard share products and the business date; each only if missing.

    The business date starts at `business_date`, or today in the business time zone
    (this runs at the edge, so it may read the clock); once set, only COB moves it.
    """
    opened = install_chart(session, currency=settings.base_currency)
    products = install_standard_products(session, currency=settings.base_currency)
    start = business_date or today_in_zone(settings.zone)
    current = initialise_business_date(session, business_date=start)
    return (
        f"chart of accounts: {opened} accounts opened in {settings.base_currency}; "
        f"share products: {products} added; business date: {current}"
    )
