"""A member with a loan still owed, or an application still open, cannot be closed.

`MEMBER_CLOSURE_CHECKS` is the application's list of the checks, beyond the members' own,
that closing a member must pass; every caller of the member status change (the API, and
anything else that closes members) passes it as `closure_checks`.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.members.closure import ClosureCheck
from loans.models import ApplicationStatus, LoanApplicationRow, LoanRow, LoanStatus

# Applications a member still waits on (approved passes straight on to offered).
OPEN_APPLICATIONS: Final = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.REFERRED,
    ApplicationStatus.OFFERED,
)


def loans_block_closure(session: Session, member_id: int) -> str | None:
    """Why the member cannot be closed for their loans, or None."""
    active = session.scalar(
        select(func.count())
        .select_from(LoanRow)
        .where(LoanRow.member_id == member_id, LoanRow.status == LoanStatus.ACTIVE)
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(LoanApplicationRow)
        .where(
            LoanApplicationRow.member_id == member_id,
            LoanApplicationRow.status.in_(OPEN_APPLICATIONS),
        )
    )
    reasons = []
    if active:
        reasons.append(f"{active} loan(s) still owed")
    if waiting:
        reasons.append(f"{waiting} loan application(s) or offer(s) still open")
    if not reasons:
        return None
    return "the member has " + " and ".join(reasons)


MEMBER_CLOSURE_CHECKS: Final[tuple[ClosureCheck, ...]] = (loans_block_closure,)
