"""`creditunion db upgrade|status|stop`, and the schema check the other commands make first.

`status` and `stop` are about the embedded PostgreSQL servers this directory runs: both the
application's (CREDITUNION_EMBEDDED_DATA_DIR) and the test suite's keep running after the
command that started them, so the next command starts fast; these say what runs and stop it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from creditunion.platform.database import default_engine, resolve_database_url
from creditunion.platform.embedded_db import (
    TEST_DATA_DIR,
    EmbeddedStatus,
    embedded_status,
    stop_embedded,
)
from creditunion.platform.schema_revision import current_revisions
from creditunion.platform.settings import get_settings
from launch.migrate import at_head, upgrade

db_app = typer.Typer(no_args_is_help=True, help="The database schema.")


def require_schema_at_head() -> None:
    if not at_head(default_engine()):
        current = ", ".join(sorted(current_revisions(default_engine()))) or "none"
        typer.echo(
            f"the database is at revision {current}, not the newest: run `creditunion db upgrade`",
            err=True,
        )
        raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    url = resolve_database_url(get_settings(), create=True)
    upgrade(url, revision)
    typer.echo(f"database at revision {', '.join(sorted(current_revisions(default_engine())))}")


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
