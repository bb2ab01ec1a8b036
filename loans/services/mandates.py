"""The member's mandate to collect a loan's instalments from one of their share accounts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger.ownership import Scope
from loans.services.accounts import chart, check_share_account
from loans.services.products import check_actor
from loans.services.state import lock_loan, require_active


def set_collection_mandate(
    session: Session,
    *,
    loan_id: int,
    share_account_id: int | None,
    actor: str,
    scope: Scope,
) -> None:
    """Collect from `share_account_id` from now on, or stop collecting (None).

    The caller checks the account is the member's; here it must be an open share account
    in the loan's currency. Raises LoanNotFound, LoanNotActive, NotAShareAccount.
    """
    check_actor(actor)
    loan = lock_loan(session, loan_id, scope=scope)
    require_active(loan)
    if share_account_id is not None:
        check_share_account(
            session, account_id=share_account_id, currency=loan.currency, books=chart(session)
        )
    loan.collection_account_id = share_account_id
    session.flush()
