"""The `creditunion` command line: one entry point for everything an operator does."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from creditunion.auth.actor import Actor
from creditunion.platform.database import default_engine, resolve_database_url, unit_of_work
from creditunion.platform.embedded_db import EmbeddedDatabaseMissing
from creditunion.platform.logging_setup import configure_logging, resolve_log_format
from creditunion.platform.settings import get_settings
from launch.cli.operator import current_operator, operator_actor, set_operator
from launch.migrate import at_head, current_revisions, upgrade

app = typer.Typer(no_args_is_help=True, help="Credit union core banking: operator commands.")
db_app = typer.Typer(no_args_is_help=True, help="The database schema.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks; figures printed and as JSON.")
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench")

JsonOption = Annotated[Path | None, typer.Option("--json", help="Also write the figures here.")]


ACTOR_HELP = (
    "Who is running the command, as the audit log records it (cli:NAME); "
    "default: the operating-system user."
)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    actor: Annotated[
        str | None, typer.Option("--actor", envvar="CREDITUNION_ACTOR", help=ACTOR_HELP)
    ] = None,
) -> None:
    # Scrubbed, with request ids; JSON or text by CREDITUNION_LOG_FORMAT (logging_setup).
    settings = get_settings()
    configure_logging(
        logging.INFO if verbose else logging.WARNING,
        resolve_log_format(settings.log_format, environment=settings.environment),
    )
    try:
        set_operator(operator_actor(actor))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--actor") from None


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    url = resolve_database_url(get_settings(), create=True)
    upgrade(url, revision)
    typer.echo(f"database at revision {', '.join(sorted(current_revisions(default_engine())))}")


def cli_actor() -> Actor:
    """Who runs this command: `--actor` given before the command, else the OS user."""
    return current_operator()


def require_schema_at_head() -> None:
    if not at_head(default_engine()):
        current = ", ".join(sorted(current_revisions(default_engine()))) or "none"
        typer.echo(
            f"the database is at revision {current}, not the newest: run `creditunion db upgrade`",
            err=True,
        )
        raise typer.Exit(2)


@app.command("init")
def init() -> None:
    """Load the default chart of accounts (and products); safe to run again."""
    from creditunion.initial_data import initialise

    require_schema_at_head()
    with unit_of_work(default_engine()) as session:
        report = initialise(session, settings=get_settings())
    typer.echo(report)


def _write_json(figures: dict[str, object], path: Path | None) -> None:
    typer.echo(json.dumps(figures, indent=2))
    if path is not None:
        path.write_text(json.dumps(figures, indent=2) + "\n")


@bench_app.command("cob")
def bench_cob(
    json_path: JsonOption = None,
    accounts: Annotated[
        int, typer.Option(help="Share accounts (1,000,000 for the scale run).")
    ] = 100_000,
    loans: Annotated[int, typer.Option(help="Active loans.")] = 20_000,
) -> None:
    """One ordinary close-of-business day and a month end over N accounts and M loans."""
    from ops.bench_cob import run

    _write_json(run(accounts=accounts, loans=loans, echo=typer.echo), json_path)


@bench_app.command("ledger")
def bench_ledger(
    json_path: JsonOption = None,
    seconds: Annotated[float, typer.Option(help="Length of each timed phase.")] = 15.0,
    workers: Annotated[int, typer.Option(help="Clients for pgbench and single posting.")] = 4,
) -> None:
    """pgbench TPC-B vs single-entry posting vs batch posting, on the same server."""
    from ops.bench_ledger import run

    _write_json(run(seconds=seconds, workers=workers, echo=typer.echo), json_path)


@bench_app.command("api")
def bench_api(
    json_path: JsonOption = None,
    seconds: Annotated[float, typer.Option(help="Length of each timed phase.")] = 15.0,
    workers: Annotated[int, typer.Option(help="API workers and direct posting processes.")] = 2,
) -> None:
    """The API's transfer endpoint vs the posting service called directly (ops/bench_api.py)."""
    from ops.bench_api import run

    _write_json(run(seconds=seconds, workers=workers, echo=typer.echo), json_path)


def run() -> None:
    """The console script: the commands, with a missing embedded database told in one line."""
    try:
        app()
    except EmbeddedDatabaseMissing as exc:
        typer.echo(str(exc), err=True)
        raise SystemExit(2) from exc


import launch.cli.audit  # noqa: E402  (registers `export`, `audit` and `bench export`)
import launch.cli.cob  # noqa: E402  (registers `cob` and `scheduler`)
import launch.cli.db  # noqa: E402  (registers `db status` and `db stop`)
import launch.cli.demo  # noqa: E402  (registers `creditunion demo`)
import launch.cli.evidence  # noqa: E402  (registers the evidence exports, issue 22)
import launch.cli.serve  # noqa: E402  (registers `creditunion serve`)
import launch.cli.users  # noqa: E402, F401  (registers `users create-admin`)
