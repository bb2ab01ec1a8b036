"""Pure servicing rules: allocation order, re-deriving the schedule, affordability, decisions."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.money import Money
from loans.accrual import AccrualTerms
from loans.affordability import (
    AffordabilityPolicy,
    IncomeExpenditure,
    StatementInvalid,
    Verdict,
    assess,
    monthly_cost,
)
from loans.allocation import Allocation, Owed, PaymentExceedsBalance, allocate
from loans.codec import product_from_json, product_to_json
from loans.daycount import DayCount
from loans.decision import (
    DecisionPolicy,
    LoanHistory,
    LoanRequest,
    MemberFacts,
    Outcome,
    age_on,
    decide,
)
from loans.frequency import Frequency
from loans.product import Fee, FeeKind, FeeTreatment, LoanProduct, ProductError
from loans.rate import InterestRate
from loans.reschedule import PlannedInstalment, RescheduleError, rederive
from loans.schedule import build_schedule
from loans.services.seed import SEED_PRODUCTS
from tests.factories_loans import gb_product

TODAY = date(2026, 1, 15)


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


# -- allocation ------------------------------------------------------------------------


def test_fees_then_interest_then_principal() -> None:
    owed = Owed(fees=500, interest=1_250, principal=80_000)
    assert allocate(300, owed) == Allocation(300, 0, 0)
    assert allocate(1_000, owed) == Allocation(500, 500, 0)
    assert allocate(10_000, owed) == Allocation(500, 1_250, 8_250)
    assert allocate(owed.total, owed) == Allocation(500, 1_250, 80_000)


def test_allocation_refuses_more_than_is_owed_and_non_positive_payments() -> None:
    owed = Owed(0, 10, 100)
    with pytest.raises(PaymentExceedsBalance) as refused:
        allocate(111, owed)
    assert (refused.value.amount_minor, refused.value.owed_minor) == (111, 110)
    for amount in (0, -5):
        with pytest.raises(ValueError):
            allocate(amount, owed)
    with pytest.raises(ValueError):
        Owed(-1, 0, 0)


@settings(max_examples=200, deadline=None)
@given(
    fees=st.integers(0, 10_000),
    interest=st.integers(0, 10_000),
    principal=st.integers(0, 1_000_000),
    data=st.data(),
)
def test_allocation_is_exact_and_ordered(
    fees: int, interest: int, principal: int, data: st.DataObject
) -> None:
    owed = Owed(fees, interest, principal)
    if owed.total == 0:
        return
    amount = data.draw(st.integers(1, owed.total))
    split = allocate(amount, owed)
    assert split.total == amount
    assert split.principal == 0 or (split.fees, split.interest) == (fees, interest)
    assert split.interest == 0 or split.fees == fees


# -- re-deriving the schedule after an overpayment --------------------------------------


MONTHLY_2 = AccrualTerms(
    InterestRate.monthly(Decimal("0.02")),
    DayCount.ACT_365_FIXED,
    Frequency.MONTHLY,
    TODAY,
    ROUND_DOWN,
)


def test_overpayment_on_a_due_date_keeps_the_instalment_and_shortens_the_term() -> None:
    # 1,000.00 over 12 months at 2%: 94.56 a month. After instalment 2 (849.38 left) the
    # member pays 300.00 more: 549.38 at 94.56 clears in 7 instalments, not 10; the first
    # is a whole month's interest (549.38 x 2% = 10.98) and the last absorbs the rest.
    rows = rederive(
        MONTHLY_2,
        principal_minor=54_938,
        instalment_minor=9_456,
        paid_on=date(2026, 3, 15),
        last_number=12,
    )
    assert [(r.number, r.due_date, r.principal_minor, r.interest_minor) for r in rows] == [
        (3, date(2026, 4, 15), 8_358, 1_098),
        (4, date(2026, 5, 15), 8_525, 931),
        (5, date(2026, 6, 15), 8_695, 761),
        (6, date(2026, 7, 15), 8_869, 587),
        (7, date(2026, 8, 15), 9_047, 409),
        (8, date(2026, 9, 15), 9_228, 228),
        (9, date(2026, 10, 15), 2_216, 44),
    ]
    assert sum(r.principal_minor for r in rows) == 54_938
    assert all(r.amount_minor == 9_456 for r in rows[:-1]) and rows[-1].amount_minor < 9_456


def test_overpayment_mid_period_charges_the_rest_of_the_period_only() -> None:
    # Paid on 1 Mar, inside 15 Feb -> 15 Mar: interest to 1 Mar is paid, so the 15 Mar
    # instalment carries 2% - (1.02 ** (14 x 12/365) - 1) = 1.0844% of 500.00 = 5.42.
    rows = rederive(
        MONTHLY_2,
        principal_minor=50_000,
        instalment_minor=9_456,
        paid_on=date(2026, 3, 1),
        last_number=12,
    )
    assert rows[0] == PlannedInstalment(2, date(2026, 3, 15), 8_914, 542)
    assert rows[-1].number == 7


def test_rederive_never_runs_past_the_last_due_date() -> None:
    # An instalment below the interest cannot repay: the original last date takes it all.
    rows = rederive(
        MONTHLY_2, principal_minor=100_000, instalment_minor=100, paid_on=TODAY, last_number=3
    )
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[-1].principal_minor == 100_000
    assert (
        rederive(MONTHLY_2, principal_minor=0, instalment_minor=1, paid_on=TODAY, last_number=3)
        == ()
    )
    with pytest.raises(RescheduleError):
        rederive(
            MONTHLY_2,
            principal_minor=1,
            instalment_minor=1,
            paid_on=date(2026, 4, 15),
            last_number=3,
        )
    with pytest.raises(RescheduleError):
        rederive(MONTHLY_2, principal_minor=1, instalment_minor=0, paid_on=TODAY, last_number=3)


@settings(max_examples=60, deadline=None)
@given(
    principal=st.integers(10_00, 5_000_00),
    instalments=st.integers(2, 24),
    frequency=st.sampled_from(list(Frequency)),
    paid=st.integers(1, 90),
)
def test_rederived_rows_repay_exactly_and_never_lengthen(
    principal: int, instalments: int, frequency: Frequency, paid: int
) -> None:
    schedule = build_schedule(
        principal=Money.from_minor(principal, "GBP"),
        rate=MONTHLY_2.rate,
        instalments=instalments,
        frequency=frequency,
        disbursement_date=TODAY,
        interest_rounding=ROUND_DOWN,
    )
    terms = dataclasses.replace(MONTHLY_2, frequency=frequency)
    left = principal * paid // 100
    on = schedule.rows[0].due_date
    if left == 0 or on >= schedule.final_due_date:
        return
    rows = rederive(
        terms,
        principal_minor=left,
        instalment_minor=schedule.instalment.minor_units,
        paid_on=on,
        last_number=instalments,
    )
    assert sum(r.principal_minor for r in rows) == left
    assert rows[-1].number <= instalments
    assert [r.due_date for r in rows] == [row.due_date for row in schedule.rows[1 : len(rows) + 1]]


# -- affordability ---------------------------------------------------------------------


def statement(income: str, **outgoings: str) -> IncomeExpenditure:
    return IncomeExpenditure(gbp(income), tuple((k, gbp(v)) for k, v in outgoings.items()), 1)


def test_monthly_cost_of_each_frequency_rounds_up() -> None:
    assert monthly_cost(gbp("25.00"), Frequency.WEEKLY) == gbp("108.34")  # x 52/12 = 108.333..
    assert monthly_cost(gbp("50.00"), Frequency.FORTNIGHTLY) == gbp("108.34")
    assert monthly_cost(gbp("100.00"), Frequency.FOUR_WEEKLY) == gbp("108.34")
    assert monthly_cost(gbp("94.56"), Frequency.MONTHLY) == gbp("94.56")


def test_affordability_verdicts_around_the_margin() -> None:
    # 1,500 income - 1,200 outgoings - 25 for the dependant = 275; the margin is the larger
    # of 50 and 10% of income (150); the referral band is 50 above it (150 to 200).
    policy = AffordabilityPolicy(
        minimum_margin=gbp("50"),
        margin_share_of_income=Decimal("0.10"),
        referral_band=gbp("50"),
        allowance_per_dependant=gbp("25"),
    )
    bills = statement("1500", rent="800", food="400")
    cases = [
        ("50", Verdict.AFFORDABLE),
        ("100", Verdict.NEAR_MARGIN),
        ("126", Verdict.UNAFFORDABLE),
    ]
    for instalment, verdict in cases:
        result = assess(
            bills, instalment=gbp(instalment), frequency=Frequency.MONTHLY, policy=policy
        )
        assert result.verdict is verdict
        assert result.required_margin == gbp("150.00")
        assert result.disposable_before == gbp("275.00")


def test_statements_refuse_nonsense() -> None:
    with pytest.raises(StatementInvalid):
        statement("-1")
    with pytest.raises(StatementInvalid):
        IncomeExpenditure(gbp("100"), (("rent", gbp("1")), ("Rent", gbp("2"))))
    with pytest.raises(StatementInvalid):
        IncomeExpenditure(gbp("100"), (("rent", Money("1", "USD")),))
    with pytest.raises(StatementInvalid):
        IncomeExpenditure(gbp("100"), (("", gbp("1")),))
    with pytest.raises(StatementInvalid):
        IncomeExpenditure(gbp("100"), (), dependants=-1)
    with pytest.raises(StatementInvalid):
        IncomeExpenditure(gbp("100"), tuple((f"item {n}", gbp("1")) for n in range(41)))


# -- the automated decision --------------------------------------------------------------

POLICY = DecisionPolicy(
    affordability=AffordabilityPolicy(minimum_margin=gbp("50"), referral_band=gbp("50")),
    first_loan_referral_threshold=gbp("800"),
)
MEMBER = MemberFacts(1, "active", date(2020, 1, 1), date(1990, 5, 5))
REQUEST = LoanRequest(gbp("500"), 6, Frequency.MONTHLY)
WELL_OFF = statement("3000", rent="900")
EXPERIENCED = LoanHistory(previous_loans=2)


def test_approves_with_the_quote() -> None:
    decision = decide(
        gb_product(), REQUEST, WELL_OFF, member=MEMBER, history=EXPERIENCED, policy=POLICY, on=TODAY
    )
    assert decision.outcome is Outcome.APPROVE and decision.reasons == ()
    assert decision.quote is not None and decision.quote.instalment == gbp("89.26")


def test_declines_with_every_reason() -> None:
    young = dataclasses.replace(MEMBER, status="suspended", date_of_birth=date(2010, 1, 1))
    history = LoanHistory(
        outstanding_loans=1,
        loans_in_arrears=1,
        previous_loans=3,
        originations=(date(2025, 9, 1), date(2025, 11, 1), date(2026, 1, 2)),
    )
    policy = dataclasses.replace(POLICY, max_outstanding_loans=1)
    request = dataclasses.replace(REQUEST, amount=gbp("5000"), refinances_existing=True)
    decision = decide(
        gb_product(), request, WELL_OFF, member=young, history=history, policy=policy, on=TODAY
    )
    assert decision.outcome is Outcome.DECLINE
    assert [r.code for r in decision.reasons] == [
        "eligibility.member_not_active",
        "eligibility.under_age",
        "eligibility.outstanding_loans",
        "eligibility.in_arrears",
        "eligibility.window_limit",
        "eligibility.rollover",
        "product.amount_range",
    ]


def test_declines_what_is_unaffordable_and_refers_what_is_close() -> None:
    tight = statement("1000", rent="850")  # 150 left; 89.26 leaves 60.74: refer (50..100)
    broke = statement("1000", rent="880")  # 120 left; 89.26 leaves 30.74: decline
    for bills, outcome, code in (
        (tight, Outcome.REFER, "affordability.near_margin"),
        (broke, Outcome.DECLINE, "affordability.insufficient"),
    ):
        decision = decide(
            gb_product(),
            REQUEST,
            bills,
            member=MEMBER,
            history=EXPERIENCED,
            policy=POLICY,
            on=TODAY,
        )
        assert decision.outcome is outcome
        assert [r.code for r in decision.reasons] == [code]
    # Fourteen days a member where the product asks for thirty: the quote refuses it.
    late_joiner = dataclasses.replace(MEMBER, membership_start=date(2026, 1, 1))
    decision = decide(
        gb_product(min_membership_days=30),
        REQUEST,
        WELL_OFF,
        member=late_joiner,
        history=EXPERIENCED,
        policy=POLICY,
        on=TODAY,
    )
    assert [r.code for r in decision.reasons] == ["product.membership_period"]


def test_refers_a_large_first_loan_and_an_unknown_age() -> None:
    first = dataclasses.replace(REQUEST, amount=gbp("900"))
    decision = decide(
        gb_product(), first, WELL_OFF, member=MEMBER, history=LoanHistory(), policy=POLICY, on=TODAY
    )
    assert [r.code for r in decision.reasons] == ["referral.first_loan_above_threshold"]
    unknown = dataclasses.replace(MEMBER, date_of_birth=None)
    decision = decide(
        gb_product(),
        REQUEST,
        WELL_OFF,
        member=unknown,
        history=EXPERIENCED,
        policy=POLICY,
        on=TODAY,
    )
    assert (decision.outcome, [r.code for r in decision.reasons]) == (
        Outcome.REFER,
        ["eligibility.age_unverified"],
    )


def test_age_counts_birthdays() -> None:
    assert age_on(date(2008, 1, 16), date(2026, 1, 15)) == 17
    assert age_on(date(2008, 1, 15), date(2026, 1, 15)) == 18
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17


def test_policies_refuse_nonsense() -> None:
    for bad in ({"min_age": -1}, {"max_loans_in_window": 0}, {"offer_validity_days": 0}):
        with pytest.raises(ValueError):
            dataclasses.replace(POLICY, **bad)  # type: ignore[arg-type]


# -- products as JSON --------------------------------------------------------------------


@pytest.mark.parametrize("product", [product for _, product in SEED_PRODUCTS])
def test_products_round_trip_through_json(product: LoanProduct) -> None:
    assert product_from_json(product_to_json(product)) == product


def test_product_json_refuses_malformed_data() -> None:
    data = product_to_json(
        gb_product(fees=(Fee(FeeKind.ARRANGEMENT, gbp("5"), FeeTreatment.ADDED),))
    )
    for broken in (
        {**data, "rule_set": "xx"},
        {**data, "rate_basis": "weekly"},
        {**data, "fees": [{"kind": "arrangement"}]},
        {key: value for key, value in data.items() if key != "amounts"},
    ):
        with pytest.raises(ProductError):
            product_from_json(broken)
