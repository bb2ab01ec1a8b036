"""Bodies of the close-of-business endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.out import OutModel


class StepRunOut(OutModel):
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


class CobStatusOut(OutModel):
    business_date: dt.date
    closed_through: dt.date | None
    last_sealed: dt.date | None
    running: list[StepRunOut]
    failed: list[StepRunOut]
