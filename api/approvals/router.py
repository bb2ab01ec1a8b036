"""Maker-checker: requests awaiting a second staff user (large withdrawals, reversals, loan
write-offs).

Staff who read accounts see the requests; only roles holding `approvals:decide`
(managers) decide them, and a loan write-off only one holding `loans:write_off` too,
never the user who made the request (403). Approving posts the
request under the key it was made with, so it posts once even when two managers approve
at the same moment: the second finds it decided (409).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from api.approvals.schemas import ApprovalOut, ApproveIn, RejectIn
from api.commands import staff_command
from api.domain import ID_MAX, as_query_problem, page_after_id
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.approvals import commands
from creditunion.approvals import service as approvals
from creditunion.approvals.models import ApprovalKind, ApprovalStatus
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.field_problems import ValidationProblem

router = api_router(prefix="/approvals", tags=["approvals"])

ApprovalId = Annotated[int, Path(ge=1, le=ID_MAX, description="The approval's id.", examples=[1])]
Checker = Annotated[CommandContext, staff_command(Permission.APPROVALS_DECIDE)]
# Approving posts, so it takes an Idempotency-Key like every such POST (a retry gets the
# first answer back); what it posts is keyed by the request it approves.
Approving = Annotated[CommandContext, staff_command(Permission.APPROVALS_DECIDE, money=True)]


# Every field of an approval is optional, so it may come with no body at all.
NO_NOTE = ApproveIn()


@router.get("", dependencies=[require(Permission.ACCOUNTS_READ)])
def list_approvals(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("approvals"))],
    status: Annotated[ApprovalStatus, Query()] = ApprovalStatus.PENDING,
    kind: Annotated[ApprovalKind | None, Query()] = None,
) -> Page[ApprovalOut]:
    """Requests, in id order (pending ones unless a status is given)"""
    try:
        found = approvals.list_approvals(
            session, status=status, kind=kind, after_id=page.after_int(), limit=page.limit
        )
    except ValidationProblem as exc:
        raise as_query_problem(exc) from None
    return page_after_id(page, found.items, found.next_after_id, ApprovalOut.of)


@router.get(
    "/{approval_id}",
    dependencies=[require(Permission.ACCOUNTS_READ)],
    responses=problem_responses(404),
)
def get_approval(session: DbSession, approval_id: ApprovalId) -> ApprovalOut:
    """One request"""
    return ApprovalOut.of(approvals.get_approval(session, approval_id=approval_id))


@router.post("/{approval_id}/approve", responses=problem_responses(404, 409))
def approve(
    session: DbSession, approval_id: ApprovalId, context: Approving, body: ApproveIn = NO_NOTE
) -> ApprovalOut:
    """Approve a request: it posts now (a different user from its maker)

    Posts under the key the request was made with, so it posts once whatever the
    checkers' own keys. A cash withdrawal is approved the business day it was asked for,
    or it lapses (409).
    """
    decided = commands.approve(session, context, approval_id=approval_id, note=body.note)
    return ApprovalOut.of(decided)


@router.post("/{approval_id}/reject", responses=problem_responses(404, 409))
def reject(
    session: DbSession, approval_id: ApprovalId, body: RejectIn, context: Checker
) -> ApprovalOut:
    """Reject a request: nothing posts and a withdrawal's reserve is released"""
    decided = commands.reject(session, context, approval_id=approval_id, note=body.note)
    return ApprovalOut.of(decided)
