"""Close of business as staff see it: its history and the current run's progress."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Query

from api.cob.schemas import CobStatusOut, StepRunOut
from api.iso_dates import IsoDate
from api.pagination import Page, PageRequest, paginate
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.cob import history

router = api_router(tags=["close of business"])


@router.get("/cob/status", dependencies=[require(Permission.COB_READ)])
def cob_status(session: DbSession) -> CobStatusOut:
    """The business date, how far the books are closed and sealed, and steps in flight"""
    return CobStatusOut.of(history.status(session))


@router.get("/cob/runs", dependencies=[require(Permission.COB_READ)])
def cob_runs(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("cob-runs"))],
    business_date: Annotated[IsoDate | None, Query(description="Only this date.")] = None,
) -> Page[StepRunOut]:
    """Close-of-business step runs, newest first"""
    before = None
    if page.after is not None:
        before = (dt.date.fromordinal(page.after_int(0) or 1), page.after_int(1) or 0)
    rows = history.list_runs(session, before=before, limit=page.fetch, business_date=business_date)
    return page.build(
        rows,
        position=lambda r: [r.business_date.toordinal(), r.position],
        convert=StepRunOut.of,
    )
