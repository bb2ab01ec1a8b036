"""Running close of business: each step, in order, exactly once per business date."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, CursorResult, Engine, text
from sqlalchemy.orm import Session

from creditunion.cob.commands import cob_context, run_cob_step
from creditunion.cob.leader import COB_STEP_KEY
from creditunion.cob.models import StepStatus
from creditunion.cob.steps import Step, StepOutcome
from creditunion.platform import metrics
from creditunion.platform.database import unit_of_work

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S: Final = 1.0
ERROR_LENGTH_MAX: Final = 2_000


@dataclass(frozen=True, slots=True)
class StepReport:
    step: str
    business_date: dt.date
    status: str  # "completed", "skipped" (completed by an earlier run) or "failed"
    seconds: float
    items: int | None


class StepFailed(RuntimeError):
    def __init__(self, step: str, business_date: dt.date, cause: BaseException) -> None:
        super().__init__(f"close of business step {step} for {business_date} failed: {cause}")
        self.step = step
        self.business_date = business_date


OnProgress = Callable[[str, dt.date, int, int | None], None]


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


_MARK_RUNNING = text("""
INSERT INTO cob_step_runs (step, business_date, position, status, attempts, runner, started_at,
    progress_done, progress_total, error)
VALUES (:step, :d, :position, 'running', 1, :runner, now(), 0, NULL, NULL)
ON CONFLICT (step, business_date) DO UPDATE SET
    status = 'running', attempts = cob_step_runs.attempts + 1, runner = excluded.runner,
    started_at = now(), finished_at = NULL, progress_done = 0, progress_total = NULL,
    error = NULL
WHERE cob_step_runs.status <> 'completed'
""")

# Read under the transaction's step lock, without a row lock: progress is written to the
# same row meanwhile from a side connection, which a row lock here would block.
_READ_STATUS = text("SELECT status FROM cob_step_runs WHERE step = :step AND business_date = :d")

_MARK_COMPLETED = text("""
UPDATE cob_step_runs SET status = 'completed', finished_at = clock_timestamp(),
    duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint,
    items = :items, totals = CAST(:totals AS jsonb), progress_done = greatest(progress_done, :items)
WHERE step = :step AND business_date = :d
""")

_MARK_FAILED = text("""
UPDATE cob_step_runs SET status = 'failed', finished_at = clock_timestamp(), error = :error
WHERE step = :step AND business_date = :d AND status <> 'completed'
""")

_PROGRESS = text("""
UPDATE cob_step_runs SET progress_done = :done, progress_total = :total
WHERE step = :step AND business_date = :d AND status = 'running'
""")


def is_completed(engine: Engine, step: str, business_date: dt.date) -> bool:
    with engine.connect() as conn:
        status = conn.scalar(
            text("SELECT status FROM cob_step_runs WHERE step = :s AND business_date = :d"),
            {"s": step, "d": business_date},
        )
    return bool(status == StepStatus.COMPLETED.value)


def run_step(
    engine: Engine,
    *,
    step: Step,
    position: int,
    business_date: dt.date,
    budget_s: float,
    on_progress: OnProgress | None = None,
) -> StepReport:
    """Run `step` for `business_date` unless a run already completed it, within `budget_s`."""
    started = time.monotonic()
    if is_completed(engine, step.name, business_date):
        return _observed(StepReport(step.name, business_date, "skipped", 0.0, None))
    key = {"step": step.name, "d": business_date}
    with engine.connect() as side:
        side = side.execution_options(isolation_level="AUTOCOMMIT")
        side.execute(_MARK_RUNNING, key | {"position": position, "runner": runner_id()})
        reporter = _ProgressReporter(side, step.name, business_date, on_progress)
        try:
            outcome = _run_in_transaction(engine, step, business_date, reporter, budget_s)
        except BaseException as exc:
            side.execute(_MARK_FAILED, key | {"error": repr(exc)[:ERROR_LENGTH_MAX]})
            failed = StepReport(
                step.name, business_date, "failed", time.monotonic() - started, None
            )
            _observed(failed)
            raise StepFailed(step.name, business_date, exc) from exc
    seconds = time.monotonic() - started
    if outcome is None:
        return _observed(StepReport(step.name, business_date, "skipped", seconds, None))
    log.info("cob %s %s: %s items in %.2fs", business_date, step.name, outcome.items, seconds)
    return _observed(StepReport(step.name, business_date, "completed", seconds, outcome.items))


def _observed(report: StepReport) -> StepReport:
    metrics.observe_cob_step(
        step=report.step, status=report.status, seconds=report.seconds, items=report.items
    )
    return report


def _run_in_transaction(
    engine: Engine,
    step: Step,
    business_date: dt.date,
    reporter: _ProgressReporter,
    budget_s: float,
) -> StepOutcome | None:
    key = {"step": step.name, "d": business_date}
    with unit_of_work(engine) as session:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": COB_STEP_KEY})
        # Read again under the lock: a rival runner may have completed it meanwhile.
        if session.scalar(_READ_STATUS, key) == StepStatus.COMPLETED.value:
            return None
        context = cob_context(business_date, budget_s=budget_s)
        outcome = run_cob_step(session, context, step=step, progress=reporter)
        _record_completion(session, step.name, business_date, outcome)
    return outcome


def _record_completion(
    session: Session, step: str, business_date: dt.date, outcome: StepOutcome
) -> None:
    result: CursorResult[object] = session.execute(  # type: ignore[assignment]
        _MARK_COMPLETED,
        {
            "step": step,
            "d": business_date,
            "items": outcome.items,
            "totals": json.dumps(dict(outcome.totals), sort_keys=True),
        },
    )
    assert result.rowcount == 1, "the step's record exists"


class _ProgressReporter:
    """Writes progress on a side connection (autocommit) so others see it mid-step."""

    def __init__(
        self,
        side: Connection,
        step: str,
        business_date: dt.date,
        on_progress: OnProgress | None,
    ) -> None:
        self._side = side
        self._step = step
        self._date = business_date
        self._on_progress = on_progress
        self._last_written = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        if self._on_progress is not None:
            self._on_progress(self._step, self._date, done, total)
        now = time.monotonic()
        if now - self._last_written < PROGRESS_INTERVAL_S and done != total:
            return
        self._last_written = now
        self._side.execute(
            _PROGRESS, {"step": self._step, "d": self._date, "done": done, "total": total}
        )


def run_steps_for_date(
    engine: Engine,
    *,
    steps: Sequence[Step],
    business_date: dt.date,
    step_budget_s: float,
    on_progress: OnProgress | None = None,
) -> list[StepReport]:
    return [
        run_step(
            engine,
            step=step,
            position=n,
            business_date=business_date,
            budget_s=step_budget_s,
            on_progress=on_progress,
        )
        for n, step in enumerate(steps)
    ]
