"""Every charge a member can be made to pay, tested against its rule set's cap.

Regressions for "Lending that a regulator would pass" (items 1, 2, 3 and 10) and its
second part (items 4 and 5): fees outside the APR, fees outside the caps, default charges
never tested, a financed fee over the PAL II limit, a day count that breaks lawful PALs,
a single GB month above the cap, and the PAL APR tested after rounding.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ledger.money import Money
from loans.apr import us_apr_details
from loans.checks import ProductInvalid, instalment_bounds, validate_product
from loans.daycount import DayCount, year_fraction_ratio
from loans.discounting import discounts_above
from loans.facts import LoanFacts
from loans.frequency import Frequency
from loans.product import (
    AmountRange,
    Fee,
    FeeKind,
    FeeTreatment,
    LoanProduct,
    TermRange,
    TermUnit,
)
from loans.quote import Quote, QuoteRefused, quote
from loans.rate import InterestRate, growth_factor
from loans.rulesets.gb import GB_CREDIT_UNION, NI_CREDIT_UNION
from loans.rulesets.pal import PAL_I, PAL_II, PalRules
from loans.services.seed import PAL_I_EXAMPLE, PAL_II_EXAMPLE, SEED_PRODUCTS

TODAY = date(2025, 3, 3)
PAL_MEMBER = LoanFacts(
    membership_start=date(2020, 1, 1),
    portfolio_pal_balances=Money("0", "USD"),
    net_worth=Money("10000000", "USD"),
)
GB_MEMBER = LoanFacts(membership_start=date(2020, 1, 1))


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def invalid(product: LoanProduct, on: date = TODAY) -> tuple[str, ...]:
    with pytest.raises(ProductInvalid) as caught:
        validate_product(product, as_of=on)
    return caught.value.codes


def refused(
    product: LoanProduct,
    amount: Money,
    term: int,
    facts: LoanFacts,
    *,
    on: date = TODAY,
    frequency: Frequency = Frequency.MONTHLY,
) -> QuoteRefused:
    with pytest.raises(QuoteRefused) as caught:
        quote(product, amount, term, frequency, on, facts)
    return caught.value


PAL_AT_28 = LoanProduct(
    name="PAL I",
    currency="USD",
    amounts=AmountRange(usd("200"), usd("1000")),
    terms=TermRange(1, 6),
    frequencies=frozenset({Frequency.MONTHLY}),
    rate=InterestRate.annual(Decimal("0.28")),
    rule_set=PAL_I,
    min_membership_days=31,
    day_count=DayCount.THIRTY_360_US,
)

GB_WEEKLY = LoanProduct(
    name="Short loan",
    currency="GBP",
    amounts=AmountRange(gbp("200"), gbp("1000")),
    terms=TermRange(12, 52),
    frequencies=frozenset({Frequency.WEEKLY}),
    rate=InterestRate.monthly(Decimal("0.02")),
    rule_set=GB_CREDIT_UNION,
)


# --- item 1: the PAL application fee charged only when the loan is made -------------------


def test_a_fee_charged_at_disbursement_is_a_finance_charge_in_the_apr() -> None:
    # $200 for one month at 28% with the $20 fee taken when the loan is made: the fee is
    # a prepaid finance charge (12 CFR 1026.4(a)), so 180 is financed and 204.66 repaid a
    # month later: 13.7% a month, APR 164.40%. Before the fix the fee was left out (27.96%).
    fee = Fee(FeeKind.APPLICATION, usd("20"), FeeTreatment.UPFRONT)
    product = dataclasses.replace(PAL_AT_28, fees=(fee,))
    caught = refused(product, usd("200"), 1, PAL_MEMBER)
    assert caught.codes == ("pal.rate_cap",)
    assert "APR 164.40%" in str(caught)


def test_an_application_fee_cannot_claim_the_all_applicants_exclusion() -> None:
    # 1026.4(c)(1) excludes only a fee charged to every applicant whether or not credit is
    # extended; product fees are charged when the loan is made, so the claim is refused.
    claimed = Fee(FeeKind.APPLICATION, usd("20"), FeeTreatment.UPFRONT, finance_charge=False)
    product = dataclasses.replace(
        PAL_AT_28, rate=InterestRate.annual(Decimal("0.10")), fees=(claimed,)
    )
    assert "pal.finance_charge" in invalid(product)


def test_a_stored_exclusion_claim_is_still_priced_as_a_finance_charge() -> None:
    # A product stored before the rule (the old seed) quotes with its fee in the APR, so
    # the quote, the offer and the disclosure all show the same, lawful figure or refuse.
    claimed = Fee(FeeKind.APPLICATION, usd("20"), FeeTreatment.UPFRONT, finance_charge=False)
    product = dataclasses.replace(PAL_AT_28, fees=(claimed,))
    caught = refused(product, usd("200"), 1, PAL_MEMBER)
    assert "pal.rate_cap" in caught.codes


def test_seeded_pal_products_are_lawful_and_charge_no_fee_outside_the_apr() -> None:
    for code, product in SEED_PRODUCTS:
        validate_product(product, as_of=TODAY)
        assert all(fee.finance_charge for fee in product.fees), code
    got = quote(PAL_I_EXAMPLE, usd("200"), 1, Frequency.MONTHLY, TODAY, PAL_MEMBER)
    unrounded = us_apr_details(got.advances, got.payments).annual_rate
    assert unrounded <= Decimal("0.28")
    assert got.disclosure.total_charge_for_credit == got.total_amount_payable - usd("200")


# --- item 2: a fee of any other kind inside the PAL caps ---------------------------------


def test_an_arrangement_fee_outside_the_finance_charge_is_refused() -> None:
    # $300 on a $1,000 PAL, marked as no finance charge: was accepted at 28.00%.
    arrangement = Fee(FeeKind.ARRANGEMENT, usd("300"), FeeTreatment.DEDUCTED, finance_charge=False)
    product = dataclasses.replace(
        PAL_AT_28, amounts=AmountRange(usd("1000"), usd("1000")), fees=(arrangement,)
    )
    codes = invalid(product)
    assert "pal.finance_charge" in codes
    assert "pal.rate_cap" in codes
    assert "pal.rate_cap" in refused(product, usd("1000"), 6, PAL_MEMBER).codes


def test_a_small_fee_with_room_under_the_rate_is_accepted() -> None:
    # 20% a year plus a $10 arrangement fee on 1,000 over 6 months: about 23.9%.
    fee = Fee(FeeKind.ARRANGEMENT, usd("10"), FeeTreatment.DEDUCTED)
    product = dataclasses.replace(
        PAL_AT_28,
        amounts=AmountRange(usd("1000"), usd("1000")),
        terms=TermRange(6, 6),
        rate=InterestRate.annual(Decimal("0.20")),
        fees=(fee,),
    )
    validate_product(product, as_of=TODAY)
    got = quote(product, usd("1000"), 6, Frequency.MONTHLY, TODAY, PAL_MEMBER)
    assert Decimal("23") < got.apr < Decimal("28")
    assert got.disclosure.amount_of_credit == usd("990")


def test_the_twenty_dollar_limit_counts_every_application_fee() -> None:
    two = (
        Fee(FeeKind.APPLICATION, usd("15"), FeeTreatment.UPFRONT),
        Fee(FeeKind.APPLICATION, usd("15"), FeeTreatment.DEDUCTED),
    )
    product = dataclasses.replace(
        PAL_AT_28,
        amounts=AmountRange(usd("1000"), usd("1000")),
        rate=InterestRate.annual(Decimal("0.01")),
        fees=two,
    )
    assert "pal.fee_cap" in invalid(product)


# --- item 3: GB and NI default charges inside the cap --------------------------------------


def test_gb_rule_set_bounds_default_charges_as_data() -> None:
    assert GB_CREDIT_UNION.default_charges.late_fees_per_instalment == 1
    assert GB_CREDIT_UNION.default_charges.failed_payment_fees_per_instalment == 1
    assert GB_CREDIT_UNION.default_charges.in_cap
    assert NI_CREDIT_UNION.default_charges.in_cap
    assert not PAL_I.default_charges.in_cap


def test_gb_late_and_failed_payment_fees_that_break_the_cap_are_refused() -> None:
    # £200 over 12 weeks with £12 late and £12 failed-payment fees: 102.7% a month if every
    # instalment attracts both. Before the fix the product and its quotes were accepted.
    fees = dataclasses.replace(GB_WEEKLY, late_fee=gbp("12"), nsf_fee=gbp("12"))
    assert invalid(fees) == ("gb.interest_cap",)
    caught = refused(fees, gbp("200"), 12, GB_MEMBER, frequency=Frequency.WEEKLY)
    assert caught.codes == ("gb.interest_cap",)
    assert "worst case" in str(caught)


def test_ni_late_fee_is_tested_against_one_percent() -> None:
    product = LoanProduct(
        name="NI loan",
        currency="GBP",
        amounts=AmountRange(gbp("500"), gbp("2000")),
        terms=TermRange(6, 12),
        frequencies=frozenset({Frequency.MONTHLY}),
        rate=InterestRate.monthly(Decimal("0.009")),
        rule_set=NI_CREDIT_UNION,
        late_fee=gbp("5"),
    )
    assert invalid(product) == ("ni.interest_cap",)
    validate_product(dataclasses.replace(product, late_fee=gbp("0.20")), as_of=TODAY)


def test_gb_default_charges_with_room_under_the_cap_are_accepted() -> None:
    # 1% a month and £2 + £2 on each monthly instalment of at least £1,000 over 12: the
    # worst case is under 2% a month.
    roomy = dataclasses.replace(
        GB_WEEKLY,
        amounts=AmountRange(gbp("1000"), gbp("2000")),
        terms=TermRange(6, 12),
        frequencies=frozenset({Frequency.MONTHLY}),
        rate=InterestRate.monthly(Decimal("0.01")),
        late_fee=gbp("2"),
        nsf_fee=gbp("2"),
    )
    validate_product(roomy, as_of=TODAY)
    got = quote(roomy, gbp("1000"), 12, Frequency.MONTHLY, TODAY, GB_MEMBER)
    assert got.instalment == gbp("88.85")
    # The same fees on £200 weekly instalments are far over the cap.
    assert invalid(dataclasses.replace(roomy, frequencies=frozenset({Frequency.WEEKLY}))) == (
        "gb.interest_cap",
    )


# --- item 10: a financed fee over the PAL II limit; a day count that keeps lawful PALs -----


def test_a_financed_fee_cannot_take_a_pal_ii_principal_over_2000() -> None:
    financed = Fee(FeeKind.APPLICATION, usd("20"), FeeTreatment.ADDED)
    product = dataclasses.replace(
        PAL_AT_28,
        name="PAL II",
        rule_set=PAL_II,
        amounts=AmountRange(usd("1000"), usd("2000")),
        terms=TermRange(12, 12),
        rate=InterestRate.annual(Decimal("0.20")),
        min_membership_days=0,
        fees=(financed,),
    )
    assert "pal.amount_range" in invalid(product)
    caught = refused(product, usd("2000"), 12, PAL_MEMBER)
    assert "pal.amount_range" in caught.codes
    assert "2020" in str(caught)


def test_thirty_360_us_never_counts_more_than_thirty_days_in_a_month() -> None:
    us = DayCount.THIRTY_360_US
    assert year_fraction_ratio(date(2025, 1, 31), date(2025, 2, 28), convention=us) == Fraction(
        28, 360
    )
    assert year_fraction_ratio(date(2025, 2, 28), date(2025, 3, 31), convention=us) == Fraction(
        30, 360
    )
    assert year_fraction_ratio(date(2024, 2, 29), date(2024, 3, 31), convention=us) == Fraction(
        30, 360
    )
    assert year_fraction_ratio(date(2025, 2, 28), date(2025, 2, 28), convention=us) == 0
    assert year_fraction_ratio(date(2024, 12, 31), date(2025, 1, 31), convention=us) == Fraction(
        30, 360
    )
    # The bond basis counts 33 days from 28 Feb to 31 Mar.
    bond = DayCount.THIRTY_360
    assert year_fraction_ratio(date(2025, 2, 28), date(2025, 3, 31), convention=bond) == Fraction(
        33, 360
    )


@pytest.mark.parametrize("drawn", [date(2025, 12, 31), date(2026, 1, 31), date(2024, 12, 31)])
def test_lawful_pals_drawn_on_a_month_end_are_quoted(drawn: date) -> None:
    # 28% on 30/360 bond basis was refused at 28.05% to 28.12% for these dates (28 Feb to
    # 31 Mar counts 33 days); 30/360 US counts at most 30 days in any month.
    product = dataclasses.replace(
        PAL_AT_28,
        name="PAL II",
        rule_set=PAL_II,
        amounts=AmountRange(usd("100"), usd("2000")),
        terms=TermRange(1, 12),
        min_membership_days=0,
    )
    for term in (5, 6, 12):
        got = quote(product, usd("2000"), term, Frequency.MONTHLY, drawn, PAL_MEMBER)
        assert us_apr_details(got.advances, got.payments).annual_rate <= Decimal("0.28")
    assert PAL_II_EXAMPLE.day_count is DayCount.THIRTY_360_US


# --- no single GB month above the cap -------------------------------------


def test_gb_thirty_360_bond_basis_charges_over_three_percent_in_one_month() -> None:
    # 36% a year on the bond basis averages 3% a month, but 28 Feb -> 31 Mar is 33 days
    # (3.3%) and 28 Feb -> 30 Mar 32 days (3.2%) in a month the schedule counts as one.
    bond = LoanProduct(
        name="Bond basis",
        currency="GBP",
        amounts=AmountRange(gbp("100"), gbp("1000")),
        terms=TermRange(3, 12),
        frequencies=frozenset({Frequency.MONTHLY}),
        rate=InterestRate.annual(Decimal("0.36")),
        rule_set=GB_CREDIT_UNION,
        day_count=DayCount.THIRTY_360,
    )
    assert invalid(bond) == ("gb.interest_cap",)
    caught = refused(bond, gbp("1000"), 3, GB_MEMBER, on=date(2025, 1, 30))
    assert caught.codes == ("gb.interest_cap",)
    # At 3% x 360/33 = 32.72% a year no bond-basis month exceeds 3%.
    validate_product(
        dataclasses.replace(bond, rate=InterestRate.annual(Decimal("0.3272"))), as_of=TODAY
    )


def test_gb_weekly_thirty_360_week_across_february_is_judged_as_a_week() -> None:
    # 25 Feb -> 4 Mar is 9 days on 30/360: 32.7% a year charges 0.82% in 7 days, above
    # what 3% a month allows for a week (1.03 ** (84/365) - 1 = 0.683%).
    weekly = LoanProduct(
        name="Weekly bond basis",
        currency="GBP",
        amounts=AmountRange(gbp("100"), gbp("1000")),
        terms=TermRange(4, 52),
        frequencies=frozenset({Frequency.WEEKLY}),
        rate=InterestRate.annual(Decimal("0.3272")),
        rule_set=GB_CREDIT_UNION,
        day_count=DayCount.THIRTY_360,
    )
    assert invalid(weekly) == ("gb.interest_cap",)


# --- the PAL cap tested on the unrounded APR ------------------------------


def test_pal_apr_just_over_28_percent_is_refused_though_it_rounds_to_28() -> None:
    # 27.48% a year, Actual/365, $2,000 for January (31 days): 46.67 interest, an APR of
    # 28.002% disclosed as 28.00 and accepted before the fix.
    product = dataclasses.replace(
        PAL_AT_28,
        name="PAL II",
        rule_set=PAL_II,
        amounts=AmountRange(usd("100"), usd("2000")),
        min_membership_days=0,
        rate=InterestRate.annual(Decimal("0.2748")),
        day_count=DayCount.ACT_365_FIXED,
    )
    caught = refused(product, usd("2000"), 1, PAL_MEMBER, on=date(2025, 1, 10))
    assert caught.codes == ("pal.rate_cap",)
    assert "28.002" in str(caught)
    # Exactly 28% (35.00 on 1,500 for a month) is at the cap, not over it.
    got = quote(product, usd("1500"), 1, Frequency.MONTHLY, date(2025, 1, 10), PAL_MEMBER)
    assert got.apr == Decimal("28.00")


# --- done when: no valid product can charge a member more than its cap --------------------

GB_CAPS = {GB_CREDIT_UNION.code: Decimal("0.03"), NI_CREDIT_UNION.code: Decimal("0.01")}
PAL_RATE_CAP = Decimal("0.28")
DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 30))


def _money(draw: st.DrawFn, currency: str, low_minor: int, high_minor: int) -> Money:
    return Money.from_minor(draw(st.integers(low_minor, high_minor)), currency)


def _fees(draw: st.DrawFn, currency: str, high_minor: int) -> tuple[Fee, ...]:
    return tuple(
        Fee(
            draw(st.sampled_from(list(FeeKind))),
            _money(draw, currency, 1, high_minor),
            draw(st.sampled_from(list(FeeTreatment))),
            finance_charge=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 2)))
    )


def _optional_fee(draw: st.DrawFn, currency: str, high_minor: int) -> Money | None:
    return draw(st.none() | st.integers(1, high_minor).map(lambda m: Money.from_minor(m, currency)))


@st.composite
def any_products(draw: st.DrawFn) -> LoanProduct:
    """Products under every rule set, many of them lawful, many not."""
    rules = draw(st.sampled_from([GB_CREDIT_UNION, NI_CREDIT_UNION, PAL_I, PAL_II]))
    day_count = draw(st.sampled_from(list(DayCount)))
    if isinstance(rules, PalRules):
        low = draw(st.integers(1_00, 2000_00))
        high = draw(st.integers(low, 2000_00))
        shortest = draw(st.integers(1, 12))
        return LoanProduct(
            name="generated PAL",
            currency="USD",
            amounts=AmountRange(Money.from_minor(low, "USD"), Money.from_minor(high, "USD")),
            terms=TermRange(shortest, draw(st.integers(shortest, 12)), TermUnit.MONTHS),
            frequencies=frozenset({Frequency.MONTHLY}),
            rate=InterestRate.annual(Decimal(draw(st.integers(0, 2900))) / 10000),
            rule_set=rules,
            fees=_fees(draw, "USD", 25_00),
            min_membership_days=31,
            day_count=day_count,
            late_fee=_optional_fee(draw, "USD", 20_00),
        )
    cap_bp = 300 if rules is GB_CREDIT_UNION else 100
    if draw(st.booleans()):
        rate = InterestRate.monthly(Decimal(draw(st.integers(0, cap_bp))) / 10000)
    else:
        rate = InterestRate.annual(Decimal(draw(st.integers(0, 12 * cap_bp + 100))) / 10000)
    low = draw(st.integers(50_00, 2000_00))
    shortest = draw(st.integers(1, 24))
    return LoanProduct(
        name="generated",
        currency="GBP",
        amounts=AmountRange(
            Money.from_minor(low, "GBP"), Money.from_minor(draw(st.integers(low, 5000_00)), "GBP")
        ),
        terms=TermRange(shortest, draw(st.integers(shortest, 60))),
        frequencies=frozenset(draw(st.sets(st.sampled_from(list(Frequency)), min_size=1))),
        rate=rate,
        rule_set=rules,
        fees=_fees(draw, "GBP", 30_00),
        day_count=day_count,
        late_fee=_optional_fee(draw, "GBP", 15_00),
        nsf_fee=_optional_fee(draw, "GBP", 15_00),
    )


def _worst_case_within_gb_cap(product: LoanProduct, got: Quote, cap: Decimal) -> None:
    # Interest, every fee the product charges and, on every instalment, its late fee and
    # its failed-payment fee paid on the due date: the effective monthly rate is inside
    # the cap, and no period charges more than the cap allows for its length.
    schedule = got.schedule
    currency = product.currency
    default = sum(
        (fee for fee in (product.late_fee, product.nsf_fee) if fee is not None),
        Money.zero(currency),
    )
    deducted = [fee.amount for fee in product.fees if fee.treatment is FeeTreatment.DEDUCTED]
    upfront = [fee.amount for fee in product.fees if fee.treatment is FeeTreatment.UPFRONT]
    advanced = got.amount.amount - sum((fee.amount for fee in deducted), Decimal(0))
    payments = [(Fraction(0), fee.amount) for fee in upfront]
    elapsed = Fraction(0)
    for row in schedule.rows:
        elapsed += row.period.months
        payments.append((elapsed, row.instalment.amount + default.amount))
        charged = growth_factor(product.rate, period=row.period, day_count=product.day_count)
        allowed = growth_factor(
            InterestRate.monthly(cap), period=row.period, day_count=product.day_count
        )
        assert charged <= allowed, (row.period, charged, allowed)
    assert not discounts_above(cap, advances=[(Fraction(0), advanced)], payments=payments)


def _within_pal_caps(product: LoanProduct, got: Quote, rules: PalRules) -> None:
    # Every fee is a finance charge: the credit is the amount less deducted fees, upfront
    # fees are paid at consummation; the unrounded APR is at most 28%.
    currency = product.currency
    deducted = sum(
        (f.amount for f in product.fees if f.treatment is FeeTreatment.DEDUCTED),
        Money.zero(currency),
    )
    upfront = sum(
        (f.amount for f in product.fees if f.treatment is FeeTreatment.UPFRONT),
        Money.zero(currency),
    )
    application = sum(
        (f.amount for f in product.fees if f.kind is FeeKind.APPLICATION), Money.zero(currency)
    )
    assert application <= rules.application_fee_cap
    assert got.schedule.principal <= rules.max_amount
    start = got.schedule.disbursement_date
    advances = [(start, got.amount - deducted)]
    payments = [(row.due_date, row.instalment) for row in got.schedule.rows if row.instalment]
    if upfront.is_positive():
        payments.insert(0, (start, upfront))
    assert us_apr_details(advances, payments).annual_rate <= PAL_RATE_CAP + Decimal("1e-15")


@settings(max_examples=250, deadline=None)
@given(product=any_products(), data=st.data(), on=DATES)
def test_no_valid_product_can_charge_more_than_its_cap(
    product: LoanProduct, data: st.DataObject, on: date
) -> None:
    try:
        validate_product(product, as_of=on)
    except ProductInvalid:
        event("product refused")
        return
    frequency = data.draw(st.sampled_from(sorted(product.frequencies)))
    low, high = product.amounts.minimum.minor_units, product.amounts.maximum.minor_units
    amount = Money.from_minor(data.draw(st.integers(low, high)), product.currency)
    term = data.draw(st.integers(*instalment_bounds(product, frequency=frequency)))
    # Quoted on the day the product was checked, or later while the usury ceiling is
    # configured (it expires on 10 Sep 2027).
    later = min(on + timedelta(days=data.draw(st.integers(1, 800))), date(2027, 9, 10))
    drawn = data.draw(st.sampled_from([on, later]))
    facts = PAL_MEMBER if isinstance(product.rule_set, PalRules) else GB_MEMBER
    try:
        got = quote(product, amount, term, frequency, drawn, facts)
    except QuoteRefused:
        event("quote refused")
        return
    rules = product.rule_set
    event(f"{rules.code} quote checked")
    if isinstance(rules, PalRules):
        _within_pal_caps(product, got, rules)
    else:
        _worst_case_within_gb_cap(product, got, GB_CAPS[rules.code])
    # Nothing a valid product claims keeps a fee out of the charge for credit.
    assert all(fee.finance_charge for fee in product.fees)


def test_a_gb_fee_cannot_claim_to_be_outside_the_charge_for_credit() -> None:
    claimed = Fee(FeeKind.ARRANGEMENT, gbp("1"), FeeTreatment.ADDED, finance_charge=False)
    product = dataclasses.replace(
        GB_WEEKLY, amounts=AmountRange(gbp("1000"), gbp("1000")), fees=(claimed,)
    )
    assert invalid(product) == ("gb.finance_charge",)


def test_charges_no_rate_can_balance_are_refused_as_over_the_cap() -> None:
    # A $20 fee paid upfront on $1 of credit: no APR balances the flows. Validation and
    # the quote used to raise AprNotFound; both refuse it as over the cap.
    fee = Fee(FeeKind.APPLICATION, usd("20"), FeeTreatment.UPFRONT)
    product = dataclasses.replace(
        PAL_AT_28,
        rule_set=PAL_II,
        amounts=AmountRange(usd("1"), usd("1")),
        min_membership_days=0,
        fees=(fee,),
    )
    assert invalid(product) == ("pal.rate_cap",)
    assert refused(product, usd("1"), 1, PAL_MEMBER).codes == ("pal.rate_cap",)
