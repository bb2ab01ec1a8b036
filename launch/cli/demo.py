"""`creditunion demo [--members N] [--no-serve]`: seed a demo credit union, print how to sign
in, and serve the API."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from creditunion.business_date.clock import today_in_zone
from creditunion.demo import MEMBERS_DEFAULT, DemoReport, run_demo
from creditunion.demo.people import MEMBERS_MAX, DemoRefused
from creditunion.platform.database import default_engine, resolve_database_url
from creditunion.platform.settings import get_settings
from launch.migrate import upgrade
from ledger.trial_balance import TrialBalance


def demo(
    members: Annotated[
        int,
        typer.Option(min=1, max=MEMBERS_MAX, help="Members to register (a new demo only)."),
    ] = MEMBERS_DEFAULT,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards.")
    ] = True,
    host: Annotated[
        str | None, typer.Option(help="Address to serve on (default CREDITUNION_SERVE_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to serve on (default CREDITUNION_SERVE_PORT).")
    ] = None,
) -> None:
    """Migrate, initialise, seed staff, members and months of history, then serve the API.

    Running it again on the same database adds nothing.
    """
    settings = get_settings()
    upgrade(resolve_database_url(settings, create=True))
    with Progress(transient=True) as progress:
        task = progress.add_task("Posting the demo's history", total=None)

        def on_day(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = run_demo(
                default_engine(),
                settings=settings,
                today=today_in_zone(settings.zone),
                members=members,
                on_day=on_day,
            )
        except DemoRefused as exc:
            typer.echo(f"demo refused: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(render(report))
    if serve_api:
        from launch.cli.serve import serve

        serve(host=host, port=port, workers=None, log_level="info")


def render(report: DemoReport) -> str:
    done = "seeded" if report.created else "already seeded; nothing added"
    lines = [
        f"Demo credit union {done}: {report.members} members, {report.accounts} share "
        f"accounts, {report.entries} journal entries from {report.history_from} "
        f"(business date now {report.business_date}), in {report.seconds:.1f} s.",
        "",
        "Sign in (POST /v1/auth/token, or Authorize in /docs):",
    ]
    for login in report.logins:
        number = f"  membership {login.membership_number}" if login.membership_number else ""
        lines.append(f"  {login.username:<15} {login.role.value:<13} {login.password}{number}")
    lines += ["", *_trial_balance_lines(report.trial_balance)]
    return "\n".join(lines)


def _trial_balance_lines(report: TrialBalance) -> list[str]:
    lines = ["Trial balance:"]
    for account_type, rows in report.rows_by_type.items():
        for row in rows:
            lines.append(
                f"  {account_type.value:<10} {row.code:<6} {row.name:<34} "
                f"debit {row.debit.amount:>14} credit {row.credit.amount:>14}"
            )
    for total in report.totals:
        state = "balanced" if total.balanced else "NOT BALANCED"
        lines.append(
            f"  total {total.currency}: debits {total.debits.amount}, "
            f"credits {total.credits.amount} ({state})"
        )
    return lines
