"""Bodies of the close-of-business endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from creditunion.cob.history import CobStatus, StepRunView


class StepRunOut(BaseModel):
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

    @classmethod
    def of(cls, view: StepRunView) -> StepRunOut:
        return cls.model_validate(view, from_attributes=True)


class CobStatusOut(BaseModel):
    business_date: dt.date
    closed_through: dt.date | None
    last_sealed: dt.date | None
    running: list[StepRunOut]
    failed: list[StepRunOut]

    @classmethod
    def of(cls, status: CobStatus) -> CobStatusOut:
        return cls(
            business_date=status.business_date,
            closed_through=status.closed_through,
            last_sealed=status.last_sealed,
            running=[StepRunOut.of(v) for v in status.running],
            failed=[StepRunOut.of(v) for v in status.failed],
        )
