"""`python -m ops bench ledger|cob|export|api`: the benchmarks, run from a checkout.

Tooling, not part of the installed application: the `creditunion` command does not import
`ops`. Each benchmark prints its figures as JSON and, with --json, writes them to a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Operations tooling, run from a checkout.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks; figures printed and as JSON.")
app.add_typer(bench_app, name="bench")

JsonOption = Annotated[Path | None, typer.Option("--json", help="Also write the figures here.")]


def _write_json(figures: dict[str, object], path: Path | None) -> None:
    typer.echo(json.dumps(figures, indent=2))
    if path is not None:
        path.write_text(json.dumps(figures, indent=2) + "\n")


@bench_app.command("payments")
def bench_payments(
    json_path: JsonOption = None,
    payments: Annotated[
        int, typer.Option(help="Payments in the file (at most 100,000).")
    ] = 100_000,
) -> None:
    """Produce a pain.001 of N payments, import the bank's pain.002 on it, a credit to every
    share account and the day's statement."""
    from ops.bench_payments import run

    _write_json(run(payments=payments, echo=typer.echo), json_path)


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


@bench_app.command("export")
def bench_export(
    json_path: JsonOption = None,
    postings: Annotated[int, typer.Option(min=1_000, help="Postings to generate.")] = 1_000_000,
) -> None:
    """Generate N postings, seal them, then time CSV, xlsx and JSON Lines exports of them."""
    from ops.bench_export import run

    _write_json(run(postings=postings, echo=typer.echo), json_path)


app()
