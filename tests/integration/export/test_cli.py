"""The `creditunion export`, `audit verify` and `audit seal` commands end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.platform.database import default_engine, libpq_url
from creditunion.platform.settings import get_settings
from launch.cli import app
from ledger.periods import close_business_date
from tests.conftest import cloned_database
from tests.seal_helpers import D1, D3, History, build_history, close_and_seal, tamper

runner = CliRunner()


def _url(engine: Engine) -> str:
    return libpq_url(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def cli_env(
    fresh_engine: Engine, server_url: str, template_name: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The primary is a database with the schema and no history; reads go to the test's own.

    So a command that works proves it read through DATABASE_READ_URL. (The primary needs
    the schema: each export writes its audit record there.)
    """
    primary = cloned_database(server_url, template_name, "cu_primary")
    monkeypatch.setenv("DATABASE_URL", next(primary))
    monkeypatch.setenv("DATABASE_READ_URL", _url(fresh_engine))
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield
    get_settings.cache_clear()
    default_engine.cache_clear()
    primary.close()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("cli_env")
def test_every_export_command_writes_its_files_and_manifest(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    history = build_history(fresh_engine)
    close_and_seal(fresh_engine, [D1, D1.replace(day=D1.day + 1), D3])
    window = ["--from", D1.isoformat(), "--to", D3.isoformat()]

    commands = {
        "gl.csv": ["export", "gl", *window, "--format", "csv"],
        "tb.xlsx": ["export", "trial-balance", "--as-of", D3.isoformat(), "--format", "xlsx"],
        "journal.jsonl": ["export", "journal", *window, "--format", "jsonl", "--kind", "reversal"],
        "alice.xml": [
            "export",
            "statement",
            "--account",
            history.alice.code,
            *window,
            "--format",
            "camt053",
        ],
    }
    for name, command in commands.items():
        code, output = _run(*command, "--out", str(tmp_path / name))
        assert code == 0, output
        assert (tmp_path / name).exists()
        manifest = json.loads((tmp_path / f"{name}.manifest.json").read_text())
        assert manifest["seals"]["complete"] is True
    journal = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 2 and all('"kind":"reversal"' in line for line in journal)
    assert "postings: 10 rows" in _run(*commands["gl.csv"], "--out", str(tmp_path / "again.csv"))[1]


@pytest.mark.usefixtures("cli_env")
def test_exports_refuse_what_they_cannot_do(fresh_engine: Engine, tmp_path: Path) -> None:
    build_history(fresh_engine)
    out = ["--out", str(tmp_path / "x")]
    code, output = _run(
        "export", "trial-balance", "--to", D3.isoformat(), "--format", "camt053", *out
    )
    assert code == 2 and "export refused" in output
    code, output = _run(
        "export", "gl", "--from", D3.isoformat(), "--to", D1.isoformat(), "--format", "csv", *out
    )
    assert code == 2 and "start date is after" in output
    code, output = _run(
        "export", "journal", "--from", D1.isoformat(), "--to", D3.isoformat(), "--format", "csv",
        "--min-amount", "1e999999", *out,
    )  # fmt: skip
    assert code == 2 and "not an amount the ledger can hold" in output
    code, _ = _run(
        "export", "gl", "--from", "yesterday", "--to", D3.isoformat(), "--format", "csv", *out
    )
    assert code == 2


@pytest.mark.usefixtures("cli_env")
def test_audit_verify_exits_non_zero_and_names_the_first_break(
    fresh_engine: Engine,
) -> None:
    history: History = build_history(fresh_engine)
    close_and_seal(fresh_engine, [D1, D1.replace(day=D1.day + 1), D3])
    code, output = _run("audit", "verify")
    assert code == 0, output
    assert "verified 3 sealed days, 5 entries, 10 postings" in output

    tamper(
        fresh_engine,
        "postings",
        "UPDATE postings SET amount_minor = -amount_minor WHERE entry_id = %s",
        (history.day3[0].id,),
    )

    code, output = _run("audit", "verify", "--from", D1.isoformat(), "--to", D3.isoformat())
    assert code == 1
    assert f"BROKEN: entry altered on {D3} at entry {history.day3[0].id}" in output


@pytest.mark.usefixtures("cli_env")
def test_audit_seal_catches_up_closed_days_in_order(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_history(fresh_engine)
    monkeypatch.setenv("DATABASE_URL", _url(fresh_engine))  # sealing writes: the primary
    get_settings.cache_clear()
    default_engine.cache_clear()
    from creditunion.platform.database import unit_of_work

    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=D3, closed_by="test")

    code, output = _run("--actor", "ops", "audit", "seal")
    assert code == 0, output
    assert [line.split(":")[0] for line in output.splitlines()] == [
        f"sealed {D1}",
        f"sealed {D1.replace(day=D1.day + 1)}",
        f"sealed {D3}",
    ]
    assert _run("audit", "seal")[1].strip() == "nothing to seal"
    assert _run("audit", "verify")[0] == 0
    with unit_of_work(fresh_engine) as s:
        sealed_by = (
            s.execute(text("SELECT DISTINCT sealed_by FROM ledger_day_seals")).scalars().all()
        )
        records = s.execute(
            text(
                "SELECT target_id, actor_username FROM audit_log "
                "WHERE action = 'audit.seal' ORDER BY target_id"
            )
        ).all()
    assert sealed_by == ["cli:ops"]
    assert [tuple(r) for r in records] == [
        (str(D1), "cli:ops"),
        (str(D1.replace(day=D1.day + 1)), "cli:ops"),
        (str(D3), "cli:ops"),
    ]
