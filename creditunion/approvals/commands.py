"""Maker-checker as commands: asking for a reversal, and approving or rejecting a request.
Each runs in the caller's transaction and is audited once from its result; approving posts
what was asked for and decides the request in that one command, so one record tells both
people (who asked, who approved) and the entry it posted."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from creditunion.approvals import service
from creditunion.approvals.views import ApprovalView
from creditunion.commands import Audited, CommandContext, command


@command(action="reversal.request", target_type="journal_entry", moves_money=True)
def request_reversal(
    session: Session, context: CommandContext, *, entry_id: uuid.UUID, reason: str
) -> Audited[ApprovalView]:
    """The reversal posts, under this command's key, when a manager approves it."""
    pending = service.request_reversal(
        session,
        entry_id=entry_id,
        actor=context.actor_ref,
        idempotency_key=context.ledger_key(),
        business_date=context.business_date,
        reason=reason,
    )
    summary = {"approval_id": pending.id, "reason": reason[:200]}
    return Audited(pending, target_id=str(entry_id), summary=summary)


# It posts (under the key the request was made with), so it is started with a key too.
@command(action="approval.approve", target_type="approval", moves_money=True)
def approve(
    session: Session, context: CommandContext, *, approval_id: int, note: str | None
) -> Audited[ApprovalView]:
    decided = service.approve(
        session,
        approval_id=approval_id,
        checker=context.actor_ref,
        checker_role=str(context.actor.role),
        business_date=context.business_date,
        note=note,
    )
    summary = {
        "kind": decided.kind.value,
        "maker": decided.maker,
        "checker": decided.checker,
        "journal_entry_id": str(decided.journal_entry_id),
    }
    return Audited(decided, target_id=approval_id, summary=summary)


@command(action="approval.reject", target_type="approval")
def reject(
    session: Session, context: CommandContext, *, approval_id: int, note: str
) -> Audited[ApprovalView]:
    decided = service.reject(
        session,
        approval_id=approval_id,
        checker=context.actor_ref,
        checker_role=str(context.actor.role),
        business_date=context.business_date,
        note=note,
    )
    summary = {"kind": decided.kind.value, "maker": decided.maker}
    return Audited(decided, target_id=approval_id, summary=summary)
