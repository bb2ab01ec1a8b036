"""NCUA payday alternative loans in a dollar credit union: the member and portfolio limits.

Each test has a database of its own with the chart in USD, since the limits count loans
across the credit union.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account_by_code
from ledger.chart import FEE_INCOME
from ledger.invariants import check_invariants
from ledger.ownership import STAFF
from loans.decision import MemberFacts
from loans.facts import FactsError
from loans.frequency import Frequency
from loans.models import ApplicationStatus
from loans.product import Fee, FeeKind, FeeTreatment, LoanProduct
from loans.rate import InterestRate
from loans.services.applications import decide_application, submit_application
from loans.services.origination import AcceptanceRefused, accept_offer
from loans.services.queries import get_loan
from loans.services.repayments import RepaymentSource, settle
from loans.services.seed import PAL_I_EXAMPLE, PAL_II_EXAMPLE
from tests.factories_loans import (
    TODAY,
    account_minor,
    books,
    make_loan,
    make_product,
    member,
    policy,
    share_account,
    shares_balance,
    statement,
    usd,
)

RICH = usd("10000000")


def pal_member(engine: Engine, **changes: object) -> MemberFacts:
    return dataclasses.replace(member(engine, net_worth=RICH), **changes)  # type: ignore[arg-type]


def pal_loan(
    engine: Engine,
    facts: MemberFacts,
    *,
    product: LoanProduct = PAL_I_EXAMPLE,
    on: dt.date = TODAY,
    term: int = 3,
) -> tuple[int, int]:
    """A 500-dollar PAL paid into shares holding 20 (an upfront fee comes out of them)."""
    loan_id, shares, _ = make_loan(
        engine,
        product=product,
        amount="500",
        term=term,
        facts=facts,
        currency="USD",
        on=on,
        shares="20",
    )
    return loan_id, shares


def apply(
    engine: Engine,
    facts: MemberFacts,
    product: LoanProduct = PAL_II_EXAMPLE,
    *,
    amount: str = "400",
    on: dt.date = TODAY,
) -> tuple[int, list[str], ApplicationStatus]:
    with unit_of_work(engine) as s:
        books(s, "USD")
        code = make_product(s, product)
        application = submit_application(
            s,
            member_id=facts.member_id,
            product_code=code,
            amount=usd(amount),
            term=3,
            frequency=Frequency.MONTHLY,
            purpose="rent gap",
            statement=statement("4000", "USD"),
            business_date=on,
        )
        view = decide_application(
            s, application_id=application.id, member=facts, policy=policy("USD"), business_date=on
        )
    return view.id, [r.code for r in view.reasons], view.status


def test_a_seeded_pal_is_disbursed_with_no_fee_inside_28_percent(fresh_engine: Engine) -> None:
    loan_id, shares = pal_loan(fresh_engine, pal_member(fresh_engine))
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        assert shares_balance(s, shares) == usd("520")  # 20 + 500 advanced, no fee
        assert account_minor(s, get_account_by_code(s, FEE_INCOME).id) == 0
        assert check_invariants(s).ok
    # 28% on 30/360 US over whole months, interest rounded down: Appendix J APR 27.97%.
    assert (loan.apr, loan.credit) == (Decimal("27.97"), usd("500"))


def test_a_pal_fee_taken_at_disbursement_is_in_the_loans_apr(fresh_engine: Engine) -> None:
    # A fee charged only when the loan is made is a finance charge (12 CFR 1026.4(a)): the
    # loan's APR is the quote's and the offer's, with the fee in it.
    fee = Fee(FeeKind.APPLICATION, usd("20"), FeeTreatment.UPFRONT)
    product = dataclasses.replace(
        PAL_I_EXAMPLE,
        amounts=dataclasses.replace(PAL_I_EXAMPLE.amounts, minimum=usd("500")),
        terms=dataclasses.replace(PAL_I_EXAMPLE.terms, minimum=6),
        rate=InterestRate.annual(Decimal("0.10")),
        fees=(fee,),
    )
    loan_id, shares = pal_loan(fresh_engine, pal_member(fresh_engine), product=product, term=6)
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        assert shares_balance(s, shares) == usd("500")  # 20 + 500 advanced - the 20 fee
        assert check_invariants(s).ok
    # 10% a year plus the $20 on 500 over 6 months, as the quote disclosed it.
    assert loan.apr == Decimal("24.34")


def test_one_pal_outstanding_at_a_time(fresh_engine: Engine) -> None:
    facts = pal_member(fresh_engine)
    pal_loan(fresh_engine, facts)
    _, codes, status = apply(fresh_engine, facts)
    assert status is ApplicationStatus.DECLINED
    assert "pal.one_outstanding" in codes


def test_three_in_any_six_months(fresh_engine: Engine) -> None:
    facts = pal_member(fresh_engine)
    for months_ago in (5, 3, 1):
        on = TODAY - dt.timedelta(days=30 * months_ago)
        loan_id, shares = pal_loan(fresh_engine, facts, on=on)
        with unit_of_work(fresh_engine) as s:
            settle(
                s,
                loan_id=loan_id,
                source=RepaymentSource.shares(shares),
                idempotency_key="s",
                business_date=on,
                actor="member",
                scope=STAFF,
            )
    _, codes, status = apply(fresh_engine, facts)
    assert status is ApplicationStatus.DECLINED
    assert "pal.three_in_six_months" in codes and "pal.one_outstanding" not in codes
    # Seven months after the first, the window holds two: a new one is allowed.
    later = TODAY + dt.timedelta(days=60)
    _, codes, status = apply(fresh_engine, facts, on=later)
    assert (status, codes) == (ApplicationStatus.OFFERED, [])


def test_the_portfolio_stays_under_a_fifth_of_net_worth(fresh_engine: Engine) -> None:
    pal_loan(fresh_engine, pal_member(fresh_engine))  # 500 of PAL balances in the book
    # Net worth 4,000: 20% is 800; 500 + 400 would be 900.
    _, codes, status = apply(fresh_engine, pal_member(fresh_engine, net_worth=usd("4000")))
    assert status is ApplicationStatus.DECLINED and codes == ["pal.portfolio_limit"]
    _, codes, status = apply(fresh_engine, pal_member(fresh_engine, net_worth=usd("4500")))
    assert (status, codes) == (ApplicationStatus.OFFERED, [])
    with pytest.raises(FactsError):
        apply(fresh_engine, pal_member(fresh_engine, net_worth=None))


def test_pal_i_waits_a_month_of_membership_and_pal_ii_does_not(fresh_engine: Engine) -> None:
    newcomer = pal_member(fresh_engine, membership_start=TODAY - dt.timedelta(days=10))
    _, codes, status = apply(fresh_engine, newcomer, PAL_I_EXAMPLE)
    assert status is ApplicationStatus.DECLINED
    assert "pal.membership_period" in codes
    _, codes, status = apply(fresh_engine, newcomer, PAL_II_EXAMPLE)
    assert (status, codes) == (ApplicationStatus.OFFERED, [])


def test_the_limits_are_checked_again_at_acceptance(fresh_engine: Engine) -> None:
    facts = pal_member(fresh_engine)
    first, _, _ = apply(fresh_engine, facts)
    second, _, _ = apply(fresh_engine, facts, PAL_I_EXAMPLE)
    with unit_of_work(fresh_engine) as s:
        shares = share_account(s, usd("50"))
        accept_offer(
            s,
            application_id=first,
            member=facts,
            share_account_id=shares,
            policy=policy("USD"),
            business_date=TODAY,
        )
    with unit_of_work(fresh_engine) as s, pytest.raises(AcceptanceRefused) as refused:
        accept_offer(
            s,
            application_id=second,
            member=facts,
            share_account_id=shares,
            policy=policy("USD"),
            business_date=TODAY,
        )
    assert "pal.one_outstanding" in [r.code for r in refused.value.reasons]
