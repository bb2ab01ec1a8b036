"""Lists of loans for the API, a page at a time (the `loans` read models give one loan)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.ownership import Scope
from loans.models import LoanRow, LoanStatus

PAGE_MAX: Final = 200


def loan_ids(
    session: Session,
    *,
    scope: Scope,
    status: LoanStatus | None = None,
    above_exempt_threshold: bool | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[int]:
    """Loan ids in id order after `after_id`, filtered by status and whether the loan was
    made above the UK 42.6% exempt-agreement APR (a regulated agreement); in a member's
    scope only that member's (staff narrow the list to one member so too)."""
    if not 1 <= limit <= PAGE_MAX:
        raise ValueError(f"a page holds 1 to {PAGE_MAX} loans")
    query = select(LoanRow.id).where(LoanRow.id > after_id)
    if scope.member_id is not None:
        query = query.where(LoanRow.member_id == scope.member_id)
    if status is not None:
        query = query.where(LoanRow.status == status)
    if above_exempt_threshold is not None:
        query = query.where(LoanRow.above_exempt_threshold.is_(above_exempt_threshold))
    return [int(i) for i in session.scalars(query.order_by(LoanRow.id).limit(limit))]
