"""Direct debits as branch staff set them up, watch and stop them: mandates, the
collections made under them, the notices given, the advices of members' banks, and the
collections dashboard.

A teller sets up a mandate for a member at the branch; a manager suspends (nothing is sent
until resumed), resumes (every instalment is scheduled again, with a new notice) and
cancels one, and applies the ADDACS advices by which members' banks end them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.commands import staff_command
from api.context import request_context
from api.domain import ID_MAX
from api.exports.router import FromDate, ToDate, check_range
from api.pagination import Page, PageRequest, paginate
from api.payments.collection_schemas import (
    AdvicesIn,
    AdvicesOut,
    AppliedAdviceOut,
    CollectionOut,
    DashboardOut,
    MandateIn,
    MandateOut,
    NoticeOut,
)
from api.payments.inputs import PaymentSettings
from api.payments.schemas import CancelIn
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.payments.collections import commands, queries
from creditunion.payments.collections.advices import MandateAdvice
from creditunion.payments.collections.mandates import MandateRequest
from creditunion.payments.collections.models import CollectionStatus, MandateStatus
from ledger.ownership import STAFF, MemberScope, Scope

router = api_router(tags=["payments"])

MandateId = Annotated[int, Path(ge=1, le=ID_MAX, description="The mandate's id.", examples=[1])]
IdFilter = Annotated[int | None, Query(ge=1, le=ID_MAX)]
Reading = [require(Permission.COLLECTIONS_READ)]
Creating = Annotated[CommandContext, staff_command(Permission.COLLECTIONS_CREATE)]
Managing = Annotated[CommandContext, staff_command(Permission.COLLECTIONS_MANAGE)]


def _scope(member_id: int | None) -> Scope:
    """One member's rows, as that member's own list reads them; else everyone's."""
    return STAFF if member_id is None else MemberScope(member_id)


@router.post("/direct-debit-mandates", status_code=201, responses=problem_responses(404, 409, 422))
def set_up_mandate(
    session: DbSession, body: MandateIn, context: Creating, config: PaymentSettings
) -> MandateOut:
    """Set up a direct debit on a member's active loan, from their nominated account

    Signed at the branch (`channel` `branch`). Every instalment still to pay is scheduled
    at once, with one notice listing them. A loan with a direct debit already, or not
    active, is a 409; a member without a nominated account, a 404.
    """
    request = MandateRequest(body.loan_id, body.represent_agreed, "branch")
    view = commands.set_up_mandate(session, context, request=request, config=config)
    return MandateOut.of(view)


@router.get("/direct-debit-mandates", dependencies=Reading)
def list_mandates(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("direct-debit-mandates"))],
    member_id: IdFilter = None,
    loan_id: IdFilter = None,
    status: Annotated[MandateStatus | None, Query()] = None,
) -> Page[MandateOut]:
    """Direct-debit mandates, oldest first, by member, loan and status"""
    rows = queries.list_mandates(
        session,
        scope=_scope(member_id),
        loan_id=loan_id,
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=MandateOut.of)


@router.get(
    "/direct-debit-mandates/{mandate_id}", dependencies=Reading, responses=problem_responses(404)
)
def get_mandate(session: DbSession, mandate_id: MandateId) -> MandateOut:
    """One direct-debit mandate"""
    return MandateOut.of(queries.get_mandate(session, mandate_id=mandate_id, scope=STAFF))


@router.post("/direct-debit-mandates/{mandate_id}/suspend", responses=problem_responses(404, 409))
def suspend_mandate(session: DbSession, mandate_id: MandateId, context: Managing) -> MandateOut:
    """Suspend an active mandate: its scheduled collections are cancelled, none is sent

    Collections already sent to the bank are left to it. A mandate not active is a 409.
    """
    return MandateOut.of(commands.suspend_mandate(session, context, mandate_id=mandate_id))


@router.post(
    "/direct-debit-mandates/{mandate_id}/resume", responses=problem_responses(404, 409, 422)
)
def resume_mandate(
    session: DbSession, mandate_id: MandateId, context: Managing, config: PaymentSettings
) -> MandateOut:
    """Resume a suspended mandate: what is still to pay is scheduled again, with a notice

    The member is given the notice period again before the first collection. A mandate
    not suspended is a 409.
    """
    view = commands.resume_mandate(session, context, mandate_id=mandate_id, config=config)
    return MandateOut.of(view)


@router.post("/direct-debit-mandates/{mandate_id}/cancel", responses=problem_responses(404, 422))
def cancel_mandate(
    session: DbSession, mandate_id: MandateId, body: CancelIn, context: Managing
) -> MandateOut:
    """Cancel a mandate: nothing more is collected under it, and the member is told

    Collections already sent to the bank are left to it. Cancelling it again changes
    nothing.
    """
    view = commands.cancel_mandate(session, context, mandate_id=mandate_id, reason=body.reason)
    return MandateOut.of(view)


@router.post("/direct-debit-mandates/advices", responses=problem_responses(404, 409, 422))
def apply_advices(session: DbSession, body: AdvicesIn, context: Managing) -> AdvicesOut:
    """Apply the ADDACS advices of a member's bank report: each cancels its mandate

    All or nothing, as a file from the bank is: an advice naming a reference we do not
    know (404) or a code a person must act on (409: E, R) refuses the whole report, naming
    it, and none is applied. An advice on a mandate already cancelled changes nothing.
    """
    given = [MandateAdvice(advice.reference, advice.code) for advice in body.advices]
    views = commands.apply_advices(session, context, given=given)
    return AdvicesOut(
        applied=[
            AppliedAdviceOut(
                reference=advice.reference, code=advice.code, mandate=MandateOut.of(view)
            )
            for advice, view in zip(given, views, strict=True)
        ]
    )


@router.get("/direct-debit-collections", dependencies=Reading)
def list_collections(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("direct-debit-collections"))],
    member_id: IdFilter = None,
    loan_id: IdFilter = None,
    mandate_id: IdFilter = None,
    status: Annotated[CollectionStatus | None, Query()] = None,
) -> Page[CollectionOut]:
    """Direct-debit collections, oldest first, by member, loan, mandate and status"""
    rows = queries.list_collections(
        session,
        scope=_scope(member_id),
        loan_id=loan_id,
        mandate_id=mandate_id,
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=CollectionOut.of)


@router.get(
    "/direct-debit-collections/dashboard",
    dependencies=Reading,
    responses=problem_responses(422),
)
def dashboard(
    request: Request, session: DbSession, from_date: FromDate, to_date: ToDate
) -> DashboardOut:
    """Collections dated in a period by status and unpaid by reason, and mandates by status

    The period is at most 366 days, both ends included.
    """
    check_range(from_date, to_date)
    currency = request_context(request).settings.base_currency
    figures = queries.dashboard(session, from_date=from_date, to_date=to_date, currency=currency)
    return DashboardOut.of_dashboard(figures, currency=currency)


@router.get("/direct-debit-notices", dependencies=Reading)
def list_notices(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("direct-debit-notices"))],
    member_id: IdFilter = None,
    loan_id: IdFilter = None,
) -> Page[NoticeOut]:
    """Notices given to members about their direct debits, oldest first"""
    rows = queries.list_notices(
        session,
        scope=_scope(member_id),
        loan_id=loan_id,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=NoticeOut.of)
