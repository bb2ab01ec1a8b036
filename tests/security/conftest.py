"""Security tests: the API on a database of this package's own, with the tests/api helpers.

The platform's fixtures (cheap password hashing, settings, logins) come from
tests/api/conftest.py; the database is separate so that probes which try to change
things never disturb the shared one, and so assertions of "nothing changed" can count
the whole journal.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from creditunion.platform.database import make_engine
from creditunion.platform.settings import Settings
from tests.api.banking.bank import Bank
from tests.api.conftest import TEST_ENV, start_business_date
from tests.api.factories import _SessionSource, bind_factories
from tests.conftest import cloned_database

__all__ = ["TEST_ENV"]


@pytest.fixture(scope="package", autouse=True)
def _fast_settings() -> Iterator[None]:
    """Cheap password hashing and a fixed secret, as in tests/api."""
    from creditunion.platform.settings import get_settings

    saved = {name: os.environ.get(name) for name in TEST_ENV}
    os.environ.update(TEST_ENV)
    get_settings.cache_clear()
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


@pytest.fixture(scope="package")
def api_settings(_fast_settings: None) -> Settings:
    return Settings()


@pytest.fixture(scope="package")
def security_engine(server_url: str, template_name: str) -> Iterator[Engine]:
    database = cloned_database(server_url, template_name, "cu_security")
    engine = make_engine(next(database), pool_size=6)
    yield engine
    engine.dispose()
    database.close()


@pytest.fixture(scope="package")
def client(api_settings: Settings, security_engine: Engine) -> Iterator[TestClient]:
    previous = _SessionSource.engine
    bind_factories(security_engine)
    start_business_date(security_engine)
    try:
        app = create_app(api_settings, engine=security_engine)
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        _SessionSource.engine = previous


@pytest.fixture(scope="package")
def bank(security_engine: Engine, client: TestClient) -> Bank:
    return Bank.open(security_engine, client)
