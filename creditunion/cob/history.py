"""What staff see of close of business: its history, and where the current run has got to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from creditunion.business_date.service import current_business_date
from ledger.periods import closed_through
from ledger.seal import last_seal

RUNS_LISTED_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class StepRunView:
    business_date: dt.date
    step: str
    position: int
    status: str
    attempts: int
    runner: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_ms: int | None
    progress_done: int
    progress_total: int | None
    items: int | None
    totals: dict[str, Any]
    error: str | None


@dataclass(frozen=True, slots=True)
class CobStatus:
    business_date: dt.date
    closed_through: dt.date | None
    last_sealed: dt.date | None
    running: list[StepRunView]
    failed: list[StepRunView]


_COLUMNS = (
    "business_date, step, position, status, attempts, runner, started_at, finished_at, "
    "duration_ms, progress_done, progress_total, items, totals, error"
)


def list_runs(
    session: Session,
    *,
    before: tuple[dt.date, int] | None,
    limit: int,
    business_date: dt.date | None = None,
) -> list[StepRunView]:
    """Step runs newest first (by business date, then step position)."""
    limit = max(1, min(limit, RUNS_LISTED_MAX + 1))
    after_date, after_position = before or (dt.date.max, 0)
    rows = session.execute(
        text(
            f"SELECT {_COLUMNS} FROM cob_step_runs "
            "WHERE (business_date, position) < (:d, :p) "
            "AND (CAST(:only AS date) IS NULL OR business_date = :only) "
            "ORDER BY business_date DESC, position DESC LIMIT :n"
        ),
        {
            "d": after_date,
            "p": after_position if before else 2**31 - 1,
            "only": business_date,
            "n": limit,
        },
    ).all()
    return [StepRunView(**row._mapping) for row in rows]


def status(session: Session) -> CobStatus:
    unfinished = session.execute(
        text(
            f"SELECT {_COLUMNS} FROM cob_step_runs WHERE status <> 'completed' "
            "ORDER BY business_date, position LIMIT 50"
        )
    ).all()
    views = [StepRunView(**row._mapping) for row in unfinished]
    seal = last_seal(session)
    return CobStatus(
        business_date=current_business_date(session),
        closed_through=closed_through(session),
        last_sealed=seal.business_date if seal else None,
        running=[v for v in views if v.status == "running"],
        failed=[v for v in views if v.status == "failed"],
    )
