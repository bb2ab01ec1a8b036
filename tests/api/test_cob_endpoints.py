"""Staff see close of business: its history, and the current run's progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from creditunion.auth.roles import Role
from creditunion.cob.plan import run_close_of_business
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from tests.api.conftest import login
from tests.api.factories import bind_factories, make_user

START = dt.date(2026, 3, 1)


@pytest.fixture
def cob_client(
    api_settings: Settings, engine: Engine, fresh_engine: Engine
) -> Iterator[TestClient]:
    """An app on a database of its own: closing days must not touch the shared one."""
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=START)
    run_close_of_business(fresh_engine, until=START + dt.timedelta(days=2))
    bind_factories(fresh_engine)
    try:
        with TestClient(create_app(api_settings, engine=fresh_engine)) as client:
            yield client
    finally:
        bind_factories(engine)


def test_staff_see_the_history_newest_first_in_pages(cob_client: TestClient) -> None:
    teller = login(cob_client, make_user(Role.TELLER))

    first = cob_client.get("/v1/cob/runs?limit=4", headers=teller.headers)
    second = cob_client.get(
        f"/v1/cob/runs?limit=4&cursor={first.json()['next_cursor']}", headers=teller.headers
    )

    assert first.status_code == 200 and second.status_code == 200
    runs = first.json()["items"] + second.json()["items"]
    assert [(r["business_date"], r["step"]) for r in runs[:2]] == [
        ("2026-03-03", "close_and_seal"),
        ("2026-03-03", "reconciliation"),
    ]
    assert all(r["status"] == "completed" for r in runs)
    keys = [(r["business_date"], r["position"]) for r in runs]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 8


def test_the_status_shows_the_business_date_and_a_step_in_flight(
    cob_client: TestClient, fresh_engine: Engine
) -> None:
    auditor = login(cob_client, make_user(Role.AUDITOR))
    with unit_of_work(fresh_engine) as s:
        s.execute(
            text(
                "INSERT INTO cob_step_runs (step, business_date, position, status, runner, "
                "progress_done, progress_total) VALUES ('savings_accrual', :d, 1, 'running', "
                "'host:1', 40, 100)"
            ),
            {"d": START + dt.timedelta(days=3)},
        )

    body = cob_client.get("/v1/cob/status", headers=auditor.headers).json()

    assert body["business_date"] == "2026-03-04"
    assert body["closed_through"] == "2026-03-03"
    assert body["last_sealed"] == "2026-03-03"
    assert [(r["step"], r["progress_done"], r["progress_total"]) for r in body["running"]] == [
        ("savings_accrual", 40, 100)
    ]


def test_members_cannot_see_close_of_business(cob_client: TestClient) -> None:
    member = make_user(Role.MEMBER)  # a registered member of the test's own database
    logged_in = login(cob_client, member)

    assert cob_client.get("/v1/cob/status", headers=logged_in.headers).status_code == 403
    assert cob_client.get("/v1/cob/runs", headers=logged_in.headers).status_code == 403
    assert cob_client.get("/v1/cob/status").status_code == 401
