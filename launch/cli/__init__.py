"""The `creditunion` command line: one entry point for everything an operator does.

Each group of commands is a module of this package. They are put together at the end of
this module, in one list, rather than each registering itself when imported.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.embedded_db import EmbeddedDatabaseMissing
from creditunion.platform.logging_setup import configure_logging, resolve_log_format
from creditunion.platform.settings import get_settings
from launch.cli import audit, cob, db, demo, evidence, payments, serve, users
from launch.cli.db import require_schema_at_head
from launch.cli.operator import operator_actor, set_operator

app = typer.Typer(no_args_is_help=True, help="Credit union core banking: operator commands.")

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


@app.command("init")
def init() -> None:
    """Load the default chart of accounts (and products); safe to run again."""
    from creditunion.initial_data import initialise_books
    from launch.cli.context import operator_context

    require_schema_at_head()
    with unit_of_work(default_engine()) as session:
        report = initialise_books(session, operator_context(session), settings=get_settings())
    typer.echo(report)


def run() -> None:
    """The console script: the commands, with a missing embedded database told in one line."""
    try:
        app()
    except EmbeddedDatabaseMissing as exc:
        typer.echo(str(exc), err=True)
        raise SystemExit(2) from exc


app.add_typer(db.db_app, name="db")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("scheduler")(cob.scheduler)
app.add_typer(cob.cob_app, name="cob")
audit.export_app.add_typer(evidence.evidence_app)
app.add_typer(audit.export_app, name="export")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(users.users_app, name="users")
app.add_typer(payments.payments_app, name="payments")
