"""What the loans routers share: the member behind a token, settings, keys, loan answers."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Final

from fastapi import Request
from sqlalchemy.orm import Session

from api.context import request_context
from api.domain import actor_label, business_date
from api.idempotency import IdempotencyContext
from api.schemas.loans import (
    LoanDetailOut,
    LoanOut,
    LoanTransactionOut,
    SettlementOut,
    WithdrawalNoticeOut,
)
from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.who_acted import who_acted
from creditunion.lending import servicing
from creditunion.lending.accounts import share_account_ids
from creditunion.members.service import MemberNotFound
from creditunion.platform.settings import Settings
from loans.models import LoanStatus, PaymentSource
from loans.services.queries import LoanView, TransactionView, get_loan
from loans.services.repayments import settlement_figure

# The loans services keep a client's key beside their own prefix, within 100 characters.
LOAN_KEY_LENGTH_MAX: Final = 100


def settings_of(request: Request) -> Settings:
    return request_context(request).settings


def own_member_id(actor: Actor) -> int:
    """The signed-in member's id; a login without one has no records (404)."""
    if actor.member_id is None:
        raise MemberNotFound("of this login")
    return actor.member_id


def loan_key(idem: IdempotencyContext) -> str:
    """The client's idempotency key as the loans services keep it (at most 100 characters)."""
    plain = idem.ledger_key()
    if len(plain) <= LOAN_KEY_LENGTH_MAX:
        return plain
    return f"http:{idem.user_id}:sha256:{hashlib.sha256(idem.key.encode()).hexdigest()}"


def loan_out(session: Session, view: LoanView) -> LoanOut:
    accounts = [view.disbursement_account_id]
    if view.collection_account_id is not None:
        accounts.append(view.collection_account_id)
    return LoanOut.of(view, share_account_ids(session, accounts))


def loan_detail_out(
    session: Session, loan_id: int, *, member_id: int | None, today: dt.date
) -> LoanDetailOut:
    """A loan with what clears it today; with `member_id`, only that member's (LoanNotFound)."""
    view = get_loan(session, loan_id=loan_id, member_id=member_id)
    settlement = None
    if view.status is LoanStatus.ACTIVE:
        on = max(today, view.accrued_through)
        settlement = SettlementOut.of(settlement_figure(session, loan_id=loan_id, on=on))
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
    session: Session, actor: Actor, loan_id: int, *, idempotency_key: str, member_id: int | None
) -> WithdrawalNoticeOut:
    """Record a notice of withdrawal (the member's own, or staff's for any loan), audited."""
    today = business_date(session)
    notice = servicing.give_notice(
        session, loan_id=loan_id, actor=actor_label(actor), business_date=today, member_id=member_id
    )
    audit_loan(
        session,
        actor,
        "loan.withdrawal_notice",
        loan_id,
        {
            "repay_by": notice.repay_by,
            "fees_refunded": notice.fees_refunded.amount,
            "currency": notice.fees_refunded.currency,
            "entry_id": notice.entry_id,
            "idempotency_key": idempotency_key,
        },
    )
    loan = loan_detail_out(session, loan_id, member_id=member_id, today=today)
    return WithdrawalNoticeOut.of(notice, loan)


def audit_loan(
    session: Session, actor: Actor, action: str, loan_id: int, summary: dict[str, object]
) -> None:
    """The audit record of a change to one loan, in the request's transaction."""
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="loan",
        target_id=loan_id,
        summary=summary,
        business_date=business_date(session),
    )
