"""`creditunion init` seeds the loan products once; those not in the books' currency are
kept inactive; a rule set with no cap in force on the date seeds nothing, and says so."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from loans.services.products import list_products


def test_init_seeds_the_loan_products_once(fresh_engine: Engine) -> None:
    settings = Settings(base_currency="GBP")
    with unit_of_work(fresh_engine) as s:
        first = initialise(s, settings=settings, business_date=dt.date(2026, 11, 25))
    with unit_of_work(fresh_engine) as s:
        again = initialise(s, settings=settings)
        seeded = {view.code: view.active for view in list_products(s)}
    assert "loan products: 4 added" in first and "loan products: 0 added" in again
    assert seeded == {
        "GB-FAMILY": True,
        "GB-PAYDAY-ALT": True,
        "US-PAL-I": False,
        "US-PAL-II": False,
    }


def test_init_after_the_configured_caps_lapse_seeds_no_loan_products(fresh_engine: Engine) -> None:
    # The NCUA usury ceiling is configured until 10 September 2027.
    with unit_of_work(fresh_engine) as s:
        report = initialise(
            s, settings=Settings(base_currency="GBP"), business_date=dt.date(2027, 10, 1)
        )
        assert list_products(s) == []
    assert "loan products: none added" in report and "business date: 2027-10-01" in report
