"""Builders for the loans tests: products, members' share accounts, loans made through the services.

A member is registered through the member service (`member(db)`), since loans and
applications point at `members.id`; the loans services still only see the facts passed in.
A share account here is a bare ledger account under members' shares (floor 0).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from creditunion.members.models import Member, MemberStatus
from creditunion.platform.database import unit_of_work
from creditunion.shares.product_service import install_standard_products
from creditunion.shares.products import INSTANT_ACCESS
from ledger.accounts import get_account_by_code, open_account
from ledger.balances import balance
from ledger.chart import CASH_IN_TILLS, MEMBERS_SHARES, install_chart
from ledger.entry import EntryRequest, Line
from ledger.models import AccountType
from ledger.money import Money
from ledger.posting import post_entry
from loans.affordability import AffordabilityPolicy, IncomeExpenditure
from loans.decision import DecisionPolicy, MemberFacts
from loans.frequency import Frequency
from loans.models import LoanAccrualRow, LoanRow
from loans.product import AmountRange, LoanProduct, TermRange, TermUnit
from loans.rate import InterestRate
from loans.rulesets.gb import GB_CREDIT_UNION, ThresholdBehaviour
from loans.services.applications import decide_application, submit_application
from loans.services.origination import accept_offer
from loans.services.products import create_product
from tests.factories import MemberFactory

TODAY = dt.date(2026, 1, 15)
MANAGER = "user:manager-1"
OFFICER = "user:officer-1"


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def register_member(session: Session, *, since: dt.date, born: dt.date | None, active: bool) -> int:
    """A member registered on `since` (and active from then, if `active`); their id."""
    fields = {} if born is None else {"date_of_birth": born}
    registered = MemberFactory.create(session=session, business_date=since, **fields)
    if active:
        session.execute(
            update(Member)
            .where(Member.id == registered.id)
            .values(status=MemberStatus.ACTIVE, activated_on=since)
        )
    return int(registered.id)


def member(
    db: Engine | Session,
    *,
    status: str = "active",
    since: dt.date = dt.date(2020, 1, 1),
    born: dt.date | None = dt.date(1985, 6, 1),
    net_worth: Money | None = None,
) -> MemberFacts:
    """A registered member (`db`: an engine, or a session in a transaction) and their facts."""
    if isinstance(db, Session):
        member_id = register_member(db, since=since, born=born, active=status == "active")
    else:
        with unit_of_work(db) as session:
            member_id = register_member(session, since=since, born=born, active=status == "active")
    return MemberFacts(
        member_id=member_id,
        status=status,
        membership_start=since,
        date_of_birth=born,
        net_worth=net_worth,
    )


def policy(currency: str = "GBP", **overrides: Any) -> DecisionPolicy:
    base = DecisionPolicy(
        affordability=AffordabilityPolicy(
            minimum_margin=Money("50", currency),
            referral_band=Money("50", currency),
        ),
        max_outstanding_loans=2,
    )
    return dataclasses.replace(base, **overrides)


def statement(income: str = "1800", currency: str = "GBP", **outgoings: str) -> IncomeExpenditure:
    items = outgoings or {"rent": "650", "food": "300", "utilities": "150"}
    return IncomeExpenditure(
        monthly_net_income=Money(income, currency),
        outgoings=tuple((name, Money(value, currency)) for name, value in items.items()),
        dependants=0,
    )


def gb_product(**overrides: Any) -> LoanProduct:
    base = LoanProduct(
        name="Test loan",
        currency="GBP",
        amounts=AmountRange(gbp("100"), gbp("2000")),
        terms=TermRange(1, 24, TermUnit.INSTALMENTS),
        frequencies=frozenset(Frequency),
        rate=InterestRate.monthly(Decimal("0.02")),
        rule_set=GB_CREDIT_UNION,
        exempt_threshold=ThresholdBehaviour.FLAG,
    )
    return dataclasses.replace(base, **overrides)


def unique_code(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def make_product(
    session: Session, product: LoanProduct | None = None, *, code: str | None = None
) -> str:
    code = code or unique_code()
    create_product(
        session,
        code=code,
        product=product or gb_product(),
        active=True,
        actor=MANAGER,
        business_date=TODAY,
    )
    return code


def books(session: Session, currency: str = "GBP") -> None:
    install_chart(session, currency=currency)


def share_account(session: Session, opening: Money, *, on: dt.date = TODAY) -> int:
    """A member's share account (floor 0) holding `opening`, paid in as cash."""
    header = get_account_by_code(session, MEMBERS_SHARES)
    account = open_account(
        session,
        code=f"SH-{uuid.uuid4().hex[:12]}",
        name="Member shares",
        type=AccountType.LIABILITY,
        currency=opening.currency,
        floor=Money.zero(opening.currency),
        parent_id=header.id,
    )
    if opening.is_positive():
        deposit(session, account.id, opening, on=on)
    return account.id


