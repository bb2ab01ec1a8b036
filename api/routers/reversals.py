"""Reversing a journal entry: always maker-checker, so a request is created pending (202)."""

from __future__ import annotations

from typing import Annotated

from api import domain_problems  # noqa: F401  (registers the approvals' problem types)
from api.domain import actor_label, business_date
from api.idempotency import IdempotencyDep
from api.problems import problem_responses
from api.schemas.approvals import ApprovalOut, ReversalIn
from api.security import require
from api.transactions import DbSession, api_router
from creditunion import audit
from creditunion.approvals import service as approvals
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission

router = api_router(prefix="/reversals", tags=["approvals"])


@router.post(
    "",
    status_code=202,
    response_model=ApprovalOut,
    responses=problem_responses(404, 409),
    summary="Ask for a journal entry to be reversed; a manager other than you approves it",
)
def request_reversal(
    session: DbSession,
    body: ReversalIn,
    idem: IdempotencyDep,
    actor: Annotated[Actor, require(Permission.REVERSALS_REQUEST)],
) -> ApprovalOut:
    """The reversal posts, under this request's key, when approved
    (`POST /v1/approvals/{id}/approve`)."""
    today = business_date(session)
    pending = approvals.request_reversal(
        session,
        entry_id=body.entry_id,
        actor=actor_label(actor),
        idempotency_key=idem.ledger_key(),
        business_date=today,
        reason=body.reason,
    )
    audit.record(
        session,
        actor=actor,
        action="reversal.request",
        target_type="journal_entry",
        target_id=str(body.entry_id),
        summary={"approval_id": pending.id, "reason": body.reason[:200]},
        business_date=today,
    )
    return ApprovalOut.of(pending)
