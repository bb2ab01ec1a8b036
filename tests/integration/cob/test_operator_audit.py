"""Close-of-business runs and command-line exports are written to the audit log: who ran
them, with what, and the hashes of what came out."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.actors import COB_ACTOR
from creditunion.business_date.clock import today_in_zone
from creditunion.cob.scheduler import run_due
from creditunion.initial_data import initialise
from creditunion.platform.database import default_engine, libpq_url, unit_of_work
from creditunion.platform.settings import Settings, get_settings
from launch.cli import app

runner = CliRunner()


@pytest.fixture
def today(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[dt.date]:
    """The command line pointed at the test's database, its business date today."""
    monkeypatch.setenv("DATABASE_URL", libpq_url(fresh_engine.url.render_as_string(False)))
    monkeypatch.delenv("CREDITUNION_ACTOR", raising=False)
    get_settings.cache_clear()
    default_engine.cache_clear()
    calendar_date = today_in_zone(get_settings().zone)
    with unit_of_work(fresh_engine) as session:
        initialise(session, settings=Settings(base_currency="GBP"), business_date=calendar_date)
    yield calendar_date
    get_settings.cache_clear()
    default_engine.cache_clear()


def _audited(engine: Engine, action: str) -> list[tuple[str, int | None, str | None, Any]]:
    """(actor username, actor user id, target id, summary) of each record of `action`."""
    with unit_of_work(engine) as session:
        rows = session.execute(
            text(
                "SELECT actor_username, actor_user_id, target_id, summary FROM audit_log "
                "WHERE action = :a ORDER BY id"
            ),
            {"a": action},
        ).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def _seal_hex(engine: Engine, day: dt.date) -> str:
    with unit_of_work(engine) as session:
        seal = session.scalar(
            text("SELECT seal_hash FROM ledger_day_seals WHERE business_date = :d"), {"d": day}
        )
    assert isinstance(seal, bytes)
    return seal.hex()


def test_a_cob_run_from_the_command_line_records_its_operator_and_outcome(
    fresh_engine: Engine, today: dt.date
) -> None:
    closed = runner.invoke(app, ["--actor", "alice", "cob", "run"])
    assert closed.exit_code == 0, closed.output
    refused = runner.invoke(app, ["cob", "run"])  # the business date is tomorrow now
    assert refused.exit_code == 2, refused.output

    first, second = _audited(fresh_engine, "cob.run")
    actor, user_id, target, summary = first
    assert (actor, user_id, target) == ("cli:alice", None, today.isoformat())
    assert summary["parameters"] == {"until": None, "wait": False, "not_after": today.isoformat()}
    assert (summary["result"], summary["closed_through_before"]) == ("closed", None)
    assert summary["closed_through_after"] == today.isoformat()
    assert summary["seals"] == {today.isoformat(): _seal_hex(fresh_engine, today)}
    assert summary["steps"]["completed"] >= 1 and summary["steps"]["skipped"] == 0
    # Without --actor the operating-system user is named; a refusal is recorded too.
    actor, _, _, summary = second
    assert actor == f"cli:{getpass.getuser()}"
    assert (summary["result"], summary["seals"]) == ("refused_beyond_today", {})
    assert summary["closed_through_before"] == summary["closed_through_after"] == today.isoformat()
    assert "refusing to close" in summary["error"]


def test_a_scheduled_cob_run_is_recorded_under_the_cob_actor(fresh_engine: Engine) -> None:
    settings = Settings(base_currency="GBP", cob_time="00:00")
    today = today_in_zone(settings.zone)
    yesterday = today - dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=settings, business_date=yesterday)

    run_due(fresh_engine, settings)

    [(actor, user_id, target, summary)] = _audited(fresh_engine, "cob.run")
    assert (actor, user_id, target) == (COB_ACTOR, None, today.isoformat())
    assert summary["parameters"] == {"until": today.isoformat(), "wait": False, "not_after": None}
    assert summary["result"] == "closed"
    assert summary["seals"] == {
        day.isoformat(): _seal_hex(fresh_engine, day) for day in (yesterday, today)
    }


def test_an_export_from_the_command_line_records_who_what_and_the_manifest_hash(
    fresh_engine: Engine, today: dt.date, tmp_path: Path
) -> None:
    out = tmp_path / "tb.csv"
    exported = runner.invoke(
        app,
        [
            "--actor",
            "auditor-jane",
            "export",
            "trial-balance",
            "--as-of",
            today.isoformat(),
            "--format",
            "csv",
            "--out",
            str(out),
        ],
    )
    assert exported.exit_code == 0, exported.output

    manifest_path = out.with_name(f"{out.name}.manifest.json")
    manifest = json.loads(manifest_path.read_text())
    [(actor, user_id, target, summary)] = _audited(fresh_engine, "export.trial_balance")
    assert (actor, user_id, target) == ("cli:auditor-jane", None, "trial-balance")
    assert (summary["via"], summary["report"], summary["format"]) == ("cli", "trial-balance", "csv")
    assert summary["parameters"] == manifest["parameters"]
    assert summary["files"] == manifest["files"]
    assert summary["manifest"] == {
        "path": str(manifest_path),
        "sha256": hashlib.sha256(manifest_path.read_bytes()).hexdigest(),
    }


def test_audit_verify_from_the_command_line_records_who_and_the_result(
    fresh_engine: Engine, today: dt.date
) -> None:
    assert runner.invoke(app, ["cob", "run"]).exit_code == 0

    verified = runner.invoke(app, ["--actor", "bob", "audit", "verify"])

    assert verified.exit_code == 0, verified.output
    [(actor, user_id, _, summary)] = _audited(fresh_engine, "ledger.verify")
    assert (actor, user_id) == ("cli:bob", None)
    assert (summary["ok"], summary["days_verified"], summary["first_break"]) == (True, 1, None)
    assert summary["sealed_through"] == today.isoformat()
