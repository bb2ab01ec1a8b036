"""Every close-of-business run writes one audit record: who started it, with what, and what
it did.

Who: the operator of `creditunion cob run` (`cli:{name}`), or close of business itself
(`COB_ACTOR`) when the scheduler starts it. What it did: the days closed through before and
after, the seal of each day it closed (the hash chain an auditor recomputes with `audit
verify`), the steps run, and for a run that did not finish why (refused, busy, failed at a
step). The record is written in its own transaction after the run, so a failed run that
rolled its step back is recorded all the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.business_date.models import BusinessCalendar
from creditunion.cob.leader import CobBusy
from creditunion.cob.plan import BeyondCalendarDate, run_close_of_business
from creditunion.cob.runner import OnProgress, StepFailed, StepReport, runner_id
from creditunion.platform.database import unit_of_work
from ledger.periods import closed_through
from ledger.seal_models import DaySeal

ERROR_LENGTH_MAX: Final = 500
SEALS_RECORDED_MAX: Final = 400  # a catch-up of years lists its first days' seals only


def audited_close_of_business(
    engine: Engine,
    *,
    actor: Actor,
    until: dt.date | None = None,
    wait: bool = False,
    on_progress: OnProgress | None = None,
    not_after: dt.date | None = None,
) -> list[StepReport]:
    """`run_close_of_business`, then its audit record (`cob.run`), whatever the outcome.

    Raises what `run_close_of_business` raises, after recording it.
    """
    before = _closed_through(engine)
    parameters = {"until": until, "wait": wait, "not_after": not_after}
    try:
        reports = run_close_of_business(
            engine, until=until, wait=wait, on_progress=on_progress, not_after=not_after
        )
    except Exception as exc:
        record_run(engine, actor=actor, parameters=parameters, before=before, error=exc)
        raise
    record_run(engine, actor=actor, parameters=parameters, before=before, reports=reports)
    return reports


def record_run(
    engine: Engine,
    *,
    actor: Actor,
    parameters: dict[str, Any],
    before: dt.date | None,
    reports: list[StepReport] | None = None,
    error: BaseException | None = None,
) -> int:
    """Write the run's `cob.run` record in a transaction of its own; returns its id."""
    with unit_of_work(engine) as session:
        after = closed_through(session)
        summary: dict[str, Any] = {
            "parameters": parameters,
            "result": _result(reports, error),
            "closed_through_before": before,
            "closed_through_after": after,
            "seals": _seals(session, after=before, through=after),
            "runner": runner_id(),
        }
        if reports is not None:
            summary["steps"] = {
                status: sum(1 for r in reports if r.status == status)
                for status in ("completed", "skipped")
            }
        if error is not None:
            summary["error"] = str(error)[:ERROR_LENGTH_MAX]
        if isinstance(error, StepFailed):
            summary["failed_step"] = {"step": error.step, "business_date": error.business_date}
        return audit.record(
            session,
            actor=actor,
            action="cob.run",
            target_type="business_date",
            target_id=None if after is None else after.isoformat(),
            summary=summary,
            business_date=session.scalar(select(BusinessCalendar.business_date)),
        )


def _result(reports: list[StepReport] | None, error: BaseException | None) -> str:
    if isinstance(error, BeyondCalendarDate):
        return "refused_beyond_today"
    if isinstance(error, CobBusy):
        return "busy"
    if error is not None:
        return "failed"
    return "closed" if reports else "nothing_to_close"


def _closed_through(engine: Engine) -> dt.date | None:
    with unit_of_work(engine) as session:
        return closed_through(session)


def _seals(session: Session, *, after: dt.date | None, through: dt.date | None) -> dict[str, str]:
    """The seal hash of each day closed in the run, by date."""
    if through is None or (after is not None and through <= after):
        return {}
    query = select(DaySeal.business_date, DaySeal.seal_hash).where(DaySeal.business_date <= through)
    if after is not None:
        query = query.where(DaySeal.business_date > after)
    rows = session.execute(query.order_by(DaySeal.business_date).limit(SEALS_RECORDED_MAX))
    return {day.isoformat(): seal.hex() for day, seal in rows}
