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
of a loan at the cap fails, which is what "inclusive" requires.

Northern Ireland's cap is 1% a month (Credit Unions (Northern Ireland) Order 1985; the
article and commencement date were not found, so it is configured as always in force).

A credit-union agreement whose APR exceeds 42.6% is not an exempt agreement under FCA
PERG 2.7.19I G(1) and falls into full CCA/CONC regulation: a product refuses such a quote
or flags it, as it chooses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ledger.money import Money
from loans.daycount import DayCount
from loans.discounting import TimedFlow, compound_rate, discounts_above
from loans.rate import InterestRate, RateBasis
from loans.rulesets.base import AprMethod, DatedRate, Violation, rate_in_force

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
    apr_method: AprMethod = AprMethod.UK


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
)

# The longest month a day count can produce, as a fraction of a year: a product's annual
# rate times this is the most interest it can charge in one calendar month.
_LONGEST_MONTH = {
    DayCount.ACT_365_FIXED: Decimal(31) / Decimal(365),
    DayCount.ACT_360: Decimal(31) / Decimal(360),
    DayCount.ACT_ACT_ISDA: Decimal(31) / Decimal(365),
    DayCount.THIRTY_360: Decimal(30) / Decimal(360),
}


def cap_in_force(rules: CreditUnionCapRules, *, on: date) -> DatedRate:
    return rate_in_force(rules.monthly_caps, on=on)


def check_currency(rules: CreditUnionCapRules, *, currency: str) -> list[Violation]:
    if currency == rules.currency:
        return []
    return [Violation(f"{rules.code}.currency", f"{rules.name} loans are in {rules.currency}")]


def check_rate(
    rules: CreditUnionCapRules, *, rate: InterestRate, day_count: DayCount, on: date
) -> list[Violation]:
    """The product's own rate, over its longest month, against the cap in force on `on`."""
    cap = cap_in_force(rules, on=on)
    if rate.basis is RateBasis.MONTHLY:
        monthly = rate.value
    else:
        monthly = rate.value * _LONGEST_MONTH[day_count]
    if monthly <= cap.rate:
        return []
    return [_cap_violation(rules, cap, f"the product rate charges up to {monthly:.4%} a month")]


def check_effective_rate(
    rules: CreditUnionCapRules,
    *,
    advances: Sequence[TimedFlow],
    payments: Sequence[TimedFlow],
    on: date,
) -> list[Violation]:
    """Interest and every fee together, as an effective monthly rate, against the cap."""
    cap = cap_in_force(rules, on=on)
    if not discounts_above(cap.rate, advances=advances, payments=payments):
        return []
    effective = compound_rate(advances=advances, payments=payments)
    detail = f"interest and fees together cost {effective:.4%} a month"
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
