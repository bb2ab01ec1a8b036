"""Fixtures and builders shared by the member and share account tests."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creditunion.platform.database import unit_of_work
from creditunion.shares.movements import deposit_cash
from creditunion.shares.product_service import install_standard_products
from creditunion.shares.views import Movement
from ledger.chart import install_chart
from ledger.invariants import check_invariants
from ledger.money import Money
from tests.factories import STAFF, TODAY

MANAGER = "user:manager-1"
OTHER_MANAGER = "user:manager-2"
LIMIT = Money("1000.00", "GBP")


@pytest.fixture(scope="session")
def books(engine: Engine) -> Engine:
    """The shared test database with the chart of accounts and the standard products."""
    with unit_of_work(engine) as session:
        install_chart(session, currency="GBP")
        install_standard_products(session, currency="GBP")
    return engine


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def key() -> str:
    return f"test-{uuid.uuid4()}"


def deposit(
    session: Session, account_id: int, amount: str, *, business_date: dt.date = TODAY
) -> Movement:
    return deposit_cash(
        session,
        share_account_id=account_id,
        amount=gbp(amount),
        actor=STAFF,
        idempotency_key=key(),
        business_date=business_date,
    )


def assert_invariants(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        report = check_invariants(session)
    assert report.ok, report


def run_threads(target: Callable[[int], None], count: int) -> None:
    """Start `count` threads at once (a barrier), wait for all, fail if one hangs."""
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        target(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
