"""Loan applications: submit, the automated decision, referrals, offers and their expiry.

Every status change is explicit and recorded as an event (from, to, who, when, why):

    submitted -> approved -> offered    (automated approval; the offer follows at once)
    submitted -> declined | referred
    referred  -> approved -> offered | declined     (a loan officer, with a note)
    offered   -> accepted (see `loans.services.origination`) | expired
    submitted | referred | offered -> withdrawn_by_member

Anything else is refused with `InvalidTransition`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ledger.actors import COB_ACTOR
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope, Scope
from ledger.transaction import require_transaction
from loans.affordability import IncomeExpenditure, StatementInvalid
from loans.decision import (
    Decision,
    DecisionPolicy,
    LoanRequest,
    MemberFacts,
    Outcome,
    Reason,
    decide,
)
from loans.errors import LoansConflict, LoansNotFound, LoansRefused
from loans.frequency import MAX_INSTALMENTS, Frequency
from loans.models import (
    ApplicationStatus,
    DecisionKind,
    LoanApplicationEventRow,
    LoanApplicationRow,
    LoanProductRow,
    LoanRow,
)
from loans.registry import disclosed_apr
from loans.rulesets.gb import EXEMPT_THRESHOLD_CODE
from loans.services.history import member_loan_history
from loans.services.locks import lock_member
from loans.services.products import ProductInactive, check_actor, get_product, product_of

PAGE_MAX: Final = 200
PURPOSE_LENGTH_MAX: Final = 500
NOTE_LENGTH_MAX: Final = 2_000
AUTOMATED: Final = "automated"
S = ApplicationStatus


class ApplicationNotFound(LoansNotFound):
    pass


class ApplicationInvalid(LoansRefused):
    pass


class InvalidTransition(LoansConflict):
    def __init__(self, application_id: int, status: ApplicationStatus, action: str) -> None:
        super().__init__(f"application {application_id} is {status.value}: cannot {action}")
        self.application_id = application_id
        self.status = status
        self.action = action


class ApprovalRefused(LoansRefused):
    """A loan officer cannot approve what the rules or the eligibility checks now refuse."""

    def __init__(self, reasons: tuple[Reason, ...]) -> None:
        super().__init__("; ".join(f"{r.code}: {r.message}" for r in reasons))
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class ApplicationView:
    id: int
    member_id: int
    product_id: int
    product_code: str
    product_version: int
    amount: Money
    term: int
    frequency: Frequency
    purpose: str
    refinances_existing: bool
    statement: IncomeExpenditure
    status: ApplicationStatus
    submitted_on: dt.date
    decided_on: dt.date | None
    decision_kind: DecisionKind | None
    decided_by: str | None
    decision_note: str | None
    reasons: tuple[Reason, ...]
    offer_expires_on: dt.date | None
    offered_instalment: Money | None
    offered_apr: Decimal | None
    offered_total_payable: Money | None
    above_exempt_threshold: bool
    closed_on: dt.date | None
    loan_id: int | None


@dataclass(frozen=True, slots=True)
class ApplicationEvent:
    from_status: str | None
    to_status: str
    business_date: dt.date
    actor: str
    note: str | None


def submit_application(
    session: Session,
    *,
    member_id: int,
    product_code: str,
    amount: Money,
    term: int,
    frequency: Frequency,
    purpose: str,
    statement: IncomeExpenditure,
    business_date: dt.date,
    refinances_existing: bool = False,
) -> ApplicationView:
    """Record an application for the product's current version (status submitted).

    Raises ProductNotFound, ProductInactive, ApplicationInvalid.
    """
    require_transaction(session)
    product = get_product(session, code=product_code)
    if not product.active:
        raise ProductInactive(f"product {product_code!r} is not offered")
    _check_request(amount, term, frequency, purpose, statement, product.product.currency)
    row = LoanApplicationRow(
        member_id=member_id,
        product_id=product.id,
        currency=amount.currency,
        amount=amount,
        term=term,
        frequency=frequency.value,
        purpose=purpose.strip(),
        refinances_existing=refinances_existing,
        monthly_income=statement.monthly_net_income,
        outgoings=[
            {"category": category, "amount": str(value.amount)}
            for category, value in statement.outgoings
        ],
        dependants=statement.dependants,
        status=S.SUBMITTED,
        submitted_on=business_date,
    )
    session.add(row)
    session.flush()
    _event(session, row, None, S.SUBMITTED, business_date, actor=f"member:{member_id}", note=None)
    return _view(session, row)


def decide_application(
    session: Session,
    *,
    application_id: int,
    member: MemberFacts,
    policy: DecisionPolicy,
    business_date: dt.date,
) -> ApplicationView:
    """The automated decision: an offer, a decline with every reason, or a referral.

    Raises ApplicationNotFound, InvalidTransition (not submitted), and
    `loans.facts.FactsError` when a PAL product is decided without the net worth.
    """
    row = _lock(session, application_id, scope=STAFF)
    if row.status is not S.SUBMITTED:
        raise InvalidTransition(row.id, row.status, "decide")
    if member.member_id != row.member_id:
        raise ApplicationInvalid("the member facts are for another member")
    decision = _decide(session, row, member, policy, business_date)
    if decision.outcome is Outcome.DECLINE:
        _decline(session, row, decision.reasons, business_date, AUTOMATED, DecisionKind.AUTOMATED)
    elif decision.outcome is Outcome.REFER:
        _record_decision(row, decision.reasons, business_date, AUTOMATED, DecisionKind.AUTOMATED)
        _move(session, row, S.REFERRED, business_date, AUTOMATED, _codes(decision.reasons))
    else:
        _record_decision(row, (), business_date, AUTOMATED, DecisionKind.AUTOMATED)
        _offer(session, row, decision, policy, business_date, AUTOMATED)
    return _view(session, row)


def approve_referral(
    session: Session,
    *,
    application_id: int,
    officer: str,
    note: str,
    member: MemberFacts,
    policy: DecisionPolicy,
    business_date: dt.date,
) -> ApplicationView:
    """A loan officer approves a referred application: it becomes an offer.

    The officer may accept what was referred (affordability near the margin, a large
    first loan) but not overrule a decline: if the checks now decline, ApprovalRefused.
    """
    check_actor(officer)
    _check_note(note)
    row = _lock(session, application_id, scope=STAFF)
    if row.status is not S.REFERRED:
        raise InvalidTransition(row.id, row.status, "approve a referral")
    if member.member_id != row.member_id:
        raise ApplicationInvalid("the member facts are for another member")
    decision = _decide(session, row, member, policy, business_date)
    if decision.outcome is Outcome.DECLINE:
        raise ApprovalRefused(decision.reasons)
    _record_decision(row, decision.reasons, business_date, officer, DecisionKind.OFFICER, note)
    _offer(session, row, decision, policy, business_date, officer, note)
    return _view(session, row)


def decline_referral(
    session: Session,
    *,
    application_id: int,
    officer: str,
    note: str,
    business_date: dt.date,
) -> ApplicationView:
    check_actor(officer)
    _check_note(note)
    row = _lock(session, application_id, scope=STAFF)
    if row.status is not S.REFERRED:
        raise InvalidTransition(row.id, row.status, "decline a referral")
    reasons = (Reason("officer.declined", note.strip()),)
    _decline(session, row, reasons, business_date, officer, DecisionKind.OFFICER, note)
    return _view(session, row)


def withdraw_application(
    session: Session, *, application_id: int, member_id: int, business_date: dt.date
) -> ApplicationView:
    """The member withdraws an application or turns down an offer."""
    row = _lock(session, application_id, scope=MemberScope(member_id))
    if row.status not in (S.SUBMITTED, S.REFERRED, S.OFFERED):
        raise InvalidTransition(row.id, row.status, "withdraw")
    row.closed_on = business_date
    _move(session, row, S.WITHDRAWN_BY_MEMBER, business_date, f"member:{member_id}", None)
    return _view(session, row)


_EXPIRE = text("""
WITH due AS (
    SELECT id FROM loan_applications
    WHERE status = 'offered' AND offer_expires_on < :d
    ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED
), moved AS (
    UPDATE loan_applications a SET status = 'expired', closed_on = :d, updated_at = now()
    FROM due WHERE a.id = due.id
    RETURNING a.id
)
INSERT INTO loan_application_events (application_id, from_status, to_status, business_date,
    actor, note)
