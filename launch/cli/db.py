"""`creditunion db status|stop`: the embedded PostgreSQL servers this directory runs.

Both the application's server (CREDITUNION_EMBEDDED_DATA_DIR) and the test suite's keep
running after the command that started them, so the next command starts fast; these say
what runs and stop it. Registered by one import line at the end of `launch/cli/__init__.py`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from creditunion.platform.embedded_db import (
    TEST_DATA_DIR,
    EmbeddedStatus,
    embedded_status,
    stop_embedded,
)
from creditunion.platform.settings import get_settings
from launch.cli import db_app


def _servers() -> dict[str, Path]:
    return {"application": get_settings().embedded_data_dir, "tests": TEST_DATA_DIR}


def _describe(role: str, status: EmbeddedStatus) -> str:
    if status.running:
        return f"{role}: running (pid {status.pid}, port {status.port}) in {status.data_dir}"
    if status.initialised:
        return f"{role}: stopped, data kept in {status.data_dir}"
    return f"{role}: none in {status.data_dir}"


@db_app.command("status")
def db_status() -> None:
    """Say which embedded PostgreSQL servers run here, and DATABASE_URL's use if set."""
    if get_settings().database_url:
        typer.echo("DATABASE_URL is set: the application uses that server, not an embedded one")
    for role, data_dir in _servers().items():
        typer.echo(_describe(role, embedded_status(data_dir)))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL servers (the application's and the tests'); data is kept."""
    for role, data_dir in _servers().items():
        stopped = stop_embedded(data_dir)
        typer.echo(f"{role}: {'stopped' if stopped else 'not running'} ({data_dir.resolve()})")
