"""The automated decision after the lending reviews: the 42.6% line, rollovers detected from
the member's history, written-off debt, and affordability with the member's other loans and
the fees paid at the start."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from ledger.money import Money
from loans.affordability import AffordabilityPolicy, IncomeExpenditure
from loans.decision import (
    DecisionPolicy,
    ExistingLoan,
    LoanHistory,
    LoanRequest,
    MemberFacts,
    Outcome,
    SettledLoan,
    decide,
)
from loans.frequency import Frequency
from loans.product import Fee, FeeKind, FeeTreatment
from loans.rate import InterestRate
from loans.rulesets.gb import EXEMPT_THRESHOLD_CODE
from loans.services.seed import PAL_II_EXAMPLE
from tests.factories_loans import gb_product

TODAY = date(2026, 1, 15)


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


POLICY = DecisionPolicy(
    affordability=AffordabilityPolicy(minimum_margin=gbp("50"), referral_band=gbp("50"))
)
MEMBER = MemberFacts(1, "active", date(2020, 1, 1), date(1990, 5, 5))
WELL_OFF = IncomeExpenditure(gbp("3000"), (("rent", gbp("900")),))
EXPERIENCED = LoanHistory(previous_loans=2)


# -- 42.6% APR: not an exempt agreement -------------------------------

AT_THE_CAP = gb_product(rate=InterestRate.monthly(Decimal("0.03")))  # flags, not refuses
ONE_MONTH = LoanRequest(gbp("500"), 1, Frequency.MONTHLY)


def test_a_loan_above_the_exempt_line_goes_to_a_loan_officer() -> None:
    # 500 at 3% repaid as 515 on 28 Feb after a 30 Jan advance: APR 45.1% (> 42.6%).
    decision = decide(
        AT_THE_CAP,
        ONE_MONTH,
        WELL_OFF,
        member=MEMBER,
        history=EXPERIENCED,
        policy=POLICY,
        on=date(2026, 1, 30),
    )
    assert decision.outcome is Outcome.REFER
    assert [r.code for r in decision.reasons] == ["referral.above_exempt_threshold"]
    message = decision.reasons[0].message
    assert "45.1%" in message and "42.6%" in message and "PERG 2.7.19I G(1)" in message
    assert decision.quote is not None and decision.quote.flags == (EXEMPT_THRESHOLD_CODE,)
    # The same loan from 16 Jan (due 16 Feb) is at 42.6%: exempt, approved automatically.
    inside = decide(
        AT_THE_CAP,
        ONE_MONTH,
        WELL_OFF,
        member=MEMBER,
        history=EXPERIENCED,
        policy=POLICY,
        on=date(2026, 1, 16),
    )
    assert (inside.outcome, inside.reasons) == (Outcome.APPROVE, ())


def test_a_policy_may_approve_above_the_line_and_the_flag_stays() -> None:
    policy = dataclasses.replace(POLICY, refer_above_exempt_threshold=False)
    decision = decide(
        AT_THE_CAP,
        ONE_MONTH,
        WELL_OFF,
        member=MEMBER,
        history=EXPERIENCED,
        policy=policy,
        on=date(2026, 1, 30),
    )
    assert decision.outcome is Outcome.APPROVE
    assert decision.quote is not None and decision.quote.flags == (EXEMPT_THRESHOLD_CODE,)


# -- rollover detected from the history -------------------------------

PAL_MEMBER = dataclasses.replace(MEMBER, net_worth=usd("10000000"))
PAL_REQUEST = LoanRequest(usd("400"), 3, Frequency.MONTHLY)
PAL_STATEMENT = IncomeExpenditure(usd("4000"), (("rent", usd("900")),))
PAL_POLICY = DecisionPolicy(
    affordability=AffordabilityPolicy(minimum_margin=usd("50"), referral_band=usd("50"))
)


def pal_history(*settled: SettledLoan) -> LoanHistory:
    return LoanHistory(
        previous_loans=len(settled),
        settled_loans=settled,
        portfolio_pal_balances=usd("0"),
    )


def test_a_pal_made_within_the_window_after_a_pal_was_settled_is_a_rollover() -> None:
    for settled_on, outcome in (
        (TODAY, Outcome.DECLINE),
        (date(2026, 1, 8), Outcome.DECLINE),  # 7 days before: inside the default window
        (date(2026, 1, 7), Outcome.APPROVE),  # 8 days before: outside
    ):
        history = pal_history(SettledLoan(loan_id=7, settled_on=settled_on, pal=True))
        decision = decide(
            PAL_II_EXAMPLE,
            PAL_REQUEST,
            PAL_STATEMENT,
            member=PAL_MEMBER,
            history=history,
            policy=PAL_POLICY,
            on=TODAY,
        )
        assert decision.outcome is outcome, settled_on
        if outcome is Outcome.DECLINE:
            assert [r.code for r in decision.reasons] == ["pal.rollover"]
    wider = dataclasses.replace(PAL_POLICY, rollover_window_days=30)
    decision = decide(
        PAL_II_EXAMPLE,
        PAL_REQUEST,
        PAL_STATEMENT,
        member=PAL_MEMBER,
        history=pal_history(SettledLoan(7, date(2025, 12, 20), pal=True)),
        policy=wider,
        on=TODAY,
    )
    assert [r.code for r in decision.reasons] == ["pal.rollover"]


def test_a_self_declared_refinance_breaks_the_pal_rule_too() -> None:
    request = dataclasses.replace(PAL_REQUEST, refinances_existing=True)
    decision = decide(
        PAL_II_EXAMPLE,
        request,
        PAL_STATEMENT,
        member=PAL_MEMBER,
        history=pal_history(),
        policy=PAL_POLICY,
        on=TODAY,
    )
    assert [r.code for r in decision.reasons] == ["eligibility.rollover", "pal.rollover"]


def test_a_gb_loan_made_around_a_settlement_goes_to_a_loan_officer() -> None:
    history = LoanHistory(
        previous_loans=1, settled_loans=(SettledLoan(loan_id=41, settled_on=TODAY, pal=False),)
    )
    decision = decide(
        gb_product(),
        LoanRequest(gbp("500"), 6, Frequency.MONTHLY),
        WELL_OFF,
        member=MEMBER,
        history=history,
        policy=POLICY,
        on=date(2026, 1, 17),
    )
    assert decision.outcome is Outcome.REFER
    assert [r.code for r in decision.reasons] == ["referral.rollover"]
    assert "loan 41" in decision.reasons[0].message
    assert "2026-01-15" in decision.reasons[0].message


def test_rollover_windows_are_bounded() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(POLICY, rollover_window_days=-1)
    with pytest.raises(ValueError):
        dataclasses.replace(POLICY, rollover_window_days=91)


# -- written-off debt ------------------------------------------------


def test_written_off_debt_still_owed_is_outstanding_and_declines() -> None:
    history = LoanHistory(outstanding_loans=1, written_off_owing=1, previous_loans=1)
    decision = decide(
        gb_product(),
        LoanRequest(gbp("500"), 6, Frequency.MONTHLY),
        WELL_OFF,
        member=MEMBER,
        history=history,
        policy=POLICY,
        on=TODAY,
    )
    assert decision.outcome is Outcome.DECLINE
    assert [r.code for r in decision.reasons] == [
        "eligibility.outstanding_loans",
        "eligibility.written_off_debt",
    ]


# -- affordability: the member's other loans and the fees at the start -


def test_affordability_counts_the_instalments_of_the_members_other_loans() -> None:
    # 300 a month and nothing else; a weekly 50.00 loan costs 216.67 a month (x 52/12, up).
    history = LoanHistory(
        outstanding_loans=1,
        previous_loans=1,
        active_loans=(
            ExistingLoan(loan_id=3, instalment=gbp("50.00"), frequency=Frequency.WEEKLY),
        ),
    )
    policy = dataclasses.replace(POLICY, max_outstanding_loans=2)
    decision = decide(
        gb_product(),
        LoanRequest(gbp("500"), 6, Frequency.MONTHLY),
        IncomeExpenditure(gbp("300"), ()),
        member=MEMBER,
        history=history,
        policy=policy,
        on=TODAY,
    )
    assert decision.outcome is Outcome.DECLINE
    assert [r.code for r in decision.reasons] == ["affordability.insufficient"]
    assessed = decision.affordability
    assert assessed is not None
    assert (assessed.existing_commitments, assessed.monthly_cost, assessed.upfront_fees) == (
        gbp("216.67"),
        gbp("89.26"),
        gbp("0"),
    )
    assert assessed.disposable_after == gbp("-5.93")  # 300 - 216.67 - 89.26


def test_affordability_counts_the_fees_paid_at_the_start() -> None:
    # 500 over 6 months at 1% a month: 86.27 a month; a 25.00 arrangement fee paid from
    # the member's own money on the day the loan is made falls in the first month.
    product = gb_product(
        rate=InterestRate.monthly(Decimal("0.01")),
        fees=(Fee(FeeKind.ARRANGEMENT, gbp("25"), FeeTreatment.UPFRONT),),
    )
    decision = decide(
        product,
        LoanRequest(gbp("500"), 6, Frequency.MONTHLY),
        IncomeExpenditure(gbp("160"), ()),
        member=MEMBER,
        history=EXPERIENCED,
        policy=POLICY,
        on=TODAY,
    )
    assessed = decision.affordability
    assert assessed is not None
    assert (assessed.monthly_cost, assessed.upfront_fees) == (gbp("86.27"), gbp("25.00"))
    assert assessed.disposable_after == gbp("48.73")  # 160 - 86.27 - 25
    assert decision.outcome is Outcome.DECLINE
    assert [r.code for r in decision.reasons] == ["affordability.insufficient"]
