"""Credit-union interest caps in Great Britain and Northern Ireland, and the UK 42.6% line.

Great Britain: Credit Unions Act 1979 s.11(5) caps interest per month on the amount of the
loan outstanding, at a rate set by Treasury order (s.11(7)): 2% a month from 1 June 2006
(SI 2006/1276), 3% a month from 1 April 2014 (SI 2013/2589 art. 2). The Act makes that
interest inclusive of all the expenses of making the loan, so fees count against the cap.

How fees are tested against a cap on interest: the effective monthly rate of the whole
loan, i.e. the rate r at which the cash flows (credit paid out, then every instalment and
fee the member pays) discount to zero at (1 + r) per month, with time in the schedule's
month measure (whole calendar months, odd days at 365/12 to a month). That rate must not
exceed the cap. Interest alone at exactly the cap, rounded down, passes; any fee on top
of a loan at the cap fails, which is what "inclusive" requires. The fees counted are the
worst case the product allows: every fee taken when the loan is made, and on every
instalment a late fee and a failed-payment fee as often as servicing can levy them
(`DefaultCharges`), paid on the due date (the earliest, so the dearest, they can be).

The cap is per month, so it also holds period by period: no schedule period may charge
more than the cap allows for its length in the same month measure (r for a whole month,
r x W plus (1 + r) ** (d x 12/365) - 1 for W months and d days). An annual rate on a
day count is judged on the longest period any of its schedules can have: on the 30/360
bond basis 28 Feb -> 31 Mar is 33 days in one schedule month.

Northern Ireland's cap is 1% a month (Credit Unions (Northern Ireland) Order 1985; the
article and commencement date were not found, so it is configured as always in force).

A credit-union agreement whose APR exceeds 42.6% is not an exempt agreement under FCA
PERG 2.7.19I G(1) and falls into full CCA/CONC regulation: a product refuses such a quote
or flags it, as it chooses.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Final

from ledger.money import Money
from loans.accrual import AccrualTerms, period
from loans.daycount import DayCount, year_fraction_ratio
from loans.discounting import TimedFlow, compound_rate, discounts_above
from loans.frequency import Frequency
from loans.rate import InterestRate, PeriodLength, RateBasis, growth_factor
from loans.rulesets.base import AprMethod, DatedRate, DefaultCharges, Violation, rate_in_force
from loans.rulesets.provisioning import FRS102_CREDS, ProvisioningPolicy

EXEMPT_THRESHOLD_CODE = "uk.apr_exempt_threshold"


class ThresholdBehaviour(StrEnum):
    REFUSE = "refuse"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class CreditUnionCapRules:
    code: str  # prefix of this rule set's violation codes: "gb", "ni"
    name: str
    currency: str
    monthly_caps: tuple[DatedRate, ...]
    cap_citation: str
    exempt_apr_threshold: Decimal
    exempt_citation: str
    early_repayment_charge_allowed: bool
    late_fee_allowed: bool
    default_charges: DefaultCharges
    apr_method: AprMethod = AprMethod.UK
    provisioning: ProvisioningPolicy = FRS102_CREDS


# The Act says "such interest shall be inclusive" of the expenses of making the loan, and
# any fee the member must pay is inside the cap (ABCUL, "HM Treasury Guidance - Interest
# Rate Cap Increase to 3%"): a charge for a late or failed payment is inside it too.
_DEFAULTS_IN_CAP: Final = DefaultCharges(
    late_fees_per_instalment=1,
    failed_payment_fees_per_instalment=1,
    in_cap=True,
    citation="Credit Unions Act 1979 s.11(5): interest inclusive of all charges",
)


GB_CREDIT_UNION = CreditUnionCapRules(
    code="gb",
    name="Great Britain credit union",
    currency="GBP",
    monthly_caps=(
        DatedRate(date(2006, 6, 1), Decimal("0.02"), source="SI 2006/1276"),
        DatedRate(date(2014, 4, 1), Decimal("0.03"), source="SI 2013/2589 art. 2"),
    ),
    cap_citation="Credit Unions Act 1979 s.11(5)",
    exempt_apr_threshold=Decimal("42.6"),
    exempt_citation="FCA PERG 2.7.19I G(1)",
    early_repayment_charge_allowed=False,
    late_fee_allowed=True,
    default_charges=_DEFAULTS_IN_CAP,
)

NI_CREDIT_UNION = CreditUnionCapRules(
    code="ni",
    name="Northern Ireland credit union",
    currency="GBP",
    monthly_caps=(
        DatedRate(date.min, Decimal("0.01"), source="Credit Unions (Northern Ireland) Order 1985"),
    ),
    cap_citation="Credit Unions (Northern Ireland) Order 1985",
    exempt_apr_threshold=Decimal("42.6"),
    exempt_citation="FCA PERG 2.7.19I G(1)",
    early_repayment_charge_allowed=False,
    late_fee_allowed=True,
    default_charges=dataclasses.replace(
        _DEFAULTS_IN_CAP,
        citation="Credit Unions (Northern Ireland) Order 1985: interest inclusive of all charges",
    ),
)

# Every disbursement date of a four-year cycle (one leap year) gives every period length a
# schedule can have: its first period, and a later one (every later period is one of the
# same shape, anchored on a day of the month or a weekday).
_CYCLE_START: Final = date(2024, 1, 1)
_CYCLE_DAYS: Final = 4 * 365 + 1
_PRECISION: Final = 50


def cap_in_force(rules: CreditUnionCapRules, *, on: date) -> DatedRate:
    return rate_in_force(rules.monthly_caps, on=on)


def check_currency(rules: CreditUnionCapRules, *, currency: str) -> list[Violation]:
    if currency == rules.currency:
        return []
    return [Violation(f"{rules.code}.currency", f"{rules.name} loans are in {rules.currency}")]


def check_rate(
    rules: CreditUnionCapRules,
    *,
    rate: InterestRate,
    day_count: DayCount,
    frequencies: Iterable[Frequency],
    on: date,
) -> list[Violation]:
    """The product's own rate, in every period any of its schedules can have, against the cap.

    A monthly rate is inside the cap in every period exactly when it is at most the cap.
    An annual rate is judged on its tightest period: the one whose year fraction is largest
    against what the cap allows for that period's length.
    """
    cap = cap_in_force(rules, on=on)
    if rate.basis is RateBasis.MONTHLY:
        if rate.value <= cap.rate:
            return []
        return [_cap_violation(rules, cap, f"the product rate is {rate.value:.4%} a month")]
    for frequency in sorted(frequencies):
        highest, tightest = highest_annual_rate(cap.rate, day_count=day_count, frequency=frequency)
        if rate.value > highest:
            charged = rate.value * _fraction(tightest, day_count)
            detail = (
                f"{rate.value:.4%} a year on {day_count.value} charges {charged:.4%} from "
                f"{tightest.start} to {tightest.end} ({_length(tightest)}), more than the cap "
                f"allows for that period; {frequency.value} schedules need at most "
                f"{highest.quantize(Decimal('0.000001'), ROUND_DOWN):%} a year"
            )
            return [_cap_violation(rules, cap, detail)]
    return []


def check_periods(
    rules: CreditUnionCapRules,
    *,
    rate: InterestRate,
    day_count: DayCount,
    periods: Iterable[PeriodLength],
    on: date,
) -> list[Violation]:
    """Each period of one schedule against what the cap allows for its length."""
    cap = cap_in_force(rules, on=on)
    for length in periods:
        charged = growth_factor(rate, period=length, day_count=day_count)
        if charged > period_allowance(cap.rate, length):
            detail = (
                f"the rate charges {charged:.4%} from {length.start} to {length.end} "
                f"({_length(length)})"
            )
            return [_cap_violation(rules, cap, detail)]
    return []


def period_allowance(cap: Decimal, length: PeriodLength) -> Decimal:
    """The most the cap allows in a period: cap x whole months plus the part-month figure."""
    return growth_factor(InterestRate.monthly(cap), period=length, day_count=DayCount.ACT_365_FIXED)


@functools.cache
def highest_annual_rate(
    cap: Decimal, *, day_count: DayCount, frequency: Frequency
) -> tuple[Decimal, PeriodLength]:
    """The highest annual rate on `day_count` inside `cap` in every period, and its tightest
    period (the one that sets it)."""
    # Per period shape (whole months, extra days) the cap allows the same; keep the period
    # of that shape with the largest year fraction.
    longest: dict[tuple[int, int], tuple[Decimal, PeriodLength]] = {}
    for offset in range(_CYCLE_DAYS):
        terms = AccrualTerms(
            rate=InterestRate.annual(Decimal(0)),
            day_count=day_count,
            frequency=frequency,
            disbursed_on=_CYCLE_START + timedelta(days=offset),
            interest_rounding=ROUND_DOWN,
        )
        for number in (1, 2):
            length = period(terms, number).length
            shape = (length.whole_months, length.extra_days)
            fraction = _fraction(length, day_count)
            if shape not in longest or fraction > longest[shape][0]:
                longest[shape] = (fraction, length)
    with decimal.localcontext(prec=_PRECISION):
        allowed = [
            (period_allowance(cap, length) / fraction, length)
            for fraction, length in longest.values()
            if fraction > 0
        ]
    return min(allowed, key=lambda pair: pair[0])


def _fraction(length: PeriodLength, day_count: DayCount) -> Decimal:
    ratio = year_fraction_ratio(length.start, length.end, convention=day_count)
    with decimal.localcontext(prec=_PRECISION):
        return Decimal(ratio.numerator) / Decimal(ratio.denominator)


def _length(length: PeriodLength) -> str:
    days = (length.end - length.start).days
    if length.extra_days == 0:
        return f"{length.whole_months} month(s) in the schedule's measure, {days} days"
    return (
        f"{length.whole_months} month(s) and {length.extra_days} day(s) in the schedule's "
        f"measure, {days} days"
    )


def check_effective_rate(
    rules: CreditUnionCapRules,
    *,
    advances: Sequence[TimedFlow],
    payments: Sequence[TimedFlow],
    on: date,
    worst_case: str = "",
) -> list[Violation]:
    """Interest and every fee together, as an effective monthly rate, against the cap.

    `worst_case` names the default charges the payments include, if any.
    """
    cap = cap_in_force(rules, on=on)
    if not discounts_above(cap.rate, advances=advances, payments=payments):
        return []
    effective = compound_rate(advances=advances, payments=payments)
    detail = f"interest and fees together cost {effective:.4%} a month"
    if worst_case:
        detail = f"with the worst case of charges the product allows ({worst_case}), {detail}"
    return [_cap_violation(rules, cap, detail)]


def check_charges(
    rules: CreditUnionCapRules, *, early_repayment_charge: Money | None, late_fee: Money | None
) -> list[Violation]:
    found = []
    if early_repayment_charge is not None and not rules.early_repayment_charge_allowed:
        found.append(
            Violation(
                f"{rules.code}.early_repayment_charge",
                f"{rules.name} loans may be repaid early at no charge: interest is only due "
                f"on the reducing balance and is inclusive of all charges ({rules.cap_citation})",
            )
        )
    if late_fee is not None and not rules.late_fee_allowed:
        found.append(Violation(f"{rules.code}.late_fee", f"{rules.name} loans take no late fee"))
    return found


def check_fee_claims(
    rules: CreditUnionCapRules, *, claimed: list[tuple[str, Money]]
) -> list[Violation]:
    """Fees that claim to be outside the charge for credit: none can be under a UK rule set.

    `claimed` is (kind, amount) of each such fee. The total charge for credit includes
    every fee the member must pay (SI 2010/1011 reg. 4) and the cap includes all charges.
    """
    return [
        Violation(
            f"{rules.code}.finance_charge",
            f"the {kind} fee of {amount} is a charge for credit and inside the cap: "
            f"{rules.name} interest is inclusive of all charges ({rules.cap_citation})",
        )
        for kind, amount in claimed
    ]


def check_exempt_threshold(
    rules: CreditUnionCapRules, *, apr_percent: Decimal, behaviour: ThresholdBehaviour
) -> tuple[list[Violation], list[str]]:
    """(violations, flags) for an APR above the exempt-agreement threshold."""
    if apr_percent <= rules.exempt_apr_threshold:
        return [], []
    if behaviour is ThresholdBehaviour.FLAG:
        return [], [EXEMPT_THRESHOLD_CODE]
    message = (
        f"APR {apr_percent}% exceeds {rules.exempt_apr_threshold}%: the agreement would not be "
        f"exempt ({rules.exempt_citation}) and this product refuses regulated agreements"
    )
    return [Violation(EXEMPT_THRESHOLD_CODE, message)], []


def _cap_violation(rules: CreditUnionCapRules, cap: DatedRate, detail: str) -> Violation:
    return Violation(
        f"{rules.code}.interest_cap",
        f"{detail}, above the cap of {cap.rate:.0%} a month on the reducing balance "
        f"({rules.cap_citation}; {cap.source}), fees included",
    )
