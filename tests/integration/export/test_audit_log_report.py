"""The audit trail as a report: local days, filters, hostile text, determinism, and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.exports.audit_log import AuditLogFilter, audit_log_report
from creditunion.platform.database import default_engine, libpq_url, unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli import app
from ledger.export.report import Report
from ledger.export.run import ExportFormat, ExportResult, snapshot, write_report
from tests.conftest import cloned_database

LONDON = ZoneInfo("Europe/London")
runner = CliRunner()

# (occurred_at UTC, actor id, username, role, action, target type, target id, summary)
RECORDS: list[tuple[str, int | None, str | None, str | None, str, str | None, str | None, str]] = [
    # 23:59:59 UTC on 1 March is still 1 March in London (GMT).
    ("2026-03-01 23:59:59.5+00", 7, "alice", "teller", "member.register", "member", "41", "{}"),
    ("2026-03-02 09:00:00+00", 8, "bob", "manager", "approval.approve", "approval", "9", "{}"),
    (
        "2026-03-02 10:00:00+00",
        None,
        None,
        None,
        "auth.login_failed",
        "user",
        'x,"y"\nz',
        '{"reason": "unknown", "note": "=HYPERLINK(\\"http://x\\")", "emoji": "😀"}',
    ),
    # 23:30 UTC on 1 June is 00:30 on 2 June in London (BST): a record of 2 June.
    ("2026-06-01 23:30:00+00", 7, "alice", "teller", "auth.login", "user", "7", "{}"),
    (
        "2026-06-02 22:59:59+00",
        8,
        "bob",
        "manager",
        "user.create",
        "user",
        "12",
        '{"b": 1, "a": [2]}',
    ),
    # 23:00 UTC on 2 June is midnight of 3 June in London.
    ("2026-06-02 23:00:00+00", 8, "bob", "manager", "auth.logout", "user", "8", "{}"),
]


@pytest.fixture
def trail(fresh_engine: Engine) -> Engine:
    with unit_of_work(fresh_engine) as s:
        for occurred, user_id, username, role, action, target_type, target_id, summary in RECORDS:
            s.execute(
                text(
                    "INSERT INTO audit_log (occurred_at, actor_user_id, actor_username, "
                    "actor_role, action, target_type, target_id, request_id, summary) VALUES "
                    "(:o, :u, :n, :r, :a, :tt, :ti, 'req', CAST(:s AS jsonb))"
                ),
                {
                    "o": occurred,
                    "u": user_id,
                    "n": username,
                    "r": role,
                    "a": action,
                    "tt": target_type,
                    "ti": target_id,
                    "s": summary,
                },
            )
    return fresh_engine


def _export(
    engine: Engine, audit_filter: AuditLogFilter, fmt: ExportFormat, out: Path
) -> ExportResult:
    def build(session: Any) -> Report:
        return audit_log_report(session, audit_filter=audit_filter, zone=LONDON)

    out.parent.mkdir(parents=True, exist_ok=True)
    with snapshot(engine) as session:
        return write_report(session, build(session), fmt, out)


def _actions(engine: Engine, tmp_path: Path, **filters: Any) -> list[str]:
    out = tmp_path / f"a{len(list(tmp_path.iterdir()))}.jsonl"
    _export(engine, AuditLogFilter(**filters), ExportFormat.JSONL, out)
    return [json.loads(line)["action"] for line in out.read_text().splitlines()]


def test_the_range_is_local_days_in_the_business_zone(trail: Engine, tmp_path: Path) -> None:
    march = dt.date(2026, 3, 1)
    june = dt.date(2026, 6, 2)

    assert _actions(trail, tmp_path, from_date=march, to_date=march) == ["member.register"]
    assert _actions(trail, tmp_path, from_date=june, to_date=june) == ["auth.login", "user.create"]
    assert (
        _actions(trail, tmp_path, from_date=june.replace(day=1), to_date=june.replace(day=1)) == []
    )
    assert len(_actions(trail, tmp_path, from_date=march, to_date=dt.date(2026, 6, 3))) == 6


def test_the_filters_combine(trail: Engine, tmp_path: Path) -> None:
    window = {"from_date": dt.date(2026, 3, 1), "to_date": dt.date(2026, 6, 30)}

    assert _actions(trail, tmp_path, actor_user_id=7, **window) == ["member.register", "auth.login"]
    assert _actions(trail, tmp_path, actor_role="manager", action_prefix="auth.", **window) == [
        "auth.logout"
    ]
    assert _actions(trail, tmp_path, target_type="user", target_id="12", **window) == [
        "user.create"
    ]
    # A prefix is literal: "_" and "%" are not wildcards.
    assert _actions(trail, tmp_path, action_prefix="auth.login_", **window) == ["auth.login_failed"]
    assert _actions(trail, tmp_path, action_prefix="auth%", **window) == []
    with pytest.raises(ValueError, match="after"):
        _actions(trail, tmp_path, from_date=dt.date(2026, 3, 2), to_date=dt.date(2026, 3, 1))


def test_hostile_text_round_trips_and_the_export_is_deterministic(
    trail: Engine, tmp_path: Path
) -> None:
    audit_filter = AuditLogFilter(from_date=dt.date(2026, 3, 2), to_date=dt.date(2026, 3, 2))
    first = {
        fmt: _export(trail, audit_filter, fmt, tmp_path / "one" / f"log{fmt.suffix}")
        for fmt in (ExportFormat.CSV, ExportFormat.XLSX, ExportFormat.JSONL)
    }
    time.sleep(2.1)
    second = {
        fmt: _export(trail, audit_filter, fmt, tmp_path / "two" / f"log{fmt.suffix}")
        for fmt in first
    }

    for fmt in first:
        assert [p.read_bytes() for p in first[fmt].files] == [
            p.read_bytes() for p in second[fmt].files
        ]
        assert first[fmt].manifest_path.read_bytes() == second[fmt].manifest_path.read_bytes()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "one" / "log.csv").read_text(), newline="")))
    assert [r["action"] for r in rows] == ["approval.approve", "auth.login_failed"]
    failed = rows[1]
    assert failed["target_id"] == 'x,"y"\nz'
    assert (failed["actor_user_id"], failed["actor_username"]) == ("", "")
    assert json.loads(failed["summary"]) == {
        "reason": "unknown",
        "note": '=HYPERLINK("http://x")',
        "emoji": "😀",
    }
    assert rows[0]["occurred_at"] == "2026-03-02T09:00:00.000000Z"
    sheet = openpyxl.load_workbook(tmp_path / "one" / "log.xlsx")["records"]
    assert [c.value for c in sheet[1]][:3] == ["id", "occurred_at", "business_date"]
    summary_cell = sheet.cell(row=3, column=11)
    assert summary_cell.data_type == "s" and "HYPERLINK" in str(summary_cell.value)
    manifest = first[ExportFormat.CSV].manifest
    assert manifest["report"] == "audit-log"
    assert manifest["parameters"] == {
        "from": "2026-03-02",
        "to": "2026-03-02",
        "time_zone": "Europe/London",
    }
    assert manifest["parts"] == {"records": {"rows": 2, "totals": {}}}


@pytest.fixture
def cli_env(
    trail: Engine, server_url: str, template_name: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The primary has the schema and no records (each export writes its own audit record
    there); reads go to the test's own database."""
    primary = cloned_database(server_url, template_name, "cu_primary")
    monkeypatch.setenv("DATABASE_URL", next(primary))
    monkeypatch.setenv(
        "DATABASE_READ_URL", libpq_url(trail.url.render_as_string(hide_password=False))
    )
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield
    get_settings.cache_clear()
    default_engine.cache_clear()
    primary.close()


@pytest.mark.usefixtures("cli_env")
def test_creditunion_export_audit_log_writes_the_files_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "trail" / "log.csv"
    args = ["export", "audit-log", "--from", "2026-06-01", "--to", "2026-06-30"]

    result = runner.invoke(app, [*args, "--format", "csv", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "records: 3 rows" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert [r["action"] for r in rows] == ["auth.login", "user.create", "auth.logout"]
    manifest = json.loads((tmp_path / "trail" / "log.csv.manifest.json").read_text())
    assert manifest["files"][0]["name"] == "log.csv"
    assert manifest["parameters"]["time_zone"] == "Europe/London"

    refused = runner.invoke(
        app, [*args[:3], "2026-07-01", *args[4:], "--format", "csv", "--out", str(out)]
    )
    assert refused.exit_code == 2
    assert "export refused" in refused.output
    no_camt = runner.invoke(app, [*args, "--format", "camt053", "--out", str(tmp_path / "x.xml")])
    assert no_camt.exit_code == 2
