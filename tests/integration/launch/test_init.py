"""`creditunion init` sets up the books as the operator who ran it, on the audit trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.platform.database import default_engine, libpq_url, unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli import app


@pytest.fixture
def cli_database(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", libpq_url(fresh_engine.url.render_as_string(False)))
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield fresh_engine
    get_settings.cache_clear()
    default_engine.cache_clear()


def test_init_is_recorded_once_per_run_as_its_operator(cli_database: Engine) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["--actor", "it.person", "init"])
    again = runner.invoke(app, ["--actor", "it.person", "init"])
    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    assert "share products: 0 added" in again.output
    with unit_of_work(cli_database) as s:
        rows = s.execute(
            text(
                "SELECT actor_username, summary->>'currency' FROM audit_log "
                "WHERE action = 'setup.initialise'"
            )
        ).all()
        business_date = s.scalar(text("SELECT business_date FROM business_calendar"))
        record_dates = s.scalars(
            text("SELECT DISTINCT business_date FROM audit_log WHERE action = 'setup.initialise'")
        ).all()
    assert [tuple(r) for r in rows] == [("cli:it.person", "GBP")] * 2
    assert record_dates == [business_date]
