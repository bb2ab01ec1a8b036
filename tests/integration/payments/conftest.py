import pytest
from sqlalchemy import Engine

from creditunion.platform.database import unit_of_work
from creditunion.shares.product_service import install_standard_products
from ledger.chart import install_chart
from tests.share_account_helpers import books

__all__ = ["books", "own_books"]


@pytest.fixture
def own_books(fresh_engine: Engine) -> Engine:
    """A database of its own with the chart and standard products: file production takes
    every payment due, so a test that counts a file's payments needs no neighbours."""
    with unit_of_work(fresh_engine) as session:
        install_chart(session, currency="GBP")
        install_standard_products(session, currency="GBP")
    return fresh_engine


@pytest.fixture
def own_us_books(fresh_engine: Engine) -> Engine:
    """As `own_books`, in US dollars, for the ACH rail."""
    with unit_of_work(fresh_engine) as session:
        install_chart(session, currency="USD")
        install_standard_products(session, currency="USD")
    return fresh_engine