SELECT id, 'offered', 'expired', :d, :actor, 'the offer lapsed unaccepted' FROM moved
RETURNING application_id
""")


def expire_offers(
    session: Session, *, business_date: dt.date, limit: int = 10_000, actor: str = COB_ACTOR
) -> int:
    """Expire offers whose last day has passed; returns how many (at most `limit`)."""
    require_transaction(session)
    if not 1 <= limit <= 100_000:
        raise LoansRefused("expire 1 to 100,000 offers at a time")
    rows = session.execute(_EXPIRE, {"d": business_date, "n": limit, "actor": actor}).all()
    return len(rows)


def get_application(session: Session, *, application_id: int, scope: Scope) -> ApplicationView:
    """One application; in a member's scope, only if it is that member's."""
    row = session.get(LoanApplicationRow, application_id, populate_existing=True)
    if row is None or not _in_scope(row, scope):
        raise ApplicationNotFound(f"no application {application_id}")
    return _view(session, row)


def list_applications(
    session: Session,
    *,
    scope: Scope,
    status: ApplicationStatus | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[ApplicationView]:
    """A page of applications in id order (the referral queue is status=referred); in a
    member's scope only that member's (staff narrow the list to one member so too)."""
    if not 1 <= limit <= PAGE_MAX:
        raise LoansRefused(f"a page holds 1 to {PAGE_MAX} applications")
    query = select(LoanApplicationRow).where(LoanApplicationRow.id > after_id)
    if status is not None:
        query = query.where(LoanApplicationRow.status == status)
    if scope.member_id is not None:
        query = query.where(LoanApplicationRow.member_id == scope.member_id)
    rows = session.scalars(query.order_by(LoanApplicationRow.id).limit(limit)).all()
    return [_view(session, row) for row in rows]


def application_history(session: Session, *, application_id: int) -> list[ApplicationEvent]:
    rows = session.scalars(
        select(LoanApplicationEventRow)
        .where(LoanApplicationEventRow.application_id == application_id)
        .order_by(LoanApplicationEventRow.id)
        .limit(PAGE_MAX)
    )
    return [
        ApplicationEvent(r.from_status, r.to_status, r.business_date, r.actor, r.note) for r in rows
    ]


def statement_of(row: LoanApplicationRow) -> IncomeExpenditure:
    return IncomeExpenditure(
        monthly_net_income=row.monthly_income,
        outgoings=tuple(
            (item["category"], Money(item["amount"], row.currency)) for item in row.outgoings
        ),
        dependants=row.dependants,
    )


def request_of(row: LoanApplicationRow) -> LoanRequest:
    return LoanRequest(
        amount=row.amount,
        term=row.term,
        frequency=Frequency(row.frequency),
        refinances_existing=row.refinances_existing,
    )


def lock_application(session: Session, application_id: int, *, scope: Scope) -> LoanApplicationRow:
    return _lock(session, application_id, scope=scope)


def move(
    session: Session,
    row: LoanApplicationRow,
    to: ApplicationStatus,
    business_date: dt.date,
    actor: str,
    note: str | None,
) -> None:
    _move(session, row, to, business_date, actor, note)


def _check_request(
    amount: Money,
    term: int,
    frequency: Frequency,
    purpose: str,
    statement: IncomeExpenditure,
    currency: str,
) -> None:
    if not isinstance(amount, Money) or amount.currency != currency or not amount.is_positive():
        raise ApplicationInvalid(f"the amount must be a positive {currency} amount")
    if isinstance(term, bool) or not isinstance(term, int) or not 1 <= term <= MAX_INSTALMENTS:
        raise ApplicationInvalid(f"the term is 1 to {MAX_INSTALMENTS} instalments")
    if not isinstance(frequency, Frequency):
        raise ApplicationInvalid("unknown repayment frequency")
    if not purpose.strip() or len(purpose) > PURPOSE_LENGTH_MAX or not purpose.isprintable():
        raise ApplicationInvalid(f"the purpose is 1 to {PURPOSE_LENGTH_MAX} printable characters")
    if not isinstance(statement, IncomeExpenditure) or statement.currency != currency:
        raise ApplicationInvalid(f"the income and expenditure statement must be in {currency}")


def _check_note(note: str) -> None:
    if not isinstance(note, str) or not note.strip() or len(note) > NOTE_LENGTH_MAX:
        raise ApplicationInvalid(f"an officer's note is 1 to {NOTE_LENGTH_MAX} characters")


def _lock(session: Session, application_id: int, *, scope: Scope) -> LoanApplicationRow:
    require_transaction(session)
    row = session.get(
        LoanApplicationRow, application_id, with_for_update=True, populate_existing=True
    )
    if row is None or not _in_scope(row, scope):
        raise ApplicationNotFound(f"no application {application_id}")
    return row


def _in_scope(row: LoanApplicationRow, scope: Scope) -> bool:
    return scope.member_id is None or row.member_id == scope.member_id


def _decide(
    session: Session,
    row: LoanApplicationRow,
    member: MemberFacts,
    policy: DecisionPolicy,
    business_date: dt.date,
) -> Decision:
    lock_member(session, row.member_id)
    product_row = session.get(LoanProductRow, row.product_id)
    assert product_row is not None, "an application's product version always exists"
    product = product_of(product_row)
    history = member_loan_history(
        session, member_id=row.member_id, currency=product.currency, on=business_date
    )
    try:
        return decide(
            product,
            request_of(row),
            statement_of(row),
            member=member,
            history=history,
            policy=policy,
            on=business_date,
        )
    except StatementInvalid as exc:
        raise ApplicationInvalid(str(exc)) from exc


def _record_decision(
    row: LoanApplicationRow,
    reasons: tuple[Reason, ...],
    business_date: dt.date,
    actor: str,
    kind: DecisionKind,
    note: str | None = None,
) -> None:
    row.decided_on = business_date
    row.decided_by = actor
    row.decision_kind = kind
    row.decision_note = None if note is None else note.strip()
    row.reasons = [{"code": r.code, "message": r.message} for r in reasons]


def _decline(
    session: Session,
    row: LoanApplicationRow,
    reasons: tuple[Reason, ...],
    business_date: dt.date,
    actor: str,
    kind: DecisionKind,
    note: str | None = None,
) -> None:
    _record_decision(row, reasons, business_date, actor, kind, note)
    row.closed_on = business_date
    _move(session, row, S.DECLINED, business_date, actor, note or _codes(reasons))


def _offer(
    session: Session,
    row: LoanApplicationRow,
    decision: Decision,
    policy: DecisionPolicy,
    business_date: dt.date,
    actor: str,
    note: str | None = None,
) -> None:
    priced = decision.quote
    assert priced is not None, "an approval always carries its quote"
    _move(session, row, S.APPROVED, business_date, actor, note)
    row.offer_expires_on = business_date + dt.timedelta(days=policy.offer_validity_days)
    row.offered_instalment = priced.instalment
    row.offered_apr = priced.apr
    row.offered_total_payable = priced.total_amount_payable
    row.above_exempt_threshold = EXEMPT_THRESHOLD_CODE in priced.flags
    _move(session, row, S.OFFERED, business_date, actor, f"open until {row.offer_expires_on}")


def _move(
    session: Session,
    row: LoanApplicationRow,
    to: ApplicationStatus,
    business_date: dt.date,
    actor: str,
    note: str | None,
) -> None:
    before = row.status
    row.status = to
    session.flush()
    _event(session, row, before, to, business_date, actor=actor, note=note)


def _event(
    session: Session,
    row: LoanApplicationRow,
    before: ApplicationStatus | None,
    to: ApplicationStatus,
    business_date: dt.date,
    *,
    actor: str,
    note: str | None,
) -> None:
    session.add(
        LoanApplicationEventRow(
            application_id=row.id,
            from_status=None if before is None else before.value,
            to_status=to.value,
            business_date=business_date,
            actor=actor,
            note=note,
        )
    )
    session.flush()


def _codes(reasons: tuple[Reason, ...]) -> str:
    return ", ".join(reason.code for reason in reasons)


def _view(session: Session, row: LoanApplicationRow) -> ApplicationView:
    session.refresh(row)
    product = session.get(LoanProductRow, row.product_id)
    assert product is not None, "an application's product version always exists"
    loan_id = session.scalar(select(LoanRow.id).where(LoanRow.application_id == row.id))
    reasons: list[dict[str, Any]] = row.reasons or []
    return ApplicationView(
        id=row.id,
        member_id=row.member_id,
        product_id=row.product_id,
        product_code=product.code,
        product_version=product.version,
        amount=row.amount,
        term=row.term,
        frequency=Frequency(row.frequency),
        purpose=row.purpose,
        refinances_existing=row.refinances_existing,
        statement=statement_of(row),
        status=row.status,
        submitted_on=row.submitted_on,
        decided_on=row.decided_on,
        decision_kind=row.decision_kind,
        decided_by=row.decided_by,
        decision_note=row.decision_note,
        reasons=tuple(Reason(r["code"], r["message"]) for r in reasons),
        offer_expires_on=row.offer_expires_on,
        offered_instalment=row.offered_instalment,
        offered_apr=None
        if row.offered_apr is None
        else disclosed_apr(product.rule_set, row.offered_apr),
        offered_total_payable=row.offered_total_payable,
        above_exempt_threshold=row.above_exempt_threshold,
        closed_on=row.closed_on,
        loan_id=loan_id,
    )
