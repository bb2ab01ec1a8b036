"""Applications: the automated decision, referrals, offers, expiry, and every refused transition."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from creditunion.platform.database import unit_of_work
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope
from loans.decision import MemberFacts
from loans.frequency import Frequency
from loans.models import ApplicationStatus, DecisionKind
from loans.quote import QuoteRefused
from loans.rate import InterestRate
from loans.rulesets.gb import ThresholdBehaviour
from loans.services.accounts import CurrencyNotLent
from loans.services.applications import (
    ApplicationInvalid,
    ApplicationNotFound,
    ApprovalRefused,
    InvalidTransition,
    application_history,
    approve_referral,
    decide_application,
    decline_referral,
    expire_offers,
    get_application,
    list_applications,
    submit_application,
    withdraw_application,
)
from loans.services.origination import OfferExpired, accept_offer
from loans.services.products import ProductInactive, set_product_active
from loans.services.quotes import quote_loan
from loans.services.seed import PAL_II_EXAMPLE
from tests.factories_loans import (
    MANAGER,
    OFFICER,
    TODAY,
    books,
    gb_product,
    gbp,
    make_product,
    member,
    policy,
    share_account,
    statement,
)

S = ApplicationStatus


def submit(
    engine: Engine,
    code: str,
    facts: MemberFacts,
    *,
    amount: str = "500",
    term: int = 6,
    income: str = "3000",
    frequency: Frequency = Frequency.MONTHLY,
    on: dt.date = TODAY,
    refinances_existing: bool = False,
) -> int:
    with unit_of_work(engine) as s:
        return submit_application(
            s,
            member_id=facts.member_id,
            product_code=code,
            amount=gbp(amount),
            term=term,
            frequency=frequency,
            purpose="boiler repair",
            statement=statement(income),
            business_date=on,
            refinances_existing=refinances_existing,
        ).id


@pytest.fixture
def code(engine: Engine) -> str:
    with unit_of_work(engine) as s:
        books(s)
        return make_product(s)


def test_approval_makes_an_offer_that_expires_in_fourteen_days(engine: Engine, code: str) -> None:
    facts = member(engine)
    application_id = submit(engine, code, facts)
    with unit_of_work(engine) as s:
        view = decide_application(
            s, application_id=application_id, member=facts, policy=policy(), business_date=TODAY
        )
        history = application_history(s, application_id=application_id)
    assert view.status is S.OFFERED
    assert view.offer_expires_on == TODAY + dt.timedelta(days=14)
    assert (view.decision_kind, view.decided_by, view.reasons) == (
        DecisionKind.AUTOMATED,
        "automated",
        (),
    )
    # 500.00 over 6 months at 2%: 89.26 a month (the last 89.25), APR 26.8%, 535.55 in all.
    assert (view.offered_instalment, view.offered_apr, view.offered_total_payable) == (
        gbp("89.26"),
        Decimal("26.80"),
        gbp("535.55"),
    )
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, "submitted"),
        ("submitted", "approved"),
        ("approved", "offered"),
    ]


def test_decline_gives_every_reason(engine: Engine, code: str) -> None:
    facts = member(engine, born=dt.date(2010, 3, 1))
    application_id = submit(engine, code, facts, income="900", refinances_existing=True)
    with unit_of_work(engine) as s:
        view = decide_application(
            s, application_id=application_id, member=facts, policy=policy(), business_date=TODAY
        )
    assert view.status is S.DECLINED and view.closed_on == TODAY
    assert [r.code for r in view.reasons] == [
        "eligibility.under_age",
        "eligibility.rollover",
        "affordability.insufficient",
    ]
    assert "18" in view.reasons[0].message


def test_a_quote_over_the_exempt_line_is_declined_by_a_refusing_product(engine: Engine) -> None:
    # 3% a month paid four-weekly from 31 Jan has an APR of 44.6% (> 42.6%).
    product = gb_product(
        rate=InterestRate.monthly(Decimal("0.03")), exempt_threshold=ThresholdBehaviour.REFUSE
    )
    with unit_of_work(engine) as s:
        books(s)
        code = make_product(s, product)
    facts = member(engine)
    on = dt.date(2026, 1, 31)
    application_id = submit(engine, code, facts, term=3, frequency=Frequency.FOUR_WEEKLY, on=on)
    with unit_of_work(engine) as s:
        view = decide_application(
            s, application_id=application_id, member=facts, policy=policy(), business_date=on
        )
    assert [r.code for r in view.reasons] == ["uk.apr_exempt_threshold"]
    assert "44.6%" in view.reasons[0].message


def test_near_the_margin_goes_to_an_officer_who_approves(engine: Engine, code: str) -> None:
    facts = member(engine)
    # 1,250 - 1,100 of outgoings = 150: 60.74 left after 89.26, within 50 of the 50 margin.
    application_id = submit(engine, code, facts, income="1250")
    with unit_of_work(engine) as s:
        referred = decide_application(
            s, application_id=application_id, member=facts, policy=policy(), business_date=TODAY
        )
        queue = list_applications(
            s, status=S.REFERRED, after_id=application_id - 1, limit=10, scope=STAFF
        )
    assert referred.status is S.REFERRED
    assert [r.code for r in referred.reasons] == ["affordability.near_margin"]
    assert application_id in [a.id for a in queue]
    with unit_of_work(engine) as s:
        offered = approve_referral(
            s,
            application_id=application_id,
            officer=OFFICER,
            note="payslips checked; rent confirmed",
            member=facts,
            policy=policy(),
            business_date=TODAY + dt.timedelta(days=1),
        )
    assert offered.status is S.OFFERED
    assert (offered.decision_kind, offered.decided_by) == (DecisionKind.OFFICER, OFFICER)
    assert offered.decision_note == "payslips checked; rent confirmed"
    assert offered.offer_expires_on == TODAY + dt.timedelta(days=15)


def test_a_large_first_loan_is_referred_and_the_officer_declines(engine: Engine, code: str) -> None:
    facts = member(engine)
    application_id = submit(engine, code, facts, amount="1500", term=12)
    rules = policy(first_loan_referral_threshold=gbp("1000"))
    with unit_of_work(engine) as s:
        referred = decide_application(
            s, application_id=application_id, member=facts, policy=rules, business_date=TODAY
        )
        assert [r.code for r in referred.reasons] == ["referral.first_loan_above_threshold"]
        with pytest.raises(ApplicationInvalid):
            decline_referral(
                s, application_id=application_id, officer=OFFICER, note=" ", business_date=TODAY
            )
    with unit_of_work(engine) as s:
        declined = decline_referral(
            s,
            application_id=application_id,
            officer=OFFICER,
            note="no income evidence",
            business_date=TODAY,
        )
    assert declined.status is S.DECLINED
    assert [(r.code, r.message) for r in declined.reasons] == [
        ("officer.declined", "no income evidence")
    ]


def test_an_officer_cannot_approve_what_now_declines(engine: Engine, code: str) -> None:
    facts = member(engine)
    application_id = submit(engine, code, facts, income="1250")
    with unit_of_work(engine) as s:
        decide_application(
            s, application_id=application_id, member=facts, policy=policy(), business_date=TODAY
        )
    suspended = dataclasses.replace(facts, status="suspended")
    with unit_of_work(engine) as s, pytest.raises(ApprovalRefused) as refused:
        approve_referral(
            s,
            application_id=application_id,
            officer=OFFICER,
            note="ok",
            member=suspended,
            policy=policy(),
            business_date=TODAY,
        )
    assert [r.code for r in refused.value.reasons] == ["eligibility.member_not_active"]
    with unit_of_work(engine) as s:
        assert get_application(s, application_id=application_id, scope=STAFF).status is S.REFERRED


def test_transitions_that_do_not_exist_are_refused(engine: Engine, code: str) -> None:
    facts = member(engine)
    application_id = submit(engine, code, facts)
    with unit_of_work(engine) as s:
        account = share_account(s, gbp("0"))
        with pytest.raises(InvalidTransition):
            approve_referral(
                s,
                application_id=application_id,
                officer=OFFICER,
                note="x",
                member=facts,
                policy=policy(),
                business_date=TODAY,
            )
        with pytest.raises(InvalidTransition):
            accept_offer(
                s,
                application_id=application_id,
                member=facts,
                share_account_id=account,
                policy=policy(),
                business_date=TODAY,
            )
        decide_application(
            s, application_id=application_id, member=facts, policy=policy(), business_date=TODAY
        )
        with pytest.raises(InvalidTransition) as again:
            decide_application(
                s, application_id=application_id, member=facts, policy=policy(), business_date=TODAY
            )
        assert again.value.status is S.OFFERED
        with pytest.raises(InvalidTransition):
            decline_referral(
                s, application_id=application_id, officer=OFFICER, note="x", business_date=TODAY
            )
        accept_offer(
            s,
            application_id=application_id,
            member=facts,
            share_account_id=account,
            policy=policy(),
            business_date=TODAY,
        )
        for attempt in (
            lambda: accept_offer(
                s,
                application_id=application_id,
                member=facts,
                share_account_id=account,
                policy=policy(),
                business_date=TODAY,
            ),
            lambda: withdraw_application(
                s, application_id=application_id, member_id=facts.member_id, business_date=TODAY
            ),
        ):
            with pytest.raises(InvalidTransition):
                attempt()
        # Facts of another member never decide this one.
        other = submit(engine, code, facts)
        with pytest.raises(ApplicationInvalid):
            decide_application(
                s, application_id=other, member=member(engine), policy=policy(), business_date=TODAY
            )


def test_the_member_withdraws_and_no_one_else_can(engine: Engine, code: str) -> None:
    facts = member(engine)
    application_id = submit(engine, code, facts)
    with unit_of_work(engine) as s:
        with pytest.raises(ApplicationNotFound):
            withdraw_application(
                s, application_id=application_id, member_id=facts.member_id + 1, business_date=TODAY
            )
        with pytest.raises(ApplicationNotFound):
            get_application(
                s, application_id=application_id, scope=MemberScope(facts.member_id + 1)
            )
        view = withdraw_application(
            s, application_id=application_id, member_id=facts.member_id, business_date=TODAY
        )
    assert view.status is S.WITHDRAWN_BY_MEMBER


def test_an_offer_lapses_after_its_last_day(engine: Engine, code: str) -> None:
    facts = member(engine)
    application_id = submit(engine, code, facts)
    last_day = TODAY + dt.timedelta(days=14)
    with unit_of_work(engine) as s:
        decide_application(
            s, application_id=application_id, member=facts, policy=policy(), business_date=TODAY
        )
        account = share_account(s, gbp("0"))
        expire_offers(s, business_date=last_day)  # its last day: still open
        assert get_application(s, application_id=application_id, scope=STAFF).status is S.OFFERED
    with unit_of_work(engine) as s, pytest.raises(OfferExpired):
        accept_offer(
            s,
            application_id=application_id,
            member=facts,
            share_account_id=account,
            policy=policy(),
            business_date=last_day + dt.timedelta(days=1),
        )
    with unit_of_work(engine) as s:
        assert expire_offers(s, business_date=last_day + dt.timedelta(days=1)) >= 1
        view = get_application(s, application_id=application_id, scope=STAFF)
        assert (view.status, view.closed_on) == (S.EXPIRED, last_day + dt.timedelta(days=1))
        assert expire_offers(s, business_date=last_day + dt.timedelta(days=1)) == 0


def test_an_inactive_product_takes_no_applications_or_quotes(engine: Engine, code: str) -> None:
    with unit_of_work(engine) as s:
        set_product_active(s, code=code, active=False, actor=MANAGER, business_date=TODAY)
    with pytest.raises(ProductInactive):
        submit(engine, code, member(engine))
    with unit_of_work(engine) as s, pytest.raises(ProductInactive):
        quote_loan(
            s,
            product_code=code,
            amount=gbp("500"),
            term=6,
            frequency=Frequency.MONTHLY,
            member=member(engine),
            business_date=TODAY,
        )


def test_quotes_price_for_the_member_and_refuse_with_rules(engine: Engine, code: str) -> None:
    with unit_of_work(engine) as s:
        priced = quote_loan(
            s,
            product_code=code,
            amount=gbp("500"),
            term=6,
            frequency=Frequency.MONTHLY,
            member=member(engine),
            business_date=TODAY,
        )
        assert (priced.instalment, priced.apr) == (gbp("89.26"), Decimal("26.8"))
        with pytest.raises(QuoteRefused) as refused:
            quote_loan(
                s,
                product_code=code,
                amount=gbp("5000"),
                term=30,
                frequency=Frequency.MONTHLY,
                member=member(engine),
                business_date=TODAY,
            )
    assert refused.value.codes == ("product.amount_range", "product.term_range")


def test_submissions_refuse_bad_input(engine: Engine, code: str) -> None:
    facts = member(engine)
    with unit_of_work(engine) as s:
        for amount, term, purpose in (
            ("-5", 6, "x"),
            ("500", 0, "x"),
            ("500", 6, " "),
            ("500", 6, "x" * 501),
        ):
            with pytest.raises(ApplicationInvalid):
                submit_application(
                    s,
                    member_id=facts.member_id,
                    product_code=code,
                    amount=gbp(amount),
                    term=term,
                    frequency=Frequency.MONTHLY,
                    purpose=purpose,
                    statement=statement(),
                    business_date=TODAY,
                )
        with pytest.raises(ApplicationInvalid):
            submit_application(
                s,
                member_id=facts.member_id,
                product_code=code,
                amount=gbp("500"),
                term=6,
                frequency=Frequency.MONTHLY,
                purpose="x",
                statement=statement(currency="USD"),
                business_date=TODAY,
            )


def test_a_dollar_product_cannot_lend_from_pound_books(engine: Engine) -> None:
    facts = member(engine, net_worth=Money("10000000", "USD"))
    with unit_of_work(engine) as s:
        books(s)  # the shared books are in pounds
        code = make_product(s, PAL_II_EXAMPLE)
        application = submit_application(
            s,
            member_id=facts.member_id,
            product_code=code,
            amount=Money("400", "USD"),
            term=3,
            frequency=Frequency.MONTHLY,
            purpose="rent",
            statement=statement("4000", "USD"),
            business_date=TODAY,
        )
        offered = decide_application(
            s,
            application_id=application.id,
            member=facts,
            policy=policy("USD"),
            business_date=TODAY,
        )
        assert offered.status is S.OFFERED
        account = share_account(s, gbp("0"))
        with pytest.raises(CurrencyNotLent):
            accept_offer(
                s,
                application_id=application.id,
                member=facts,
                share_account_id=account,
                policy=policy("USD"),
                business_date=TODAY,
            )
