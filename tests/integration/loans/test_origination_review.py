"""Origination after the lending reviews, against the database: the 42.6% flag stored and
reported, rollovers found in the member's history, written-off debt, the member's other
loans in affordability, offers never made dearer, and the PAL portfolio under concurrency."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text

from creditunion.lending.reads import loan_ids
from creditunion.platform.database import unit_of_work
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope
from loans.decision import MemberFacts
from loans.frequency import Frequency
from loans.models import ApplicationStatus, LoanApplicationRow, LoanRow
from loans.product import LoanProduct
from loans.quote import QuoteRefused
from loans.rate import InterestRate
from loans.services.applications import (
    approve_referral,
    decide_application,
    get_application,
    submit_application,
)
from loans.services.history import member_loan_history, pal_portfolio
from loans.services.origination import AcceptanceRefused, OfferRepriced, accept_offer
from loans.services.queries import get_loan
from loans.services.quotes import quote_loan
from loans.services.repayments import RepaymentSource, settle
from loans.services.seed import PAL_II_EXAMPLE
from loans.services.writeoff import record_recovery, write_off_loan
from tests.factories_loans import (
    MANAGER,
    OFFICER,
    TODAY,
    books,
    deposit,
    gb_product,
    gbp,
    make_loan,
    make_product,
    member,
    policy,
    share_account,
    statement,
    usd,
)

S = ApplicationStatus
AT_THE_CAP = gb_product(rate=InterestRate.monthly(Decimal("0.03")))  # flags above 42.6%


def apply(
    engine: Engine,
    facts: MemberFacts,
    code: str,
    *,
    amount: Money,
    term: int,
    on: dt.date,
    income: str = "5000",
    max_outstanding: int = 2,
) -> tuple[int, ApplicationStatus, list[str], list[str]]:
    """(application id, status, reason codes, reason messages) of an application decided."""
    currency = amount.currency
    with unit_of_work(engine) as s:
        submitted = submit_application(
            s,
            member_id=facts.member_id,
            product_code=code,
            amount=amount,
            term=term,
            frequency=Frequency.MONTHLY,
            purpose="rent gap",
            statement=statement(income, currency),
            business_date=on,
        )
        view = decide_application(
            s,
            application_id=submitted.id,
            member=facts,
            policy=policy(currency, max_outstanding_loans=max_outstanding),
            business_date=on,
        )
    return (
        view.id,
        view.status,
        [r.code for r in view.reasons],
        [r.message for r in view.reasons],
    )


def product_code(engine: Engine, product: LoanProduct, currency: str = "GBP") -> str:
    with unit_of_work(engine) as s:
        books(s, currency)
        return make_product(s, product)


def accept(
    engine: Engine,
    facts: MemberFacts,
    application_id: int,
    shares: int,
    on: dt.date,
    currency: str = "GBP",
) -> int:
    with unit_of_work(engine) as s:
        return accept_offer(
            s,
            application_id=application_id,
            member=facts,
            share_account_id=shares,
            policy=policy(currency),
            business_date=on,
        )


# -- above 42.6% APR is referred, and the flag is kept -----------------


def test_a_loan_above_the_exempt_line_is_referred_flagged_and_reported(engine: Engine) -> None:
    code = product_code(engine, AT_THE_CAP)
    facts = member(engine)
    on = dt.date(2026, 1, 30)  # 500 at 3% repaid 28 Feb: APR 45.1%
    application_id, status, codes, messages = apply(
        engine, facts, code, amount=gbp("500"), term=1, on=on
    )
    assert (status, codes) == (S.REFERRED, ["referral.above_exempt_threshold"])
    assert "APR 45.1% is above 42.6%" in messages[0]
    with unit_of_work(engine) as s:
        offered = approve_referral(
            s,
            application_id=application_id,
            officer=OFFICER,
            note="regulated agreement: CONC pre-contract information given",
            member=facts,
            policy=policy(),
            business_date=on,
        )
        shares = share_account(s, gbp("0"), on=on)
    assert (offered.status, offered.offered_apr, offered.above_exempt_threshold) == (
        S.OFFERED,
        Decimal("45.1"),
        True,
    )
    loan_id = accept(engine, facts, application_id, shares, on)
    with unit_of_work(engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        flagged = loan_ids(s, scope=MemberScope(facts.member_id), above_exempt_threshold=True)
        within = loan_ids(s, scope=MemberScope(facts.member_id), above_exempt_threshold=False)
    assert (loan.apr, loan.above_exempt_threshold) == (Decimal("45.1"), True)
    assert (flagged, within) == ([loan_id], [])


def test_a_loan_inside_the_exempt_line_is_offered_unflagged(engine: Engine) -> None:
    code = product_code(engine, AT_THE_CAP)
    facts = member(engine)
    application_id, status, codes, _ = apply(
        engine, facts, code, amount=gbp("500"), term=1, on=dt.date(2026, 1, 16)
    )
    assert (status, codes) == (S.OFFERED, [])
    with unit_of_work(engine) as s:
        view = get_application(s, application_id=application_id, scope=STAFF)
    assert (view.offered_apr, view.above_exempt_threshold) == (Decimal("42.6"), False)


# -- an offer is never accepted at a worse price ------------------------


def test_an_offer_is_never_made_dearer_than_it_was_offered(engine: Engine) -> None:
    code = product_code(engine, AT_THE_CAP)
    facts = member(engine)
    offered_on = dt.date(2026, 1, 16)
    application_id, status, _, _ = apply(
        engine, facts, code, amount=gbp("500"), term=1, on=offered_on
    )
    assert status is S.OFFERED
    with unit_of_work(engine) as s:
        shares = share_account(s, gbp("0"), on=offered_on)
    # Accepted on 30 Jan, the one instalment falls on 28 Feb: the same 515.00 a shorter
    # time after the advance, APR 45.1% against the 42.6% offered.
    with pytest.raises(OfferRepriced) as repriced:
        accept(engine, facts, application_id, shares, dt.date(2026, 1, 30))
    offered, today = repriced.value.offered, repriced.value.today
    assert (offered.apr, offered.instalment, offered.total_payable) == (
        Decimal("42.6"),
        gbp("515.00"),
        gbp("515.00"),
    )
    assert (today.apr, today.instalment, today.total_payable) == (
        Decimal("45.1"),
        gbp("515.00"),
        gbp("515.00"),
    )
    assert "APR 45.1%" in str(repriced.value) and "apply again" in str(repriced.value)
    with unit_of_work(engine) as s:
        still = get_application(s, application_id=application_id, scope=STAFF)
        made = s.scalar(select(func.count()).where(LoanRow.application_id == application_id))
    assert (still.status, made) == (S.OFFERED, 0)
    # Accepted on a day that costs no more than the offer, the loan is made.
    loan_id = accept(engine, facts, application_id, shares, dt.date(2026, 1, 20))
    with unit_of_work(engine) as s:
        assert get_loan(s, loan_id=loan_id, scope=STAFF).apr == Decimal("42.6")


# -- rollover found in the member's history -----------------------------


def pal_member(engine: Engine, net_worth: str = "10000000") -> MemberFacts:
    return member(engine, net_worth=usd(net_worth))


def settled_pal(engine: Engine, facts: MemberFacts, *, on: dt.date) -> int:
    loan_id, shares, _ = make_loan(
        engine,
        product=PAL_II_EXAMPLE,
        amount="500",
        term=3,
        facts=facts,
        currency="USD",
        on=on,
        shares="20",
    )
    with unit_of_work(engine) as s:
        deposit(s, shares, usd("600"), on=on)
        settle(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key=f"settle-{loan_id}",
            business_date=on,
            actor="member",
            scope=STAFF,
        )
    return loan_id


def test_a_pal_applied_for_just_after_a_pal_is_settled_is_a_rollover(
    fresh_engine: Engine,
) -> None:
    facts = pal_member(fresh_engine)
    settled_pal(fresh_engine, facts, on=TODAY)
    code = product_code(fresh_engine, PAL_II_EXAMPLE, "USD")
    _, status, codes, _ = apply(
        fresh_engine, facts, code, amount=usd("400"), term=3, on=TODAY + dt.timedelta(days=2)
    )
    assert (status, codes) == (S.DECLINED, ["pal.rollover"])
    # A quote with the credit union's policy says so before the member applies.
    with unit_of_work(fresh_engine) as s, pytest.raises(QuoteRefused) as refused:
        quote_loan(
            s,
            product_code=code,
            amount=usd("400"),
            term=3,
            frequency=Frequency.MONTHLY,
            member=facts,
            business_date=TODAY + dt.timedelta(days=2),
            policy=policy("USD"),
        )
    assert refused.value.codes == ("pal.rollover",)
    # Eight days on, outside the seven-day window: not a rollover.
    _, status, codes, _ = apply(
        fresh_engine, facts, code, amount=usd("400"), term=3, on=TODAY + dt.timedelta(days=8)
    )
    assert (status, codes) == (S.OFFERED, [])


def test_a_gb_loan_applied_for_around_a_settlement_goes_to_an_officer(engine: Engine) -> None:
    loan_id, shares, facts = make_loan(engine, amount="500", term=6)
    with unit_of_work(engine) as s:
        deposit(s, shares, gbp("600"), on=TODAY)
        settle(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key=f"settle-{loan_id}",
            business_date=TODAY,
            actor="member",
            scope=STAFF,
        )
    code = product_code(engine, gb_product())
    _, status, codes, messages = apply(
        engine, facts, code, amount=gbp("500"), term=6, on=TODAY + dt.timedelta(days=1)
    )
    assert (status, codes) == (S.REFERRED, ["referral.rollover"])
    assert f"loan {loan_id} was settled on {TODAY}" in messages[0]


# -- written-off debt is still owed --------------------------------------


def test_written_off_debt_still_owed_counts_as_outstanding(engine: Engine) -> None:
    loan_id, _, facts = make_loan(engine, amount="500", term=6)
    with unit_of_work(engine) as s:
        written = write_off_loan(
            s,
            loan_id=loan_id,
            business_date=TODAY,
            actor=MANAGER,
            reason="member gone abroad",
            min_days_past_due=0,
        )
        history = member_loan_history(
            s, member_id=facts.member_id, currency="GBP", on=TODAY + dt.timedelta(days=1)
        )
    assert (history.outstanding_loans, history.written_off_owing) == (1, 1)
    code = product_code(engine, gb_product())
    _, status, codes, _ = apply(
        engine,
        facts,
        code,
        amount=gbp("500"),
        term=6,
        on=TODAY + dt.timedelta(days=1),
        max_outstanding=1,
    )
    assert (status, codes) == (
        S.DECLINED,
        ["eligibility.outstanding_loans", "eligibility.written_off_debt"],
    )
    # Once everything written off is recovered, nothing is owed.
    with unit_of_work(engine) as s:
        record_recovery(
            s,
            loan_id=loan_id,
            amount=written.total,
            source=RepaymentSource.cash(),
            idempotency_key=f"recover-{loan_id}",
            business_date=TODAY + dt.timedelta(days=2),
            actor=MANAGER,
        )
        history = member_loan_history(
            s, member_id=facts.member_id, currency="GBP", on=TODAY + dt.timedelta(days=2)
        )
    assert (history.outstanding_loans, history.written_off_owing) == (0, 0)


# -- affordability with the member's other loans -------------------------


def test_affordability_counts_the_members_loans_here(engine: Engine) -> None:
    # 1,000 over 12 months at 2%: 94.56 a month already committed.
    _, _, facts = make_loan(engine, amount="1000", term=12)
    code = product_code(engine, gb_product())
    # 1,300 - 1,100 of outgoings = 200; 200 - 89.26 - 94.56 = 16.18, under the 50 margin.
    _, status, codes, messages = apply(
        engine, facts, code, amount=gbp("500"), term=6, on=TODAY, income="1300"
    )
    assert (status, codes) == (S.DECLINED, ["affordability.insufficient"])
    assert messages[0].startswith("16.18 GBP a month left after this instalment (89.26 GBP)")
    assert "other loans (94.56 GBP)" in messages[0]


# -- the PAL portfolio limit holds when two members accept at once ------


def waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_two_members_accepting_at_once_cannot_overshoot_the_portfolio(
    fresh_engine: Engine,
) -> None:
    # Net worth 4,500: the limit is 900. Each 500 PAL fits alone; both together do not.
    first, second = pal_member(fresh_engine, "4500"), pal_member(fresh_engine, "4500")
    code = product_code(fresh_engine, PAL_II_EXAMPLE, "USD")
    offers = []
    for facts in (first, second):
        application_id, status, _, _ = apply(
            fresh_engine, facts, code, amount=usd("500"), term=3, on=TODAY
        )
        assert status is S.OFFERED
        with unit_of_work(fresh_engine) as s:
            offers.append((facts, application_id, share_account(s, usd("20"))))
    first_accepted = threading.Event()
    outcomes: dict[str, object] = {}

    def accept_and_hold() -> None:
        facts, application_id, shares = offers[0]
        with unit_of_work(fresh_engine) as s:
            outcomes["first"] = accept_offer(
                s,
                application_id=application_id,
                member=facts,
                share_account_id=shares,
                policy=policy("USD"),
                business_date=TODAY,
            )
            first_accepted.set()
            # Uncommitted until the second acceptance waits on a lock (or has finished).
            for _ in range(100):
                if "second" in outcomes or waiting_on_a_lock(fresh_engine):
                    break
                threading.Event().wait(0.1)

    def accept_meanwhile() -> None:
        first_accepted.wait(10)
        facts, application_id, shares = offers[1]
        try:
            outcomes["second"] = accept(fresh_engine, facts, application_id, shares, TODAY, "USD")
        except AcceptanceRefused as refused:
            outcomes["second"] = [r.code for r in refused.reasons]

    threads = [threading.Thread(target=accept_and_hold), threading.Thread(target=accept_meanwhile)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes["first"], int)
    assert outcomes["second"] == ["pal.portfolio_limit"]
    with unit_of_work(fresh_engine) as s:
        assert pal_portfolio(s, currency="USD") == usd("500.00")
        states = s.scalars(
            select(LoanApplicationRow.status)
            .where(LoanApplicationRow.id.in_([o[1] for o in offers]))
            .order_by(LoanApplicationRow.id)
        ).all()
    assert list(states) == [S.ACCEPTED, S.OFFERED]
