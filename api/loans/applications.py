"""Quotes and applications as staff work them: quote for a member, the referral queue.

Loan officers (and managers) approve or decline what the automated decision referred,
with a note; an approval is checked again and becomes an offer, and one the checks now
decline is refused (422 `loan-approval-refused`, naming each rule). Staff read any
application and its history of status changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.commands import staff_command
from api.context import request_context
from api.domain import ID_MAX, business_date
from api.loans.application_schemas import (
    ApplicationEventOut,
    ApplicationOut,
    MemberQuoteIn,
    OfficerDecisionIn,
    QuoteOut,
)
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.lending import application_commands, origination
from ledger.ownership import STAFF, MemberScope
from loans.models import ApplicationStatus
from loans.services import applications

router = api_router(tags=["loan applications"])

ApplicationId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="The application's id.", examples=[1])
]
Officer = Annotated[CommandContext, staff_command(Permission.LOANS_MANAGE)]


@router.post(
    "/loan-quotes",
    dependencies=[require(Permission.LOANS_MANAGE)],
    responses=problem_responses(404, 422),
)
def quote_for_member(request: Request, session: DbSession, body: MemberQuoteIn) -> QuoteOut:
    """Quote a loan for a member: APR, instalment, totals, schedule, disclosure

    A refusal is a 422 `loan-quote-refused` whose `codes` name every rule broken.
    """
    quote = origination.quote_for_member(
        session,
        member_id=body.member_id,
        product_code=body.product_code,
        amount=body.amount.to_money(),
        term=body.term,
        frequency=body.frequency,
        settings=request_context(request).settings,
        business_date=business_date(session),
    )
    return QuoteOut.of(body.product_code, quote)


@router.get("/loan-applications", dependencies=[require(Permission.LOANS_READ)])
def list_applications(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("loan-applications"))],
    status: Annotated[ApplicationStatus | None, Query()] = None,
    member_id: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
) -> Page[ApplicationOut]:
    """Applications in id order; the referral queue is `status=referred`"""
    rows = applications.list_applications(
        session,
        # One member's applications are those a scope of theirs holds.
        scope=STAFF if member_id is None else MemberScope(member_id),
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=ApplicationOut.of)


@router.get(
    "/loan-applications/{application_id}",
    dependencies=[require(Permission.LOANS_READ)],
    responses=problem_responses(404),
)
def get_application(session: DbSession, application_id: ApplicationId) -> ApplicationOut:
    """One application, its decision and its offer"""
    view = applications.get_application(session, application_id=application_id, scope=STAFF)
    return ApplicationOut.of(view)


@router.get(
    "/loan-applications/{application_id}/events",
    dependencies=[require(Permission.LOANS_READ)],
    responses=problem_responses(404),
)
def application_events(
    session: DbSession, application_id: ApplicationId
) -> list[ApplicationEventOut]:
    """Every status change of an application: from, to, when, who, why"""
    applications.get_application(session, application_id=application_id, scope=STAFF)
    events = applications.application_history(session, application_id=application_id)
    return [ApplicationEventOut.of(event) for event in events]


@router.post(
    "/loan-applications/{application_id}/approve", responses=problem_responses(404, 409, 422)
)
def approve_referral(
    request: Request,
    session: DbSession,
    application_id: ApplicationId,
    body: OfficerDecisionIn,
    context: Officer,
) -> ApplicationOut:
    """Approve a referred application: it becomes an offer"""
    view = application_commands.approve_referral(
        session,
        context,
        application_id=application_id,
        note=body.note,
        settings=request_context(request).settings,
    )
    return ApplicationOut.of(view)


@router.post(
    "/loan-applications/{application_id}/decline", responses=problem_responses(404, 409, 422)
)
def decline_referral(
    session: DbSession, application_id: ApplicationId, body: OfficerDecisionIn, context: Officer
) -> ApplicationOut:
    """Decline a referred application, with a note"""
    view = application_commands.decline_referral(
        session, context, application_id=application_id, note=body.note
    )
    return ApplicationOut.of(view)
