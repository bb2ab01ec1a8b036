"""`creditunion cob run` closes no day after today's calendar date in the business time
zone unless `--beyond-today` says so, and that option is written to the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.business_date.clock import today_in_zone
from creditunion.initial_data import initialise
from creditunion.platform.database import default_engine, libpq_url, unit_of_work
from creditunion.platform.settings import Settings, get_settings
from launch.cli import app
from ledger.periods import closed_through

runner = CliRunner()


@pytest.fixture
def today(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[dt.date]:
    monkeypatch.setenv("DATABASE_URL", libpq_url(fresh_engine.url.render_as_string(False)))
    get_settings.cache_clear()
    default_engine.cache_clear()
    calendar_date = today_in_zone(get_settings().zone)
    with unit_of_work(fresh_engine) as session:
        initialise(session, settings=Settings(base_currency="GBP"), business_date=calendar_date)
    yield calendar_date
    get_settings.cache_clear()
    default_engine.cache_clear()


def _closed(engine: Engine) -> dt.date | None:
    with unit_of_work(engine) as session:
        return closed_through(session)


def test_cob_run_refuses_days_after_today_without_the_option(
    fresh_engine: Engine, today: dt.date
) -> None:
    ahead = today + dt.timedelta(days=2)
    refused = runner.invoke(app, ["cob", "run", "--until", ahead.isoformat()])
    assert refused.exit_code == 2, refused.output
    assert f"refusing to close {today + dt.timedelta(days=1)}" in refused.output
    assert _closed(fresh_engine) is None

    closed_today = runner.invoke(app, ["cob", "run"])
    assert closed_today.exit_code == 0, closed_today.output
    assert _closed(fresh_engine) == today
    again = runner.invoke(app, ["cob", "run"])  # the business date is now tomorrow
    assert again.exit_code == 2 and _closed(fresh_engine) == today

    allowed = runner.invoke(app, ["cob", "run", "--until", ahead.isoformat(), "--beyond-today"])
    assert allowed.exit_code == 0, allowed.output
    assert _closed(fresh_engine) == ahead
    with unit_of_work(fresh_engine) as session:
        audited = session.execute(
            text("SELECT target_id, summary FROM audit_log WHERE action = 'cob.run_beyond_today'")
        ).all()
    assert len(audited) == 1
    target, summary = audited[0]
    assert target == ahead.isoformat()
    assert (summary["until"], summary["calendar_date"]) == (ahead.isoformat(), today.isoformat())
    assert summary["operator"]
