"""Writing a loan off takes two people: one manager asks, a different manager approves.

A write-off removes a debt from the books and charges the loss to the allowance and to
impairment expense, so it is a decision no single member of staff takes alone. The
request checks now what it can (the loan is active and past the
write-off threshold) so a manager is not asked to approve what cannot post; the approval
checks it all again and posts through `loans.services.writeoff.write_off_loan`, whose
entry key (`loan:{id}:write-off`) lets a loan be written off once whatever the requests.
The entry and the loan's write-off transaction name the approver; the entry's metadata
also names the approval and who asked for it.

Close of business never asks and never writes off: see docs/loans.md, "Who writes a loan
off".
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from sqlalchemy.orm import Session

from creditunion.actors import require_actor
from creditunion.approvals.models import ApprovalKind, PendingApproval
from creditunion.approvals.requests import (
    checked_key_and_reason,
    create_pending,
    find_by_key,
    same_request,
)
from creditunion.approvals.views import ApprovalView
from creditunion.platform.settings import get_settings
from ledger.ownership import STAFF
from ledger.transaction import require_transaction
from loans.services.arrears import age_loan
from loans.services.state import lock_loan, require_active
from loans.services.writeoff import NOTE_LENGTH_MAX, WriteOffNotDue, write_off_loan

REASON_LENGTH_MAX: Final = min(500, NOTE_LENGTH_MAX)  # what an approval's payload keeps


def request_write_off(
    session: Session,
    *,
    loan_id: int,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    reason: str,
    min_days_past_due: int,
) -> ApprovalView:
    """Ask for the loan to be written off; it posts only when another manager approves.

    The same key with the same request returns it again (`replayed`). Raises
    `ValidationProblem` (reason, key), `LoanNotFound`, `LoanNotActive`, `WriteOffNotDue`,
    `WriteOffAlreadyPending`, `ApprovalKeyReused`.
    """
    require_transaction(session)
    require_actor(actor)
    cleaned_reason = checked_key_and_reason(idempotency_key, reason, reason_max=REASON_LENGTH_MAX)
    payload = {"loan_id": loan_id, "reason": cleaned_reason}
    existing = find_by_key(session, idempotency_key)
    if existing is not None and same_request(existing, ApprovalKind.LOAN_WRITE_OFF, payload):
        return ApprovalView.of(existing, replayed=True)
    with session.begin_nested():
        loan = lock_loan(session, loan_id, scope=STAFF)
        require_active(loan)
        age_loan(session, loan_id=loan.id, business_date=business_date)
        session.refresh(loan)
        if loan.days_past_due < min_days_past_due:
            raise WriteOffNotDue(
                f"loan {loan.id} is {loan.days_past_due} days past due; "
                f"write-off needs {min_days_past_due}"
            )
    return create_pending(
        session,
        kind=ApprovalKind.LOAN_WRITE_OFF,
        payload=payload,
        maker=actor,
        idempotency_key=idempotency_key,
        business_date=business_date,
        loan_id=loan_id,
    )


def execute_approved_write_off(
    session: Session, *, approval: PendingApproval, checker: str, business_date: dt.date
) -> uuid.UUID:
    """Post the write-off `approval` asked for, as `checker`; returns its journal entry id.

    The threshold is the one configured now, so a request made before it was raised does
    not post early. Raises what `write_off_loan` raises (`LoanNotActive`, `WriteOffNotDue`,
    ...); the request then stays pending.
    """
    assert approval.kind is ApprovalKind.LOAN_WRITE_OFF and approval.loan_id is not None
    result = write_off_loan(
        session,
        loan_id=approval.loan_id,
        business_date=business_date,
        actor=checker,
        reason=str(approval.payload["reason"]),
        min_days_past_due=get_settings().loan_write_off_after_days,
        approval={
            "approval_id": approval.id,
            "requested_by": approval.maker,
            "approved_by": checker,
        },
    )
    return result.entry_id
