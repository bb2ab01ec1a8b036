"""Reversing a journal entry: always maker-checker, so a request is created pending (202)."""

from __future__ import annotations

from typing import Annotated

from api.approvals.schemas import ApprovalOut, ReversalIn
from api.commands import staff_command
from api.problems import problem_responses
from api.transactions import DbSession, api_router
from creditunion.approvals import commands as approvals
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext

router = api_router(prefix="/reversals", tags=["approvals"])

Requesting = Annotated[CommandContext, staff_command(Permission.REVERSALS_REQUEST, money=True)]


@router.post("", status_code=202, responses=problem_responses(404, 409))
def request_reversal(session: DbSession, body: ReversalIn, context: Requesting) -> ApprovalOut:
    """Ask for a journal entry to be reversed; a manager other than you approves it

    The reversal posts, under this request's key, when approved
    (`POST /v1/approvals/{id}/approve`).
    """
    pending = approvals.request_reversal(
        session, context, entry_id=body.entry_id, reason=body.reason
    )
    return ApprovalOut.of(pending)
