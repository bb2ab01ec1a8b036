"""Exports that are one report of a date or a range, in a table format: declared as data
(path, summary, how to build the report) instead of one same-shaped endpoint each.

Each gets the ledger exports' treatment (`api.exports.router._send`): one snapshot, an
archive, its audit record, then the stream; its operation id is the name given.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from api.context import request_context
from api.exports.router import (
    ZIP_RESPONSE,
    Exporter,
    FromDate,
    ReadEngine,
    TableFormat,
    ToDate,
    ZipStream,
    _send,
    check_date,
    check_range,
)
from api.iso_dates import IsoDate
from api.transactions import DbSession
from ledger.export.report import Report

Q = TypeVar("Q")
AsOf = Annotated[IsoDate, Query(description="The business date it is as at (its end).")]


@dataclass(frozen=True, slots=True)
class AsOfQuery:
    as_of: dt.date
    zone: zoneinfo.ZoneInfo


@dataclass(frozen=True, slots=True)
class RangeQuery:
    from_date: dt.date
    to_date: dt.date
    zone: zoneinfo.ZoneInfo


def as_of_query(request: Request, as_of: AsOf) -> AsOfQuery:
    check_date("as_of", as_of)
    return AsOfQuery(as_of=as_of, zone=request_context(request).settings.zone)


def range_query(request: Request, from_date: FromDate, to_date: ToDate) -> RangeQuery:
    check_range(from_date, to_date)
    zone = request_context(request).settings.zone
    return RangeQuery(from_date=from_date, to_date=to_date, zone=zone)


def add_report_export(
    router: APIRouter,
    path: str,
    *,
    name: str,
    summary: str,
    query: Callable[..., Q],
    build: Callable[[Session, Q], Report],
) -> None:
    """Add `GET path`: the report `build` makes from the checked `query`, as a ZIP archive."""

    def endpoint(
        session: DbSession,
        actor: Exporter,
        engine: ReadEngine,
        # Defaults rather than Annotated: `query` is this closure's, which a string
        # annotation (this module's `from __future__ import annotations`) cannot name.
        checked: Any = Depends(query),
        export_format: TableFormat = Query(alias="format"),
    ) -> ZipStream:
        return _send(session, actor, engine, lambda s: build(s, checked), export_format)

    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        name=name,
        response_class=ZipStream,
        responses=ZIP_RESPONSE,
        summary=summary,
    )
