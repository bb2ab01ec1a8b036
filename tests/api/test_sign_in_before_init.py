"""A login may sign in before `creditunion init` set the business date (the first admin
does, to set the credit union up): the sign-in is a command dated the day init would start
at, not a 503."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from creditunion.auth.roles import Role
from creditunion.business_date.clock import today_in_zone
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from tests.api.conftest import build_app
from tests.api.factories import PASSWORD, bind_factories, make_user


@pytest.fixture
def books_not_set_up(
    fresh_engine: Engine, engine: Engine, api_settings: Settings
) -> Iterator[tuple[TestClient, Engine]]:
    bind_factories(fresh_engine)
    try:
        with TestClient(build_app(api_settings, fresh_engine)) as client:
            yield client, fresh_engine
    finally:
        bind_factories(engine)


def test_signing_in_before_init_is_recorded_on_the_day_init_would_start(
    books_not_set_up: tuple[TestClient, Engine], api_settings: Settings
) -> None:
    client, database = books_not_set_up
    admin = make_user(Role.ADMIN)
    answer = client.post("/v1/auth/token", data={"username": admin.username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    with unit_of_work(database) as s:
        assert s.scalar(text("SELECT count(*) FROM business_calendar")) == 0
        rows = s.execute(
            text("SELECT actor_user_id, business_date FROM audit_log WHERE action = 'auth.login'")
        ).all()
    assert [tuple(r) for r in rows] == [(admin.id, today_in_zone(api_settings.zone))]
