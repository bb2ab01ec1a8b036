"""Quotes, applications, referrals and offers, with the member's facts from the tables.

Each command reads the member (`facts.member_facts`), the credit union's net worth and
the policy from the settings, then calls the `loans` service. A member's own commands
name the member; anything of another member's is not found.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.lending import accounts
from creditunion.lending.facts import member_facts, net_worth
from creditunion.lending.policy import decision_policy
from creditunion.platform.settings import Settings
from creditunion.shares.service import set_repayment_mandate
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope
from loans.affordability import IncomeExpenditure
from loans.decision import MemberFacts
from loans.frequency import Frequency
from loans.quote import Quote
from loans.services import applications
from loans.services.applications import ApplicationView
from loans.services.mandates import set_collection_mandate
from loans.services.origination import accept_offer
from loans.services.quotes import quote_loan


def facts_of(session: Session, *, member_id: int, settings: Settings) -> MemberFacts:
    worth = net_worth(session, configured=settings.loan_net_worth)
    return member_facts(session, member_id=member_id, net_worth=worth)


def quote_for_member(
    session: Session,
    *,
    member_id: int,
    product_code: str,
    amount: Money,
    term: int,
    frequency: Frequency,
    settings: Settings,
    business_date: dt.date,
) -> Quote:
    """A quote for the member, disbursed today. Raises MemberNotFound, ProductNotFound,
    ProductInactive or QuoteRefused (every rule broken)."""
    facts = facts_of(session, member_id=member_id, settings=settings)
    return quote_loan(
        session,
        product_code=product_code,
        amount=amount,
        term=term,
        frequency=frequency,
        member=facts,
        business_date=business_date,
        policy=decision_policy(settings, currency=amount.currency),
    )


def apply_for_loan(
    session: Session,
    *,
    member_id: int,
    product_code: str,
    amount: Money,
    term: int,
    frequency: Frequency,
    purpose: str,
    statement: IncomeExpenditure,
    refinances_existing: bool,
    settings: Settings,
    business_date: dt.date,
) -> ApplicationView:
    """Record the application and decide it at once: offered, declined or referred."""
    facts = facts_of(session, member_id=member_id, settings=settings)
    submitted = applications.submit_application(
        session,
        member_id=member_id,
        product_code=product_code,
        amount=amount,
        term=term,
        frequency=frequency,
        purpose=purpose,
        statement=statement,
        business_date=business_date,
        refinances_existing=refinances_existing,
    )
    return applications.decide_application(
        session,
        application_id=submitted.id,
        member=facts,
        policy=decision_policy(settings, currency=submitted.amount.currency),
        business_date=business_date,
    )


def approve_referral(
    session: Session,
    *,
    application_id: int,
    officer: str,
    note: str,
    settings: Settings,
    business_date: dt.date,
) -> ApplicationView:
    """A loan officer approves a referred application (checked again: it becomes an offer)."""
    application = applications.get_application(session, application_id=application_id, scope=STAFF)
    facts = facts_of(session, member_id=application.member_id, settings=settings)
    return applications.approve_referral(
        session,
        application_id=application_id,
        officer=officer,
        note=note,
        member=facts,
        policy=decision_policy(settings, currency=application.amount.currency),
        business_date=business_date,
    )


def accept(
    session: Session,
    *,
    application_id: int,
    member_id: int,
    share_account_id: int,
    collection_mandate: bool,
    collection_account_id: int | None,
    actor: str,
    settings: Settings,
    business_date: dt.date,
) -> int:
    """The member accepts the offer: the loan is made and paid into their share account.

    With `collection_mandate`, instalments are collected as they fall due from
    `collection_account_id` (the account paid into unless another is named), and that
    share account records the member's repayment mandate. Returns the loan id.
    """
    scope = MemberScope(member_id)
    application = applications.get_application(session, application_id=application_id, scope=scope)
    pay_into = accounts.account_to_pay_into(
        session, member_id=member_id, share_account_id=share_account_id, amount=application.amount
    )
    collect_from = share_account_id if collection_account_id is None else collection_account_id
    collector = pay_into
    if collection_mandate and collect_from != share_account_id:
        collector = accounts.own_share_account(
            session, member_id=member_id, share_account_id=collect_from
        )
    facts = facts_of(session, member_id=member_id, settings=settings)
    loan_id = accept_offer(
        session,
        application_id=application_id,
        member=facts,
        share_account_id=pay_into.account.ledger_account_id,
        policy=decision_policy(settings, currency=application.amount.currency),
        business_date=business_date,
        collection_mandate=collection_mandate and collector is pay_into,
    )
    accounts.credited(session, pay_into, business_date)
    if collection_mandate:
        if collector is not pay_into:
            set_collection_mandate(
                session,
                loan_id=loan_id,
                share_account_id=collector.account.ledger_account_id,
                actor=actor,
                scope=scope,
            )
        set_repayment_mandate(
            session,
            share_account_id=collector.account.id,
            given=True,
            actor=actor,
            member_id=member_id,
        )
    return loan_id


def set_mandate(
    session: Session,
    *,
    loan_id: int,
    member_id: int,
    share_account_id: int | None,
    actor: str,
) -> None:
    """Collect the loan's instalments from one of the member's accounts, or stop (None)."""
    ledger_account_id = None
    if share_account_id is not None:
        locked = accounts.own_share_account(
            session, member_id=member_id, share_account_id=share_account_id
        )
        ledger_account_id = locked.account.ledger_account_id
    set_collection_mandate(
        session,
        loan_id=loan_id,
        share_account_id=ledger_account_id,
        actor=actor,
        scope=MemberScope(member_id),
    )
    if share_account_id is not None:
        set_repayment_mandate(
            session, share_account_id=share_account_id, given=True, actor=actor, member_id=member_id
        )
