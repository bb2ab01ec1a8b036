"""Proof that the books were not altered: verify the day seals, and list them to keep a copy.

`GET /audit/verify` recomputes every sealed day's hash chain in the range and checks
invariants 1-3 (ledger.verify), reading one snapshot of the read engine; it costs about
40 seconds a million postings, so a request covers at most a year (the whole chain:
`creditunion audit verify` on a replica). Each verification is recorded in the audit
trail with its outcome. `GET /audit/seals` lists the seals, oldest first, paged.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Query

from api.exports.router import RANGE_DAYS_MAX, ReadEngine, check_date, check_range
from api.exports.schemas import SealOut, VerifyOut
from api.iso_dates import IsoDate
from api.pagination import Page, PageRequest, paginate
from api.problems import InvalidField, RequestInvalid
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.exports import seals, service

router = api_router(prefix="/audit", tags=["audit"])


@router.get("/verify")
def verify_ledger(
    session: DbSession,
    actor: Annotated[Actor, require(Permission.LEDGER_READ)],
    engine: ReadEngine,
    from_date: Annotated[
        IsoDate | None,
        Query(
            alias="from",
            description="First business date (inclusive). Default: the later of the first "
            "sealed day and the year (366 days) ending at `to`.",
        ),
    ] = None,
    to_date: Annotated[
        IsoDate | None,
        Query(
            alias="to",
            description="Last business date (inclusive). Default: the last sealed day (with "
            "`from` alone, at most 366 days on); the business date while nothing is sealed.",
        ),
    ] = None,
) -> VerifyOut:
    """Recompute the day seals and check invariants 1-3 over a range of at most a year

    Both dates are optional, as in `creditunion audit verify`; the response's `from`
    and `to` say what was covered. The CLI's default is the whole chain; a request covers
    at most a year, so by default the last year of seals.
    """
    for name, given in (("from", from_date), ("to", to_date)):
        if given is not None:
            check_date(name, given)
    from_date, to_date = seals.verify_window(
        session, from_date=from_date, to_date=to_date, days_max=RANGE_DAYS_MAX
    )
    check_range(from_date, to_date)
    verification = service.verify_range(engine, from_date=from_date, to_date=to_date)
    service.record_verification(session, actor=actor, verification=verification)
    return VerifyOut.of(verification.report, sealed_through=verification.sealed_through)


@router.get("/seals", dependencies=[require(Permission.LEDGER_READ)])
def list_seals(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("day-seals"))],
    from_date: Annotated[
        IsoDate | None, Query(alias="from", description="First business date (inclusive).")
    ] = None,
    to_date: Annotated[
        IsoDate | None, Query(alias="to", description="Last business date (inclusive).")
    ] = None,
) -> Page[SealOut]:
    """The day seals (hashes, counts, totals), oldest first"""
    if from_date is not None and to_date is not None and from_date > to_date:
        raise RequestInvalid(InvalidField("query", "from", "is after `to`"))
    after = page.after_int()
    rows = seals.seals_page(
        session,
        from_date=from_date,
        to_date=to_date,
        after=None if after is None else dt.date.fromordinal(after),
        limit=page.fetch,
    )
    return page.build(rows, position=lambda s: [s.business_date.toordinal()], convert=SealOut.of)
