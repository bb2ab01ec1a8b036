"""The API over the shared test database: an app, a client, users of every role, tokens.

The app gets a test-only router (`/v1/_test/...`) with endpoints that break on purpose or
count how often they ran, for the platform tests; it is never part of the real API.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.problem_map import build_problem_map
from api.problems import install_problem_map
from creditunion.auth.models import User
from creditunion.auth.roles import Role
from creditunion.business_date.service import initialise_business_date
from creditunion.demo import DemoReport, run_demo
from creditunion.platform.database import make_engine, unit_of_work
from creditunion.platform.settings import Settings, get_settings
from launch.migrate import head_revisions
from tests.api.factories import PASSWORD, bind_factories, make_user
from tests.api.probe_router import PROBLEMS as TEST_PROBLEMS
from tests.api.probe_router import router as test_router
from tests.conftest import cloned_database
from tests.factories import TODAY

TEST_ENV = {
    "CREDITUNION_ENVIRONMENT": "test",
    "CREDITUNION_JWT_SECRET": "test-secret-" + "x" * 40,
    "CREDITUNION_PASSWORD_HASH_TIME_COST": "1",
    "CREDITUNION_PASSWORD_HASH_MEMORY_KIB": "8",
    "CREDITUNION_PASSWORD_HASH_PARALLELISM": "1",
    # The settlement account payments need (unset, the payment endpoints answer 503).
    "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID": "400000",
    "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER": "11112222",
    # The service user number direct debits are collected under (unset, no mandate).
    "CREDITUNION_BACS_SERVICE_USER_NUMBER": "123456",
}


@pytest.fixture(scope="package", autouse=True)
def _fast_settings() -> Iterator[None]:
    """Cheap password hashing for everything in tests/api, including code reading get_settings()."""
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


def build_app(settings: Settings, engine: Engine) -> FastAPI:
    app = create_app(settings, engine=engine, schema_heads=head_revisions())
    app.include_router(test_router, prefix="/v1")
    install_problem_map(app, build_problem_map(TEST_PROBLEMS))
    return app


def start_business_date(engine: Engine, day: dt.date = TODAY) -> None:
    """The business date every command runs on (signing in too), as `creditunion init`
    sets it; the banking tests' books start on the same date."""
    with unit_of_work(engine) as session:
        initialise_business_date(session, business_date=day)


@pytest.fixture(scope="package", autouse=True)
def _business_date(engine: Engine) -> None:
    """The shared database's business date, for every app the tests build on it."""
    start_business_date(engine)


@pytest.fixture(scope="package")
def app(api_settings: Settings, engine: Engine) -> FastAPI:
    bind_factories(engine)
    return build_app(api_settings, engine)


@pytest.fixture(scope="package")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class LoggedIn:
    user: User
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def login(client: TestClient, user: User, password: str = PASSWORD) -> LoggedIn:
    response = client.post("/v1/auth/token", data={"username": user.username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return LoggedIn(user, body["access_token"], body["refresh_token"])


@pytest.fixture
def login_as(client: TestClient) -> Callable[[Role], LoggedIn]:
    def make(role: Role) -> LoggedIn:
        return login(client, make_user(role))

    return make


@pytest.fixture
def admin(client: TestClient) -> LoggedIn:
    return login(client, make_user(Role.ADMIN))


@pytest.fixture
def auditor(client: TestClient) -> LoggedIn:
    return login(client, make_user(Role.AUDITOR))


@pytest.fixture
def teller(client: TestClient) -> LoggedIn:
    return login(client, make_user(Role.TELLER))


DEMO_TODAY = dt.date(2026, 11, 25)
DEMO_MEMBERS = 24


@dataclass(frozen=True)
class SeededDemo:
    engine: Engine
    report: DemoReport
    days_reported: list[int]


@pytest.fixture(scope="package")
def demo(server_url: str, template_name: str, api_settings: Settings) -> Iterator[SeededDemo]:
    """`creditunion demo` run once on a database of its own (its 90 days of close of
    business are the slow part), for the tests that check what it seeded."""
    database = cloned_database(server_url, template_name, "cu_demo")
    engine = make_engine(next(database), pool_size=5)
    days: list[int] = []
    report = run_demo(
        engine,
        settings=api_settings,
        today=DEMO_TODAY,
        members=DEMO_MEMBERS,
        on_day=lambda done, total: days.append(done),
    )
    yield SeededDemo(engine, report, days)
    engine.dispose()
    database.close()
