"""What the decision is told about members and the credit union, from the tables."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update

from creditunion.initial_data import initialise
from creditunion.lending.facts import member_facts, net_worth
from creditunion.lending.origination import quote_for_member
from creditunion.lending.policy import decision_policy
from creditunion.members.models import Member, MemberStatus
from creditunion.members.service import MemberNotFound
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from ledger.accounts import get_account_by_code
from ledger.chart import CASH_IN_TILLS, GENERAL_RESERVE, RETAINED_SURPLUS
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.posting import post_entry
from loans.frequency import Frequency
from loans.quote import QuoteRefused
from loans.services.seed import PAL_II_EXAMPLE
from tests.factories import MemberFactory
from tests.factories_loans import make_product, share_account
from tests.factories_loans import member as loan_member

TODAY = dt.date(2026, 11, 25)


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def _equity(engine: Engine, code: str, amount: str) -> None:
    with unit_of_work(engine) as s:
        post_entry(
            s,
            EntryRequest(
                idempotency_key=f"test-equity-{uuid.uuid4()}",
                business_date=TODAY,
                lines=(
                    Line.debit(get_account_by_code(s, CASH_IN_TILLS).id, gbp(amount)),
                    Line.credit(get_account_by_code(s, code).id, gbp(amount)),
                ),
                description="reserves brought over",
                posted_by="test",
                kind="test.equity",
            ),
        )


def test_net_worth_is_the_reserves_on_the_books_or_the_setting_until_then(
    fresh_engine: Engine,
) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
        assert net_worth(s, configured=None) == gbp("0.00")
        assert net_worth(s, configured="250000.00") == gbp("250000.00")
    _equity(fresh_engine, GENERAL_RESERVE, "90000.00")
    _equity(fresh_engine, RETAINED_SURPLUS, "10000.50")
    with unit_of_work(fresh_engine) as s:
        # Once the books carry reserves they are the figure, whatever the setting says.
        assert net_worth(s, configured="250000.00") == gbp("100000.50")
        assert net_worth(s, configured=None) == gbp("100000.50")


def _post(engine: Engine, *, debit: int, credit: int, amount: Money) -> None:
    with unit_of_work(engine) as s:
        post_entry(
            s,
            EntryRequest(
                idempotency_key=f"test-move-{uuid.uuid4()}",
                business_date=TODAY,
                lines=(Line.debit(debit, amount), Line.credit(credit, amount)),
                description="reserves used",
                posted_by="test",
                kind="test.equity",
            ),
        )


def test_reserves_at_or_below_zero_stand_and_no_pal_is_lent(fresh_engine: Engine) -> None:
    configured = Settings(base_currency="USD", loan_net_worth="10000000.00")
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=configured, business_date=TODAY)
        code = make_product(s, PAL_II_EXAMPLE)
        cash, reserve, surplus = (
            get_account_by_code(s, account).id
            for account in (CASH_IN_TILLS, GENERAL_RESERVE, RETAINED_SURPLUS)
        )
        losses_owed = share_account(s, usd("0"))
    facts = loan_member(fresh_engine)
    _post(fresh_engine, debit=cash, credit=reserve, amount=usd("1000.00"))
    _post(fresh_engine, debit=reserve, credit=cash, amount=usd("1000.00"))
    with unit_of_work(fresh_engine) as s:
        # The books carry reserves, used up: zero, not the configured figure.
        assert net_worth(s, configured="10000000.00") == usd("0.00")
    _post(fresh_engine, debit=surplus, credit=losses_owed, amount=usd("250.00"))
    with unit_of_work(fresh_engine) as s:
        assert net_worth(s, configured="10000000.00") == usd("-250.00")
        with pytest.raises(QuoteRefused) as refused:
            quote_for_member(
                s,
                member_id=facts.member_id,
                product_code=code,
                amount=usd("400"),
                term=3,
                frequency=Frequency.MONTHLY,
                settings=configured,
                business_date=TODAY,
            )
    assert refused.value.codes == ("pal.portfolio_limit",)
    assert "net worth -250.00 USD" in str(refused.value)


def test_membership_runs_from_holding_a_share(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        pending = MemberFactory.create(
            session=s, business_date=dt.date(2025, 1, 10), date_of_birth=dt.date(1990, 2, 3)
        )
        active = MemberFactory.create(session=s, business_date=dt.date(2025, 1, 10))
        s.execute(
            update(Member)
            .where(Member.id == active.id)
            .values(status=MemberStatus.ACTIVE, activated_on=dt.date(2025, 3, 1))
        )
    with unit_of_work(engine) as s:
        waiting = member_facts(s, member_id=pending.id, net_worth=None)
        member = member_facts(s, member_id=active.id, net_worth=gbp("5.00"))
        with pytest.raises(MemberNotFound):
            member_facts(s, member_id=2**62, net_worth=None)
    assert (waiting.status, waiting.membership_start, waiting.date_of_birth) == (
        "pending",
        dt.date(2025, 1, 10),
        dt.date(1990, 2, 3),
    )
    assert (member.status, member.membership_start, member.net_worth) == (
        "active",
        dt.date(2025, 3, 1),
        gbp("5.00"),
    )


def test_the_policy_comes_from_the_settings() -> None:
    settings = Settings(
        base_currency="GBP",
        loan_affordability_margin="75.00",
        loan_affordability_share_of_income="0.05",
        loan_referral_band="25.00",
        loan_allowance_per_dependant="120.00",
        loan_first_loan_referral_threshold="750.00",
        loan_max_outstanding=2,
        loan_offer_validity_days=7,
        loan_rollover_window_days=30,
        loan_refer_above_exempt_threshold=False,
    )
    policy = decision_policy(settings, currency="GBP")
    assert policy.affordability.minimum_margin == gbp("75.00")
    assert policy.affordability.margin_share_of_income == Decimal("0.05")
    assert policy.affordability.referral_band == gbp("25.00")
    assert policy.affordability.allowance_per_dependant == gbp("120.00")
    assert policy.first_loan_referral_threshold == gbp("750.00")
    assert (policy.max_outstanding_loans, policy.offer_validity_days) == (2, 7)
    assert (policy.rollover_window_days, policy.refer_above_exempt_threshold) == (30, False)
    defaults = decision_policy(Settings(base_currency="GBP"), currency="USD")
    assert defaults.affordability.minimum_margin == Money("50.00", "USD")
    assert defaults.first_loan_referral_threshold is None
    assert (defaults.rollover_window_days, defaults.refer_above_exempt_threshold) == (7, True)
    with pytest.raises(ValueError):
        Settings(base_currency="GBP", loan_referral_band="-1.00")
    with pytest.raises(ValueError):
        Settings(base_currency="GBP", loan_net_worth="12.345")
