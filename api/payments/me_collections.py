"""A member's direct debits, from the app: `/v1/me/direct-debit-mandates`, the collections
made under them and the notices given.

A member sets up a mandate on one of their active loans, collected from their nominated
account as it is now; the first notice lists every collection at once. Another member's
mandate or loan is "not found", exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from sqlalchemy.orm import Session

from api.commands import member_command
from api.domain import ID_MAX
from api.pagination import Page, PageRequest, paginate
from api.payments.collection_schemas import CollectionOut, MandateIn, MandateOut, NoticeOut
from api.payments.inputs import PaymentSettings
from api.payments.schemas import CancelIn
from api.problems import problem_responses
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.payments.collections import commands, queries
from creditunion.payments.collections.mandates import MandateRequest
from creditunion.payments.collections.models import CollectionStatus, MandateStatus
from ledger.ownership import Scope
from loans.services.state import get_loan_row

router = api_router(prefix="/me", tags=["my payments"])

MandateId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="One of your direct debits.", examples=[1])
]
LoanFilter = Annotated[
    int | None, Query(ge=1, le=ID_MAX, description="Only this one of your loans.")
]
# Reads take the member's context too, for its scope; they run no command.
Reader = Annotated[CommandContext, member_command(Permission.SELF_READ)]
Signing = Annotated[CommandContext, member_command(Permission.SELF_COLLECTIONS)]


def _own_loan(session: Session, loan_id: int | None, scope: Scope) -> int | None:
    """A filter naming a loan that is not the member's is "not found", as every route
    answers another member's id and one that exists nowhere."""
    if loan_id is not None:
        get_loan_row(session, loan_id, scope=scope)
    return loan_id


@router.post("/direct-debit-mandates", status_code=201, responses=problem_responses(404, 409, 422))
def set_up_my_mandate(
    session: DbSession, body: MandateIn, context: Signing, config: PaymentSettings
) -> MandateOut:
    """Set up a direct debit on one of my loans, from my nominated account

    Every instalment still to pay is scheduled at once, and the notice listing them is in
    `/v1/me/direct-debit-notices`. A loan that already has a direct debit is a 409 (cancel
    it first); so is a loan that is not active. Without a nominated account, a 404.
    """
    request = MandateRequest(body.loan_id, body.represent_agreed, "app")
    view = commands.set_up_mandate(session, context, request=request, config=config)
    return MandateOut.of(view)


@router.get("/direct-debit-mandates", responses=problem_responses(404))
def my_mandates(
    session: DbSession,
    context: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-direct-debit-mandates"))],
    loan_id: LoanFilter = None,
    status: Annotated[MandateStatus | None, Query()] = None,
) -> Page[MandateOut]:
    """My direct debits, oldest first"""
    rows = queries.list_mandates(
        session,
        scope=context.scope,
        loan_id=_own_loan(session, loan_id, context.scope),
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=MandateOut.of)


@router.get("/direct-debit-mandates/{mandate_id}", responses=problem_responses(404))
def my_mandate(session: DbSession, mandate_id: MandateId, context: Reader) -> MandateOut:
    """One of my direct debits"""
    return MandateOut.of(queries.get_mandate(session, mandate_id=mandate_id, scope=context.scope))


@router.post("/direct-debit-mandates/{mandate_id}/cancel", responses=problem_responses(404, 422))
def cancel_my_mandate(
    session: DbSession, mandate_id: MandateId, body: CancelIn, context: Signing
) -> MandateOut:
    """Cancel one of my direct debits

    Nothing more is asked of my bank under it; a collection already sent to the bank may
    still be taken (my bank can refuse it). Cancelling it again changes nothing.
    """
    view = commands.cancel_mandate(session, context, mandate_id=mandate_id, reason=body.reason)
    return MandateOut.of(view)


@router.get("/direct-debit-collections", responses=problem_responses(404))
def my_collections(
    session: DbSession,
    context: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-direct-debit-collections"))],
    loan_id: LoanFilter = None,
    status: Annotated[
        CollectionStatus | None,
        Query(description="`scheduled`: upcoming; `collected` and `unpaid`: past."),
    ] = None,
) -> Page[CollectionOut]:
    """My direct-debit collections, upcoming and past, oldest first"""
    rows = queries.list_collections(
        session,
        scope=context.scope,
        loan_id=_own_loan(session, loan_id, context.scope),
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=CollectionOut.of)


@router.get("/direct-debit-notices", responses=problem_responses(404))
def my_notices(
    session: DbSession,
    context: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-direct-debit-notices"))],
    loan_id: LoanFilter = None,
) -> Page[NoticeOut]:
    """What I was told about my direct debits, oldest first"""
    rows = queries.list_notices(
        session,
        scope=context.scope,
        loan_id=_own_loan(session, loan_id, context.scope),
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=NoticeOut.of)
