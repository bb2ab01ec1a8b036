"""Fixtures of the loans API tests: the shared app and database with loan products, and
apps of their own on a fresh database for tests that move the business date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from tests.api.banking.bank import Bank
from tests.api.factories import bind_factories
from tests.api.loans.lending import Lending

FreshLending = Callable[..., Lending]


@pytest.fixture(scope="package")
def lending(engine: Engine, client: TestClient) -> Lending:
    return Lending.open(Bank.open(engine, client))


@pytest.fixture
def fresh_lending(
    api_settings: Settings, engine: Engine, fresh_engine: Engine
) -> Iterator[FreshLending]:
    """`fresh_lending(start=date, **settings)`: an app on a database of this test's own,
    initialised (chart, share and loan products) with its business date at `start`."""
    clients: list[TestClient] = []

    def make(start: dt.date = dt.date(2026, 3, 2), **overrides: object) -> Lending:
        with unit_of_work(fresh_engine) as session:
            initialise(session, settings=Settings(base_currency="GBP"), business_date=start)
        bind_factories(fresh_engine)
        settings = api_settings.model_copy(update=overrides)
        client = TestClient(create_app(settings, engine=fresh_engine))
        client.__enter__()
        clients.append(client)
        return Lending(Bank(engine=fresh_engine, client=client, today=start))

    try:
        yield make
    finally:
        for client in clients:
            client.__exit__(None, None, None)
        bind_factories(engine)
