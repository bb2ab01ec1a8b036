"""The daily trigger: APScheduler runs close of business at a set local time.

On start it first catches up every business date missed while nothing was running (the
machine was off), then fires daily at `CREDITUNION_COB_TIME` in the business time zone.
Only the instance holding the leader lock runs; any other says so and waits for the next day.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zoneinfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from creditunion.cob.audit_trail import audited_close_of_business
from creditunion.cob.commands import COB_SYSTEM
from creditunion.cob.leader import CobBusy
from creditunion.platform.request_context import request_id_set
from creditunion.platform.settings import Settings

log = logging.getLogger(__name__)
JOB_ID = "close-of-business"


def parse_run_time(value: str) -> dt.time:
    try:
        hours, minutes = value.split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValueError(f"COB time must be HH:MM, got {value!r}") from exc


def close_through(now: dt.datetime, *, zone: zoneinfo.ZoneInfo, run_at: dt.time) -> dt.date:
    """The last business date that should be closed at `now`: today once the daily time
    has passed in the business zone, otherwise yesterday."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(zone)
    today = local.date()
    return today if local.time() >= run_at else today - dt.timedelta(days=1)


def run_due(engine: Engine, settings: Settings) -> None:
    # One id for the whole run, on every log line of it, as a request has.
    with request_id_set(f"cob-{uuid.uuid4()}"):
        _run_due(engine, settings)


def _run_due(engine: Engine, settings: Settings) -> None:
    until = close_through(
        dt.datetime.now(dt.UTC), zone=settings.zone, run_at=parse_run_time(settings.cob_time)
    )
    try:
        reports = audited_close_of_business(engine, actor=COB_SYSTEM, until=until, wait=False)
    except CobBusy as busy:
        log.warning("close of business not run here: %s", busy)
        return
    done = [r for r in reports if r.status == "completed"]
    log.info("close of business through %s: %d steps run", until, len(done))


def build_scheduler(engine: Engine, settings: Settings, *, background: bool) -> BaseScheduler:
    run_at = parse_run_time(settings.cob_time)
    scheduler: BaseScheduler = (
        BackgroundScheduler(timezone=settings.zone)
        if background
        else BlockingScheduler(timezone=settings.zone)
    )
    scheduler.add_job(
        run_due,
        CronTrigger(hour=run_at.hour, minute=run_at.minute, timezone=settings.zone),
        args=(engine, settings),
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
        # Catch up at once on start, then daily.
        next_run_time=dt.datetime.now(settings.zone),
    )
    return scheduler
