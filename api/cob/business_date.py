"""The credit union's current business date (what today's postings are dated)."""

from __future__ import annotations

from api.cob.business_date_schemas import BusinessDateOut
from api.domain import business_date
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission

router = api_router(tags=["business date"])


@router.get("/business-date", dependencies=[require(Permission.SESSION)])
def get_business_date(session: DbSession) -> BusinessDateOut:
    """The current business date"""
    return BusinessDateOut(business_date=business_date(session))
