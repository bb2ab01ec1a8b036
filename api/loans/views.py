"""What the loans routers share: a loan's answers, and the notice of withdrawal both take."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from api.loans.schemas import (
    LoanDetailOut,
    LoanOut,
    LoanTransactionOut,
    SettlementOut,
    WithdrawalNoticeOut,
)
from creditunion.auth.who_acted import who_acted
from creditunion.commands import CommandContext
from creditunion.lending import commands as lending
from creditunion.lending.accounts import share_account_ids
from ledger.ownership import Scope
from loans.models import LoanStatus, PaymentSource
from loans.services.queries import LoanView, TransactionView, get_loan
from loans.services.repayments import settlement_figure


def loan_out(session: Session, view: LoanView) -> LoanOut:
    accounts = [view.disbursement_account_id]
    if view.collection_account_id is not None:
        accounts.append(view.collection_account_id)
    return LoanOut.of(view, share_account_ids(session, accounts))


def loan_detail_out(
    session: Session, loan_id: int, *, scope: Scope, today: dt.date
) -> LoanDetailOut:
    """A loan with what clears it today; in a member's scope, only theirs (LoanNotFound)."""
    view = get_loan(session, loan_id=loan_id, scope=scope)
    settlement = None
    if view.status is LoanStatus.ACTIVE:
        on = max(today, view.accrued_through)
        figure = settlement_figure(session, loan_id=loan_id, on=on, scope=scope)
        settlement = SettlementOut.of(figure)
    base = loan_out(session, view)
    return LoanDetailOut(**base.model_dump(), settlement_today=settlement)


def transaction_out(
    session: Session, rows: Sequence[TransactionView]
) -> Callable[[TransactionView], LoanTransactionOut]:
    """The converter for a page of a loan's transactions: share accounts and actors are
    looked up once for the page."""
    accounts = share_account_ids(
        session, [t.account_id for t in rows if t.account_id and t.source is PaymentSource.SHARES]
    )
    actors = who_acted(session, [t.actor for t in rows])
    return lambda t: LoanTransactionOut.of(t, accounts, actors)


def withdrawal_notice_out(
    session: Session, context: CommandContext, loan_id: int
) -> WithdrawalNoticeOut:
    """Give notice of withdrawal (the member's own loan, or staff's record for any loan)."""
    notice = lending.give_withdrawal_notice(session, context, loan_id=loan_id)
    loan = loan_detail_out(session, loan_id, scope=context.scope, today=context.business_date)
    return WithdrawalNoticeOut.of(notice, loan)
