"""`creditunion cob run`, `cob history` and `creditunion scheduler`."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine, text

from creditunion import audit
from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.service import current_business_date
from creditunion.cob.audit_trail import audited_close_of_business
from creditunion.cob.leader import CobBusy
from creditunion.cob.plan import BeyondCalendarDate
from creditunion.cob.runner import StepFailed, runner_id
from creditunion.platform import metrics
from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli.db import require_schema_at_head
from launch.cli.operator import current_operator

cob_app = typer.Typer(no_args_is_help=True, help="Close of business.")


@cob_app.command("run")
def cob_run(
    until: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Close every business date up to this one."),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait if another runner holds the lock.")] = False,
    beyond_today: Annotated[
        bool,
        typer.Option(
            "--beyond-today",
            help="Also close days after today's calendar date in the business time zone "
            "(history loads, tests); recorded in the audit log.",
        ),
    ] = False,
) -> None:
    """Close the current business date (or catch up day by day to --until), never a day
    after today's calendar date unless --beyond-today says so."""
    require_schema_at_head()
    engine = default_engine()
    today = today_in_zone(get_settings().zone)
    if beyond_today:
        _audit_beyond_today(engine, until=until.date() if until else None, today=today)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as bar:
        tasks: dict[tuple[str, dt.date], TaskID] = {}

        def on_progress(step: str, business_date: dt.date, done: int, total: int | None) -> None:
            key = (step, business_date)
            if key not in tasks:
                tasks[key] = bar.add_task(f"{business_date} {step}", total=total)
            bar.update(tasks[key], completed=done, total=total)

        try:
            reports = audited_close_of_business(
                engine,
                actor=current_operator(),
                until=until.date() if until else None,
                wait=wait,
                on_progress=on_progress,
                not_after=None if beyond_today else today,
            )
        except BeyondCalendarDate as ahead:
            typer.echo(str(ahead), err=True)
            raise typer.Exit(2) from None
        except CobBusy as busy:
            typer.echo(str(busy), err=True)
            raise typer.Exit(3) from None
        except StepFailed as failed:
            typer.echo(str(failed), err=True)
            raise typer.Exit(1) from None
    if not reports:
        typer.echo("nothing to close: the books are closed through the requested date")
    for report in reports:
        typer.echo(
            f"{report.business_date} {report.step:<18} {report.status:<9} "
            f"{report.seconds:8.2f}s items={report.items if report.items is not None else '-'}"
        )


def _audit_beyond_today(engine: Engine, *, until: dt.date | None, today: dt.date) -> None:
    """Who asked to close days the calendar has not reached, before anything is closed."""
    with unit_of_work(engine) as session:
        audit.record(
            session,
            actor=current_operator(),
            action="cob.run_beyond_today",
            target_type="business_date",
            target_id=str(until) if until else None,
            summary={
                "until": str(until) if until else None,
                "calendar_date": str(today),
                "operator": getpass.getuser(),
                "runner": runner_id(),
            },
            business_date=current_business_date(session),
        )


@cob_app.command("history")
def cob_history(limit: int = 30) -> None:
    """The latest step runs, newest first."""
    with default_engine().connect() as conn:
        rows = conn.execute(
            text(
                "SELECT business_date, step, status, attempts, duration_ms, items, error "
                "FROM cob_step_runs ORDER BY business_date DESC, position DESC LIMIT :n"
            ),
            {"n": max(1, min(limit, 1000))},
        ).all()
    for row in rows:
        typer.echo(
            f"{row.business_date} {row.step:<18} {row.status:<9} attempts={row.attempts} "
            f"ms={row.duration_ms} items={row.items} {row.error or ''}"
        )


def scheduler() -> None:
    """Run close of business daily at CREDITUNION_COB_TIME (catching up missed days first)."""
    from creditunion.cob.scheduler import build_scheduler

    require_schema_at_head()
    settings = get_settings()
    # A service's log is its report: INFO unless the level was set lower already (-v).
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    metrics.install()
    if settings.scheduler_metrics_port is not None:
        metrics.serve_in_background(
            port=settings.scheduler_metrics_port, host=settings.scheduler_metrics_host
        )
    typer.echo(f"close of business daily at {settings.cob_time} {settings.business_timezone}")
    build_scheduler(default_engine(), settings, background=False).start()