def deposit(session: Session, account_id: int, amount: Money, *, on: dt.date) -> None:
    cash = get_account_by_code(session, CASH_IN_TILLS)
    post_entry(
        session,
        EntryRequest(
            idempotency_key=f"test-deposit-{uuid.uuid4()}",
            business_date=on,
            lines=(Line.debit(cash.id, amount), Line.credit(account_id, amount)),
            description="cash paid in",
            posted_by="test",
            kind="test.deposit",
        ),
    )


def withdraw(session: Session, account_id: int, amount: Money, *, on: dt.date, key: str) -> None:
    """Cash paid out at a till (the ledger refuses it below the account's floor)."""
    cash = get_account_by_code(session, CASH_IN_TILLS)
    post_entry(
        session,
        EntryRequest(
            idempotency_key=key,
            business_date=on,
            lines=(Line.debit(account_id, amount), Line.credit(cash.id, amount)),
            description="cash withdrawal",
            posted_by="test",
        ),
    )


def shares_balance(session: Session, account_id: int) -> Money:
    return balance(session, account_id=account_id)


def loan_row(session: Session, loan_id: int) -> LoanRow:
    row = session.get(LoanRow, loan_id, populate_existing=True)
    assert row is not None
    return row


def accrual_of(session: Session, loan_id: int) -> LoanAccrualRow:
    row = session.get(LoanAccrualRow, loan_id, populate_existing=True)
    assert row is not None
    return row


def account_minor(session: Session, account_id: int) -> int:
    """A ledger account's balance in minor units, on its normal side."""
    return balance(session, account_id=account_id).minor_units


def adopt_as_share_account(
    session: Session, ledger_account_id: int, *, member_id: int, on: dt.date
) -> None:
    """Record `ledger_account_id` as the member's share account (instant access, no dividend
    declared), so the share view and the reconciliation know it; its ledger rules (floor)
    stay as `share_account` made them."""
    install_standard_products(session, currency="GBP")
    session.execute(
        text(
            "INSERT INTO share_accounts (account_number, member_id, product_id, "
            "ledger_account_id, status, opened_on, opened_by) "
            "SELECT :number, :member, id, :account, 'open', :on, 'tests' "
            "FROM share_products WHERE code = :code"
        ),
        {
            "number": f"{uuid.uuid4().int % 10**8:08d}",
            "member": member_id,
            "account": ledger_account_id,
            "on": on,
            "code": INSTANT_ACCESS,
        },
    )


def make_loan(
    engine: Engine,
    *,
    product: LoanProduct | None = None,
    amount: str = "1000",
    term: int = 12,
    frequency: Frequency = Frequency.MONTHLY,
    on: dt.date = TODAY,
    shares: str = "0",
    mandate: bool = True,
    facts: MemberFacts | None = None,
    currency: str = "GBP",
) -> tuple[int, int, MemberFacts]:
    """(loan id, share account id, member) for a loan made and disbursed on `on`."""
    facts = facts or member(engine)
    with unit_of_work(engine) as s:
        books(s, currency)
        code = make_product(s, product)
        account = share_account(s, Money(shares, currency), on=on)
        adopt_as_share_account(s, account, member_id=facts.member_id, on=on)
        application = submit_application(
            s,
            member_id=facts.member_id,
            product_code=code,
            amount=Money(amount, currency),
            term=term,
            frequency=frequency,
            purpose="car repair",
            statement=statement("5000", currency),
            business_date=on,
        )
        decided = decide_application(
            s,
            application_id=application.id,
            member=facts,
            policy=policy(currency),
            business_date=on,
        )
        assert decided.status.value == "offered", decided.reasons
        loan_id = accept_offer(
            s,
            application_id=application.id,
            member=facts,
            share_account_id=account,
            policy=policy(currency),
            business_date=on,
            collection_mandate=mandate,
        )
    return loan_id, account, facts


def loan_ids_of_member(session: Session, member_id: int) -> list[int]:
    return list(session.scalars(select(LoanRow.id).where(LoanRow.member_id == member_id)))
