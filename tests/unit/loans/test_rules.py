"""Rule sets enforced on product definitions and on quotes: every refusal, by its code."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from ledger.money import Money
from loans.checks import ProductInvalid, validate_product
from loans.daycount import DayCount
from loans.facts import FactsError, LoanFacts
from loans.frequency import Frequency
from loans.product import (
    AmountRange,
    Fee,
    FeeKind,
    FeeTreatment,
    LoanProduct,
    ProductError,
    TermRange,
    TermUnit,
)
from loans.quote import Quote, QuoteRefused, quote
from loans.rate import InterestRate
from loans.rulesets.base import NoRuleInForce
from loans.rulesets.gb import GB_CREDIT_UNION, NI_CREDIT_UNION, ThresholdBehaviour, cap_in_force
from loans.rulesets.pal import PAL_I, PAL_II, rate_cap

TODAY = date(2025, 3, 3)
MEMBER = LoanFacts(membership_start=date(2020, 1, 1))


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


GB_PRODUCT = LoanProduct(
    name="Family loan",
    currency="GBP",
    amounts=AmountRange(gbp("100"), gbp("3000")),
    terms=TermRange(3, 36),
    frequencies=frozenset({Frequency.MONTHLY, Frequency.WEEKLY}),
    rate=InterestRate.monthly(Decimal("0.03")),
    rule_set=GB_CREDIT_UNION,
    min_membership_days=28,
)

PAL_PRODUCT = LoanProduct(
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

PAL_II_PRODUCT = dataclasses.replace(
    PAL_PRODUCT,
    name="PAL II",
    amounts=AmountRange(usd("100"), usd("2000")),
    terms=TermRange(1, 12),
    rule_set=PAL_II,
    min_membership_days=0,
)

PAL_MEMBER = LoanFacts(
    membership_start=date(2024, 6, 1),
    portfolio_pal_balances=usd("50000"),
    net_worth=usd("1000000"),
)


def refused(
    product: LoanProduct, amount: Money, term: int, facts: LoanFacts, **kw: object
) -> tuple[str, ...]:
    frequency = kw.get("frequency", Frequency.MONTHLY)
    on = kw.get("on", TODAY)
    with pytest.raises(QuoteRefused) as caught:
        quote(product, amount, term, frequency, on, facts)  # type: ignore[arg-type]
    return caught.value.codes


def invalid(product: LoanProduct, on: date = TODAY) -> tuple[str, ...]:
    with pytest.raises(ProductInvalid) as caught:
        validate_product(product, as_of=on)
    return caught.value.codes


# --- successful quotes, exact figures -------------------------------------------------


def test_gb_quote_at_the_cap() -> None:
    got: Quote = quote(GB_PRODUCT, gbp("1000"), 12, Frequency.MONTHLY, TODAY, MEMBER)
    # A = 1000 x 0.03 / (1 - 1.03 ** -12) = 100.4621 -> 100.46; interest rounds down.
    assert got.instalment == gbp("100.46")
    assert got.schedule.final_instalment == gbp("100.42")
    assert got.total_amount_payable == gbp("1205.48")
    assert got.total_charge_for_credit == gbp("205.48")
    assert got.apr == Decimal("42.6")
    assert got.flags == ()
    disclosure = got.disclosure
    assert disclosure.amount_of_credit == gbp("1000")
    assert disclosure.number_of_payments == 12
    assert disclosure.duration_months == Decimal(12)
    assert disclosure.first_payment_date == date(2025, 4, 3)
    assert disclosure.final_payment_date == date(2026, 3, 3)


def test_gb_weekly_quote_stays_inside_the_cap() -> None:
    # A week accrues 1.03 ** (84/365) - 1: 52 weeks are 11.97 months, so APR 42.4.
    got = quote(GB_PRODUCT, gbp("1000"), 36, Frequency.WEEKLY, TODAY, MEMBER)
    assert got.instalment == gbp("31.42")
    assert got.apr == Decimal("42.4")


def test_pal_quote_at_28_percent() -> None:
    got = quote(PAL_PRODUCT, usd("1000"), 6, Frequency.MONTHLY, TODAY, PAL_MEMBER)
    # 30/360 months at 28%: 1000 x 0.28/12 = 23.33 (down).
    assert got.instalment == usd("180.54")
    assert got.apr == Decimal("27.99")
    assert got.total_amount_payable == usd("1083.20")
    assert got.total_charge_for_credit == usd("83.20")
    assert got.disclosure.amount_of_credit == usd("1000")


def test_pal_application_fee_is_a_finance_charge() -> None:
    # The $20 fee is charged when the loan is made, so it is a finance charge in the APR
    # (12 CFR 1026.4(a)): at 20% a year on 1,000 over 6 months, APR 27.17%.
    with_fee = dataclasses.replace(
        PAL_PRODUCT,
        amounts=AmountRange(usd("1000"), usd("1000")),
        terms=TermRange(6, 6),
        rate=InterestRate.annual(Decimal("0.20")),
        fees=(Fee(FeeKind.APPLICATION, usd("20"), FeeTreatment.UPFRONT),),
    )
    validate_product(with_fee, as_of=TODAY)
    got = quote(with_fee, usd("1000"), 6, Frequency.MONTHLY, TODAY, PAL_MEMBER)
    # 30/360 months at 20%/12: 1,000 x r / (1 - (1 + r)^-6) = 176.52, the last 176.51; the
    # APR is the monthly rate that prices those six at 980.00 (1,000 less the fee), x 12.
    assert got.apr == Decimal("27.17")
    assert got.payments[0] == (TODAY, usd("20"))
    assert [amount for _, amount in got.payments[1:]] == [usd("176.52")] * 5 + [usd("176.51")]
    # 5 x 176.52 + 176.51 - 1,000 + the 20 fee.
    assert got.total_charge_for_credit == usd("79.11")
    assert got.total_charge_for_credit == got.total_amount_payable - usd("1000")


def test_pal_ii_allows_a_new_member_and_2000_over_12_months() -> None:
    new_member = dataclasses.replace(PAL_MEMBER, membership_start=TODAY)
    got = quote(PAL_II_PRODUCT, usd("2000"), 12, Frequency.MONTHLY, TODAY, new_member)
    # 30/360 accrual at exactly 28%, rounded down: never above 28.00.
    assert got.apr == Decimal("28.00")
    # A = 2000 x (0.28/12) / (1 - (1 + 0.28/12) ** -12) = 193.01
    assert got.instalment == usd("193.01")


# --- product-level refusals -----------------------------------------------------------


def test_products_in_force_validate() -> None:
    validate_product(GB_PRODUCT, as_of=TODAY)
    validate_product(PAL_PRODUCT, as_of=TODAY)
    validate_product(PAL_II_PRODUCT, as_of=TODAY)


def test_product_definitions_refuse_malformed_input() -> None:
    with pytest.raises(ProductError, match="every amount"):
        dataclasses.replace(GB_PRODUCT, amounts=AmountRange(usd("1"), usd("2")))
    with pytest.raises(ProductError, match="minimum <= maximum"):
        dataclasses.replace(GB_PRODUCT, terms=TermRange(10, 3))


def test_gb_rate_over_the_cap() -> None:
    over = dataclasses.replace(GB_PRODUCT, rate=InterestRate.monthly(Decimal("0.0301")))
    assert invalid(over) == ("gb.interest_cap",)
    assert refused(over, gbp("1000"), 12, MEMBER) == ("gb.interest_cap",)


def test_gb_annual_rate_judged_over_its_longest_month() -> None:
    # 35.4% a year x 31/365 = 3.0066% in a 31-day month: over 3%.
    over = dataclasses.replace(GB_PRODUCT, rate=InterestRate.annual(Decimal("0.354")))
    assert invalid(over) == ("gb.interest_cap",)


def test_gb_cap_exceeded_by_fees() -> None:
    # Interest at the cap plus any fee breaks it: the Act makes interest inclusive.
    with_fee = dataclasses.replace(
        GB_PRODUCT, fees=(Fee(FeeKind.ARRANGEMENT, gbp("5"), FeeTreatment.DEDUCTED),)
    )
    assert invalid(with_fee) == ("gb.interest_cap",)
    codes = refused(with_fee, gbp("3000"), 36, MEMBER)
    assert codes == ("gb.interest_cap",)


def test_gb_fee_inside_the_cap_when_the_rate_leaves_room() -> None:
    # 2% a month plus a 10.00 fee: on the smallest, shortest loan (100 over 3 months) the
    # effective rate is about 5.6% a month, so the product is refused; from 1,000 over 12
    # months it would be about 2.15%, but the corners decide.
    with_fee = dataclasses.replace(
        GB_PRODUCT,
        rate=InterestRate.monthly(Decimal("0.02")),
        fees=(Fee(FeeKind.ARRANGEMENT, gbp("10"), FeeTreatment.ADDED),),
    )
    assert invalid(with_fee) == ("gb.interest_cap",)
    roomy = dataclasses.replace(
        with_fee, amounts=AmountRange(gbp("1000"), gbp("3000")), terms=TermRange(12, 36)
    )
    validate_product(roomy, as_of=TODAY)
    got = quote(roomy, gbp("1000"), 12, Frequency.MONTHLY, TODAY, MEMBER)
    assert got.apr == Decimal("29.3")
    assert got.disclosure.amount_of_credit == gbp("1000")
    assert got.schedule.principal == gbp("1010")


def test_gb_refuses_an_early_repayment_charge() -> None:
    charged = dataclasses.replace(GB_PRODUCT, early_repayment_charge=gbp("25"))
    assert invalid(charged) == ("gb.early_repayment_charge",)


def test_ni_cap_is_one_percent_a_month() -> None:
    ni = dataclasses.replace(GB_PRODUCT, rule_set=NI_CREDIT_UNION)
    assert invalid(ni) == ("ni.interest_cap",)
    assert refused(ni, gbp("1000"), 12, MEMBER) == ("ni.interest_cap",)
    at_cap = dataclasses.replace(ni, rate=InterestRate.monthly(Decimal("0.01")))
    # 1.01 ** 12 - 1 = 12.68%: "12.68% APR or 1% per month" (fintonacreditunion.com).
    assert quote(at_cap, gbp("1000"), 12, Frequency.MONTHLY, TODAY, MEMBER).apr == Decimal("12.7")


def test_cap_effective_from_dates_pick_the_cap() -> None:
    assert cap_in_force(GB_CREDIT_UNION, on=date(2006, 6, 1)).rate == Decimal("0.02")
    assert cap_in_force(GB_CREDIT_UNION, on=date(2014, 3, 31)).rate == Decimal("0.02")
    assert cap_in_force(GB_CREDIT_UNION, on=date(2014, 4, 1)).rate == Decimal("0.03")
    # A 3% product was over the cap until the 2013 Order came into force on 1 April 2014.
    assert invalid(GB_PRODUCT, date(2014, 3, 31)) == ("gb.interest_cap",)
    validate_product(GB_PRODUCT, as_of=date(2014, 4, 1))
    veteran = LoanFacts(membership_start=date(2010, 1, 1))
    assert refused(GB_PRODUCT, gbp("1000"), 12, veteran, on=date(2014, 3, 31)) == (
        "gb.interest_cap",
    )
    with pytest.raises(NoRuleInForce):
        cap_in_force(GB_CREDIT_UNION, on=date(2006, 5, 31))


def test_configured_caps_are_data() -> None:
    four_percent = dataclasses.replace(
        GB_CREDIT_UNION,
        monthly_caps=(
            *GB_CREDIT_UNION.monthly_caps,
            dataclasses.replace(
                GB_CREDIT_UNION.monthly_caps[-1],
                effective_from=date(2026, 1, 1),
                rate=Decimal("0.04"),
            ),
        ),
    )
    product = dataclasses.replace(
        GB_PRODUCT, rule_set=four_percent, rate=InterestRate.monthly(Decimal("0.035"))
    )
    assert invalid(product, date(2025, 12, 31)) == ("gb.interest_cap",)
    validate_product(product, as_of=date(2026, 1, 1))


def test_exempt_threshold_refuse_or_flag() -> None:
    # With the threshold configured at 26.8%, a 3% a month loan (42.6%) passes it.
    lower = dataclasses.replace(GB_CREDIT_UNION, exempt_apr_threshold=Decimal("26.8"))
    flagging = dataclasses.replace(
        GB_PRODUCT, rule_set=lower, exempt_threshold=ThresholdBehaviour.FLAG
    )
    got = quote(flagging, gbp("1000"), 12, Frequency.MONTHLY, TODAY, MEMBER)
    assert got.flags == ("uk.apr_exempt_threshold",)
    refusing = dataclasses.replace(flagging, exempt_threshold=ThresholdBehaviour.REFUSE)
    assert refused(refusing, gbp("1000"), 12, MEMBER) == ("uk.apr_exempt_threshold",)


# --- quote-level refusals: the product's own limits -----------------------------------


def test_too_much_too_little_too_long_wrong_frequency() -> None:
    assert refused(GB_PRODUCT, gbp("3000.01"), 12, MEMBER) == ("product.amount_range",)
    assert refused(GB_PRODUCT, gbp("99.99"), 12, MEMBER) == ("product.amount_range",)
    assert refused(GB_PRODUCT, gbp("1000"), 37, MEMBER) == ("product.term_range",)
    assert refused(GB_PRODUCT, gbp("1000"), 12, MEMBER, frequency=Frequency.FORTNIGHTLY) == (
        "product.frequency",
    )


def test_wrong_currency_or_impossible_term_is_refused_before_pricing() -> None:
    assert refused(GB_PRODUCT, usd("1000"), 12, MEMBER) == ("product.currency",)
    assert refused(GB_PRODUCT, gbp("1000"), 0, MEMBER) == ("product.term_range",)


def test_term_range_in_months() -> None:
    in_months = dataclasses.replace(GB_PRODUCT, terms=TermRange(3, 6, TermUnit.MONTHS))
    assert refused(in_months, gbp("1000"), 7, MEMBER) == ("product.term_range",)
    # 26 weeks are 26 x 84/365 = 5.98 months.
    assert quote(in_months, gbp("1000"), 26, Frequency.WEEKLY, TODAY, MEMBER).apr == Decimal("42.4")


def test_too_soon_after_joining() -> None:
    joined = LoanFacts(membership_start=date(2025, 2, 10))
    assert refused(GB_PRODUCT, gbp("1000"), 12, joined) == ("product.membership_period",)


def test_fees_that_swallow_the_advance() -> None:
    heavy = dataclasses.replace(
        GB_PRODUCT, fees=(Fee(FeeKind.ARRANGEMENT, gbp("100"), FeeTreatment.DEDUCTED),)
    )
    assert refused(heavy, gbp("100"), 12, MEMBER) == ("product.fee_exceeds_amount",)


# --- PAL refusals ---------------------------------------------------------------------


def test_pal_amount_outside_the_rule() -> None:
    wide = dataclasses.replace(PAL_PRODUCT, amounts=AmountRange(usd("100"), usd("1500")))
    assert invalid(wide) == ("pal.amount_range",)
    assert refused(wide, usd("1200"), 6, PAL_MEMBER) == ("pal.amount_range",)
    assert refused(wide, usd("150"), 6, PAL_MEMBER) == ("pal.amount_range",)


def test_pal_term_too_long() -> None:
    long = dataclasses.replace(PAL_PRODUCT, terms=TermRange(1, 7))
    assert invalid(long) == ("pal.term_range",)
    assert refused(long, usd("600"), 7, PAL_MEMBER) == ("pal.term_range",)


def test_pal_membership_period() -> None:
    assert invalid(dataclasses.replace(PAL_PRODUCT, min_membership_days=0)) == (
        "pal.membership_period",
    )
    # Joined 10 Feb: a calendar month of membership is reached on 10 March, not 3 March.
    joined = dataclasses.replace(PAL_MEMBER, membership_start=date(2025, 2, 10))
    lenient = dataclasses.replace(PAL_PRODUCT, min_membership_days=0)
    with pytest.raises(QuoteRefused) as caught:
        quote(lenient, usd("500"), 3, Frequency.MONTHLY, TODAY, joined)
    assert caught.value.codes == ("pal.membership_period",)
    assert "needs 1 month(s) of membership by 2025-03-03" in str(caught.value)
    assert quote(
        PAL_PRODUCT, usd("500"), 3, Frequency.MONTHLY, date(2025, 3, 13), joined
    ).apr == Decimal("27.97")


def test_pal_second_loan_outstanding() -> None:
    busy = dataclasses.replace(PAL_MEMBER, outstanding_pals=1)
    assert refused(PAL_PRODUCT, usd("500"), 3, busy) == ("pal.one_outstanding",)


def test_pal_fourth_in_six_months() -> None:
    three = dataclasses.replace(
        PAL_MEMBER, pal_originations=(date(2024, 9, 3), date(2024, 11, 1), date(2025, 1, 5))
    )
    assert refused(PAL_PRODUCT, usd("500"), 3, three) == ("pal.three_in_six_months",)
    # The oldest falls out of the window the day after six months.
    older = dataclasses.replace(
        three, pal_originations=(date(2024, 9, 2), *three.pal_originations[1:])
    )
    assert quote(PAL_PRODUCT, usd("500"), 3, Frequency.MONTHLY, TODAY, older).apr == Decimal(
        "27.97"
    )


def test_pal_rollover() -> None:
    rolling = dataclasses.replace(PAL_MEMBER, refinances_existing=True)
    assert refused(PAL_PRODUCT, usd("500"), 3, rolling) == ("pal.rollover",)


def test_pal_fee_over_the_cap() -> None:
    # 1% a year leaves room for the fee in the APR: only the $20 limit is broken.
    pricey = dataclasses.replace(
        PAL_PRODUCT,
        amounts=AmountRange(usd("1000"), usd("1000")),
        rate=InterestRate.annual(Decimal("0.01")),
        fees=(Fee(FeeKind.APPLICATION, usd("20.01"), FeeTreatment.UPFRONT),),
    )
    assert invalid(pricey) == ("pal.fee_cap",)
    assert refused(pricey, usd("1000"), 3, PAL_MEMBER) == ("pal.fee_cap",)


def test_pal_rate_over_the_cap() -> None:
    assert rate_cap(PAL_I, on=TODAY) == Decimal("0.28")
    over = dataclasses.replace(PAL_PRODUCT, rate=InterestRate.annual(Decimal("0.2801")))
    assert invalid(over) == ("pal.rate_cap",)
    with pytest.raises(QuoteRefused) as caught:
        quote(over, usd("500"), 3, Frequency.MONTHLY, TODAY, PAL_MEMBER)
    assert caught.value.codes == ("pal.rate_cap",)
    # Interest rounds down, so this quote's APR is 28.00: the product rate is what fails.
    assert [v.message for v in caught.value.violations] == [
        "PAL I: interest rate 28.01% a year exceeds 28% (12 CFR 701.21(c)(7)(iii))",
    ]


def test_pal_finance_charge_pushes_the_apr_over_the_cap() -> None:
    # A $10 fee that is a finance charge, deducted from 500 at 28% over 3 months: 490
    # credit repaid by 174.50, 174.50, 174.49; numpy_financial.irr x 1200 = 40.559.
    charged = dataclasses.replace(
        PAL_PRODUCT, fees=(Fee(FeeKind.ARRANGEMENT, usd("10"), FeeTreatment.DEDUCTED),)
    )
    with pytest.raises(QuoteRefused) as caught:
        quote(charged, usd("500"), 3, Frequency.MONTHLY, TODAY, PAL_MEMBER)
    assert caught.value.codes == ("pal.rate_cap",)
    assert "APR 40.56% including finance charges exceeds 28%" in str(caught.value)


def test_pal_daily_interest_in_a_31_day_month_breaks_the_apr_cap() -> None:
    # Actual/365 at 28% over January (31 days): 1000 x 0.28 x 31/365 = 23.78 (down) for
    # a month Appendix J counts as 1/12 of a year: 2.378% x 12 = APR 28.54%, refused.
    # PAL products should accrue 30/360.
    daily = dataclasses.replace(PAL_PRODUCT, day_count=DayCount.ACT_365_FIXED)
    with pytest.raises(QuoteRefused) as caught:
        quote(daily, usd("1000"), 1, Frequency.MONTHLY, date(2025, 1, 1), PAL_MEMBER)
    assert caught.value.codes == ("pal.rate_cap",)
    assert "APR 28.54%" in str(caught.value)


def test_pal_portfolio_limit() -> None:
    # 199,600 + 500 > 20% of 1,000,000.
    full = dataclasses.replace(PAL_MEMBER, portfolio_pal_balances=usd("199600"))
    assert refused(PAL_PRODUCT, usd("500"), 3, full) == ("pal.portfolio_limit",)
    exactly = dataclasses.replace(PAL_MEMBER, portfolio_pal_balances=usd("199500"))
    assert quote(PAL_PRODUCT, usd("500"), 3, Frequency.MONTHLY, TODAY, exactly).apr == Decimal(
        "27.97"
    )
    with pytest.raises(FactsError):
        quote(PAL_PRODUCT, usd("500"), 3, Frequency.MONTHLY, TODAY, MEMBER)


def test_pal_ii_forbids_nsf_fees() -> None:
    nsf = dataclasses.replace(PAL_II_PRODUCT, nsf_fee=usd("15"))
    assert invalid(nsf) == ("pal.nsf_fee",)
    validate_product(dataclasses.replace(PAL_PRODUCT, nsf_fee=usd("15")), as_of=TODAY)


def test_pal_several_refusals_at_once() -> None:
    everything = dataclasses.replace(
        PAL_MEMBER,
        membership_start=date(2025, 3, 1),
        outstanding_pals=1,
        refinances_existing=True,
    )
    assert refused(PAL_PRODUCT, usd("500"), 3, everything) == (
        "product.membership_period",
        "pal.membership_period",
        "pal.one_outstanding",
        "pal.rollover",
    )


def test_usury_ceiling_expiry_needs_new_configuration() -> None:
    with pytest.raises(NoRuleInForce):
        quote(PAL_PRODUCT, usd("500"), 3, Frequency.MONTHLY, date(2027, 9, 11), PAL_MEMBER)
