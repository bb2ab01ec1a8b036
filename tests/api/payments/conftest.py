"""Fixtures of the payment API tests: each test gets a database and an app of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from creditunion.platform.settings import Settings
from tests.api.banking.bank import Bank
from tests.api.factories import bind_factories
from tests.api.payments.world import PayWorld


@pytest.fixture
def world(api_settings: Settings, engine: Engine, fresh_engine: Engine) -> Iterator[PayWorld]:
    bind_factories(fresh_engine)
    try:
        app = create_app(api_settings, engine=fresh_engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield PayWorld(Bank.open(fresh_engine, client))
    finally:
        bind_factories(engine)
