"""Paying a loan straight to the member's nominated bank account, as they chose when
accepting it: the loan is made into the share account as always (so the loan book and
the shares agree), then the same amount leaves it for the nominated account in the same
transaction, so the member never sees it spendable in the shares."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.payments.config import PaymentConfig
from creditunion.payments.models import PaymentPurpose
from creditunion.payments.outbound import PayoutRequest, pay_out
from creditunion.payments.views import PaymentView
from creditunion.shares.models import ShareAccount
from ledger.models import Posting
from ledger.money import Money
from ledger.ownership import Scope
from loans.models import LoanRow


def _paid_into_shares(session: Session, loan: LoanRow, share_account_id: int) -> Money:
    """What the loan's disbursement entry credited to the share account (the loan less any
    fee deducted from it)."""
    assert loan.disbursement_entry_id is not None
    ledger_account_id = session.scalar(
        select(ShareAccount.ledger_account_id).where(ShareAccount.id == share_account_id)
    )
    credited = session.scalar(
        select(func.coalesce(-func.sum(Posting.amount_minor), 0)).where(
            Posting.entry_id == loan.disbursement_entry_id,
            Posting.account_id == ledger_account_id,
        )
    )
    return Money.from_minor(int(credited or 0), loan.currency)


def disburse_to_nominated_account(
    session: Session,
    *,
    loan_id: int,
    share_account_id: int,
    scope: Scope,
    config: PaymentConfig,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
) -> PaymentView:
    """Raises `NoNominatedAccount` (then nothing of the acceptance commits either)."""
    loan = session.get(LoanRow, loan_id)
    assert loan is not None
    amount = _paid_into_shares(session, loan, share_account_id)
    return pay_out(
        session,
        request=PayoutRequest(share_account_id, amount, f"LOAN {loan_id}"),
        scope=scope,
        config=config,
        actor=actor,
        idempotency_key=idempotency_key,
        business_date=business_date,
        purpose=PaymentPurpose.LOAN_DISBURSEMENT,
        loan_id=loan_id,
    )
