"""A newcomer's embedded PostgreSQL: refused where there is none, stopped on request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from creditunion.platform.embedded_db import embedded_server_url, embedded_status

CLI = [sys.executable, "-c", "from launch.cli import run; run()"]


def _cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(env)
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("command", [["cob", "history"], ["audit", "verify"], ["serve"]])
def test_a_command_run_where_there_is_no_database_says_so_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    result = _cli(*command, cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(tmp_path / ".creditunion" / "pgdata") in lines[0]
    assert "creditunion db upgrade" in lines[0]
    assert not (tmp_path / ".creditunion").exists(), "no server may be started just to fail"


def test_db_stop_stops_the_embedded_server_and_keeps_its_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    embedded_server_url(data_dir, create=True)
    assert embedded_status(data_dir).running

    status = _cli("db", "status", cwd=tmp_path, CREDITUNION_EMBEDDED_DATA_DIR=str(data_dir))
    assert f"application: running (pid {embedded_status(data_dir).pid}" in status.stdout

    stopped = _cli("db", "stop", cwd=tmp_path, CREDITUNION_EMBEDDED_DATA_DIR=str(data_dir))

    assert stopped.returncode == 0, stopped.stderr
    assert f"application: stopped ({data_dir.resolve()})" in stopped.stdout
    after = embedded_status(data_dir)
    assert (after.running, after.initialised) == (False, True)
    again = _cli("db", "status", cwd=tmp_path, CREDITUNION_EMBEDDED_DATA_DIR=str(data_dir))
    assert f"application: stopped, data kept in {data_dir.resolve()}" in again.stdout


def test_a_test_run_stops_the_embedded_server_it_started(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    (tmp_path / "test_probe.py").write_text(
        "def test_probe(server_url):\n    assert server_url.startswith('postgresql://')\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["PYTHONPATH"] = str(root)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "test_probe.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    left = embedded_status(tmp_path / ".creditunion" / "test-pgdata")
    assert (left.initialised, left.running) == (True, False)
