from __future__ import annotations

import datetime as dt
import time
import zoneinfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.service import current_business_date
from creditunion.cob.scheduler import build_scheduler, close_through, parse_run_time
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from ledger.periods import closed_through

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (dt.datetime(2026, 6, 30, 20, 59, tzinfo=dt.UTC), dt.date(2026, 6, 29)),  # 21:59 BST
        (dt.datetime(2026, 6, 30, 21, 0, tzinfo=dt.UTC), dt.date(2026, 6, 30)),  # 22:00 BST
        (dt.datetime(2026, 12, 31, 21, 59, tzinfo=dt.UTC), dt.date(2026, 12, 30)),  # GMT
        (dt.datetime(2026, 12, 31, 22, 0, tzinfo=dt.UTC), dt.date(2026, 12, 31)),
        (dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC), dt.date(2026, 3, 28)),  # DST day
    ],
)
def test_the_day_to_close_through_follows_the_business_zone(
    utc: dt.datetime, expected: dt.date
) -> None:
    assert close_through(utc, zone=LONDON, run_at=dt.time(22, 0)) == expected


def test_bad_run_times_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_run_time("25:99")
    with pytest.raises(ValueError):
        close_through(dt.datetime(2026, 1, 1), zone=LONDON, run_at=dt.time(22, 0))


def _wait_until_closed(engine: Engine, day: dt.date, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with unit_of_work(engine) as s:
            if closed_through(s) == day:
                return
        time.sleep(0.2)
    raise AssertionError(f"close of business did not reach {day}")


def test_on_start_the_scheduler_catches_up_missed_days(fresh_engine: Engine) -> None:
    settings = Settings(base_currency="GBP", cob_time="00:00")
    today = today_in_zone(settings.zone)
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=settings, business_date=today - dt.timedelta(days=3))
    scheduler = build_scheduler(fresh_engine, settings, background=True)

    scheduler.start()
    try:
        _wait_until_closed(fresh_engine, today)
    finally:
        scheduler.shutdown(wait=True)

    with unit_of_work(fresh_engine) as s:
        assert current_business_date(s) == today + dt.timedelta(days=1)


def test_the_api_process_can_run_the_scheduler(fresh_engine: Engine) -> None:
    settings = Settings(
        base_currency="GBP",
        cob_time="00:00",
        api_runs_scheduler=True,
        environment="test",
        jwt_secret="s" * 48,
    )
    today = today_in_zone(settings.zone)
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=settings, business_date=today - dt.timedelta(days=1))

    with TestClient(create_app(settings, engine=fresh_engine)) as client:
        assert client.get("/health/live").status_code == 200
        _wait_until_closed(fresh_engine, today)
