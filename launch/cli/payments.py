"""`creditunion payments produce|import`: the files exchanged with the settlement bank.

A credit union's IT person (or the bank simulator, `python -m ops.banksim`) runs these on
a schedule: `produce` writes the file of payments due for upload to the bank, `import`
applies what the bank sent back. A refused file posts nothing; its refusal is recorded in
the audit trail and the command exits 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from creditunion.errors import DomainError
from creditunion.payments import commands as payments
from creditunion.payments.bank_files import BankFileResult
from creditunion.payments.config import payment_config
from creditunion.payments.outbound_files import NothingToSend
from creditunion.payments.queries import get_file
from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli.context import operator_context
from launch.cli.db import require_schema_at_head

payments_app = typer.Typer(no_args_is_help=True, help="Payment files to and from the bank.")

_SUFFIX = {"pain.001.001.09": ".xml", "nacha": ".ach"}


@payments_app.command("produce")
def produce(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the file into.")],
) -> None:
    """Write the file of the payments due today, and mark them sent."""
    engine = default_engine()
    require_schema_at_head()
    config = payment_config(get_settings())
    out.mkdir(parents=True, exist_ok=True)
    try:
        with unit_of_work(engine) as session:
            context = operator_context(session)
            view = payments.produce_file(
                session, context, config=config, created_at=dt.datetime.now(dt.UTC)
            )
            _, content = get_file(session, file_id=view.id)
    except NothingToSend as exc:
        typer.echo(str(exc))
        return
    path = out / f"{view.message_id}{_SUFFIX.get(view.kind, '')}"
    path.write_bytes(content)
    typer.echo(f"{path}: {view.item_count} payments, sha256 {view.sha256}")


def _described(result: BankFileResult) -> str:
    counts = {
        "settled": result.settled,
        "rejected": result.rejected,
        "returned": result.returned,
        "nominations corrected": result.corrected,
        "credits applied": result.credits_applied,
        "credits to suspense": result.credits_unmatched,
    }
    said = [f"{n} {what}" for what, n in counts.items() if n]
    if result.statement is not None:
        statement = result.statement
        said.append(
            f"statement {statement.statement_id}: {statement.matched} matched, "
            f"{statement.breaks} breaks, closing balance {statement.closing_balance} against "
            f"{statement.ledger_balance} in the ledger"
        )
    return f"{result.file.kind}, " + (", ".join(said) or "nothing to apply")


@payments_app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="Files the bank sent, in order.")],
) -> None:
    """Apply the bank's files; the first refused one stops the run (exit 2)."""
    engine = default_engine()
    require_schema_at_head()
    config = payment_config(get_settings())
    for path in files:
        content = path.read_bytes()
        try:
            with unit_of_work(engine) as session:
                result = payments.import_bank_file(
                    session, operator_context(session), content=content, config=config
                )
        except DomainError as exc:
            with unit_of_work(engine) as session:
                payments.record_refused_file(
                    session, operator_context(session), content=content, reason=str(exc)
                )
            typer.echo(f"{path}: refused: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"{path}: {_described(result)}")
