"""Money configuration on the audit trail: close of business records the money
settings when they change, and the settings-changes export lists them with the coverage;
every format with its manifest and the same bytes twice; the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.audit.money_settings import SETTINGS_ACTOR, record_money_settings
from creditunion.business_date.service import initialise_business_date
from creditunion.cob.plan import run_close_of_business
from creditunion.exports.settings_changes import settings_changes_report
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli import app
from ledger.export.run import ExportFormat
from tests.evidence_helpers import check_every_format, csv_rows, export
from tests.seal_helpers import tamper

LONDON = ZoneInfo("Europe/London")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
runner = CliRunner()


def _settings_records(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT id, actor_username, summary FROM audit_log "
                "WHERE action = 'settings.change' ORDER BY id"
            )
        )
        return [dict(r._mapping) for r in rows]


@pytest.fixture
def recorded(fresh_engine: Engine) -> Engine:
    """The settings recorded on 2 March; the write-off threshold cut to 90 days on 9 March;
    then recorded again unchanged."""
    settings = get_settings()
    with unit_of_work(fresh_engine) as s:
        assert record_money_settings(s, settings=settings, actor=SETTINGS_ACTOR)
    stricter = settings.model_copy(update={"loan_write_off_after_days": 90})
    with unit_of_work(fresh_engine) as s:
        assert record_money_settings(s, settings=stricter, actor=SETTINGS_ACTOR)
    with unit_of_work(fresh_engine) as s:
        assert not record_money_settings(s, settings=stricter, actor=SETTINGS_ACTOR)
    first, second = (r["id"] for r in _settings_records(fresh_engine))
    for audit_id, when in ((first, "2026-03-02T22:00:00Z"), (second, "2026-03-09T22:00:00Z")):
        tamper(
            fresh_engine,
            "audit_log",
            "UPDATE audit_log SET occurred_at = %s WHERE id = %s",
            (when, audit_id),
        )
    return fresh_engine


def test_a_change_is_recorded_once_with_what_changed(recorded: Engine) -> None:
    first, second = _settings_records(recorded)
    assert first["actor_username"] == second["actor_username"] == "system:cob"
    first_summary, second_summary = first["summary"], second["summary"]
    assert isinstance(first_summary, dict) and isinstance(second_summary, dict)
    assert first_summary["first"] is True
    assert first_summary["settings"]["loan_write_off_after_days"] == "180"
    assert first_summary["settings"]["loan_refer_above_exempt_threshold"] == "true"
    assert second_summary["first"] is False
    assert second_summary["changed"] == {"loan_write_off_after_days": {"from": "180", "to": "90"}}


def test_close_of_business_records_the_settings_before_it_runs(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise_business_date(s, business_date=MARCH[0])
    run_close_of_business(fresh_engine, steps=())
    run_close_of_business(fresh_engine, steps=())
    (record,) = _settings_records(fresh_engine)
    summary = record["summary"]
    assert isinstance(summary, dict) and summary["first"] is True


def test_the_export_lists_the_changes_and_the_coverage(recorded: Engine, tmp_path: Path) -> None:
    out = tmp_path / "settings.csv"
    export(
        recorded,
        lambda s: settings_changes_report(s, from_date=MARCH[0], to_date=MARCH[1], zone=LONDON),
        ExportFormat.CSV,
        out,
    )
    changes = csv_rows(out)
    assert [(c["occurred_at"], c["action"], c["target_id"]) for c in changes] == [
        ("2026-03-02T22:00:00.000000Z", "settings.change", "money"),
        ("2026-03-09T22:00:00.000000Z", "settings.change", "money"),
    ]
    assert json.loads(changes[1]["summary"])["changed"] == {
        "loan_write_off_after_days": {"from": "180", "to": "90"}
    }
    coverage = csv_rows(out.with_name("settings.coverage.csv"))
    covered = {c["configuration"].split(":")[0]: c["covered"] for c in coverage}
    assert covered["loan products"] == covered["dividend rates"] == "yes"
    assert covered["share products"] == covered["rule sets"] == "no"
    # 9 March only.
    out_9 = tmp_path / "ninth.csv"
    day = dt.date(2026, 3, 9)
    export(
        recorded,
        lambda s: settings_changes_report(s, from_date=day, to_date=day, zone=LONDON),
        ExportFormat.CSV,
        out_9,
    )
    assert len(csv_rows(out_9)) == 1


def test_every_format_the_same_twice_with_its_manifest(recorded: Engine, tmp_path: Path) -> None:
    results = check_every_format(
        recorded,
        lambda s: settings_changes_report(s, from_date=MARCH[0], to_date=MARCH[1], zone=LONDON),
        tmp_path,
        "settings",
    )
    assert results[ExportFormat.CSV].manifest["parts"]["changes"]["rows"] == 2


@pytest.mark.usefixtures("recorded", "cli_env")
def test_the_cli_writes_the_settings_changes(tmp_path: Path) -> None:
    out = tmp_path / "settings.jsonl"
    args = ["export", "settings-changes", "--from", "2026-03-01", "--to", "2026-03-31"]
    result = runner.invoke(app, [*args, "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "changes: 2 rows" in result.output


@pytest.mark.usefixtures("recorded", "cli_env")
def test_serve_records_the_settings_the_api_starts_with(
    recorded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **_: started.append(target))
    monkeypatch.setenv("CREDITUNION_METRICS_PORT", "0")
    monkeypatch.setenv("CREDITUNION_LOAN_WRITE_OFF_AFTER_DAYS", "60")
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert started == ["launch.asgi:create_app"]
    last = _settings_records(recorded)[-1]
    summary = last["summary"]
    assert last["actor_username"] == "system:serve" and isinstance(summary, dict)
    assert summary["changed"] == {"loan_write_off_after_days": {"from": "90", "to": "60"}}
