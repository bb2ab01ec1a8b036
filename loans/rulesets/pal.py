"""NCUA payday alternative loans: PAL I (12 CFR 701.21(c)(7)(iii)) and PAL II ((7)(iv)).

PAL I: 200 to 1,000 dollars, 1 to 6 months, at least one month of membership.
PAL II: up to 2,000 dollars, 1 to 12 months, no membership wait, and no overdraft or NSF
fee on its payments (84 FR 51942). Both: an application fee of at most 20 dollars; an
interest rate at most 1,000 basis points above the NCUA Board's usury ceiling (18%,
configured with its expiry, so 28%), with the APR including finance charges tested
against it (NCUA reads finance charge as Regulation Z does); fully amortising; no
rollover; at most one PAL outstanding and three in any rolling six months per member;
the credit union's PAL balances at most 20% of its net worth.

Fees. The PAL rule allows an application fee of at most 20 dollars "charged to all
members applying for a new PAL, reflecting the actual costs associated with processing
the application", and
NCUA reads the 28% as an APR including finance charges as Regulation Z defines them.
Regulation Z 12 CFR 1026.4(a): the finance charge is "any charge payable directly or
indirectly by the consumer and imposed directly or indirectly by the creditor as an
incident to or a condition of the extension of credit"; 1026.4(c)(1) excludes only
"application fees charged to all applicants for credit, whether or not credit is
actually extended". This system charges a product's fees when the loan is made (never to
a declined applicant), so every one of them is a finance charge: it counts in the APR
tested against the 28%, and an application fee also counts against the 20 dollars. A
fee that claims the exclusion is refused. Charges for "actual unanticipated late
payment ... delinquency, default, or a similar occurrence" are not finance charges
(1026.4(c)(2)), so late fees are outside the 28% (`DefaultCharges.in_cap` is false);
PAL II allows no overdraft or NSF fee at all. A financed fee is part of the principal,
which stays within the amount limits.

Choices made here: the six-month window counts PALs made on or after the date six
calendar months before this one (inclusive, the cautious reading); the APR tested is
the unrounded one (a figure disclosed as 28.00 may be 28.004); "one month of
membership" is a calendar month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ledger.money import Money
from loans.calendar import add_months
from loans.facts import FactsError, LoanFacts
from loans.rate import InterestRate, RateBasis
from loans.rulesets.base import AprMethod, DatedRate, DefaultCharges, Violation, rate_in_force
from loans.rulesets.provisioning import CECL_LOSS_RATES, ProvisioningPolicy


class PalVariant(StrEnum):
    PAL_I = "PAL I"
    PAL_II = "PAL II"


@dataclass(frozen=True, slots=True)
class PalRules:
    variant: PalVariant
    citation: str
    currency: str
    min_amount: Money | None
    max_amount: Money
    min_term_months: int
    max_term_months: int
    min_membership_months: int
    application_fee_cap: Money
    usury_ceilings: tuple[DatedRate, ...]
    margin_over_ceiling: Decimal
    max_outstanding: int
    max_in_window: int
    window_months: int
    portfolio_share_cap: Decimal
    nsf_fee_allowed: bool
    late_fee_allowed: bool
    default_charges: DefaultCharges
    code: str = "pal"
    apr_method: AprMethod = AprMethod.US
    provisioning: ProvisioningPolicy = CECL_LOSS_RATES


# Servicing charges a late fee (and, PAL I only, a failed-payment fee) at most once per
# instalment; neither is a finance charge, so neither counts against the 28%.
_DEFAULTS_OUTSIDE_FINANCE_CHARGE = DefaultCharges(
    late_fees_per_instalment=1,
    failed_payment_fees_per_instalment=1,
    in_cap=False,
    citation="12 CFR 1026.4(c)(2): late, delinquency and default charges are not finance charges",
)

# A rate this far above the cap is the solver's last digits, not a charge: the Appendix J
# root is found to 1e-24; a cent on $2,000 for a year moves the rate by 5e-6.
APR_TOLERANCE = Decimal("1e-15")

USURY_CEILINGS = (
    DatedRate(
        date(1987, 5, 15),
        Decimal("0.18"),
        until=date(2027, 9, 10),
        source="NCUA Board temporary ceiling under 12 U.S.C. 1757(5)(A)(vi), "
        "extended on 6 Feb 2026 to 10 Sep 2027",
    ),
)

PAL_I = PalRules(
    variant=PalVariant.PAL_I,
    citation="12 CFR 701.21(c)(7)(iii)",
    currency="USD",
    min_amount=Money("200", "USD"),
    max_amount=Money("1000", "USD"),
    min_term_months=1,
    max_term_months=6,
    min_membership_months=1,
    application_fee_cap=Money("20", "USD"),
    usury_ceilings=USURY_CEILINGS,
    margin_over_ceiling=Decimal("0.10"),
    max_outstanding=1,
    max_in_window=3,
    window_months=6,
    portfolio_share_cap=Decimal("0.20"),
    nsf_fee_allowed=True,
    late_fee_allowed=True,
    default_charges=_DEFAULTS_OUTSIDE_FINANCE_CHARGE,
)

PAL_II = PalRules(
    variant=PalVariant.PAL_II,
    citation="12 CFR 701.21(c)(7)(iv)",
    currency="USD",
    min_amount=None,
    max_amount=Money("2000", "USD"),
    min_term_months=1,
    max_term_months=12,
    min_membership_months=0,
    application_fee_cap=Money("20", "USD"),
    usury_ceilings=USURY_CEILINGS,
    margin_over_ceiling=Decimal("0.10"),
    max_outstanding=1,
    max_in_window=3,
    window_months=6,
    portfolio_share_cap=Decimal("0.20"),
    nsf_fee_allowed=False,
    late_fee_allowed=True,
    default_charges=_DEFAULTS_OUTSIDE_FINANCE_CHARGE,
)


def rate_cap(rules: PalRules, *, on: date) -> Decimal:
    """The highest annual rate in force on `on`: the usury ceiling plus 1,000 basis points."""
    return rate_in_force(rules.usury_ceilings, on=on).rate + rules.margin_over_ceiling


def check_amount(rules: PalRules, *, amount: Money) -> list[Violation]:
    too_small = rules.min_amount is not None and amount < rules.min_amount
    if amount.is_positive() and not too_small and amount <= rules.max_amount:
        return []
    low = rules.min_amount.amount if rules.min_amount is not None else "more than 0"
    return [
        _violation(
            rules, "amount_range", f"{amount} is outside {low} to {rules.max_amount.amount} dollars"
        )
    ]


def check_term(rules: PalRules, *, months: Decimal) -> list[Violation]:
    if rules.min_term_months <= months <= rules.max_term_months:
        return []
    return [
        _violation(
            rules,
            "term_range",
            f"a term of {months:.2f} months is outside "
            f"{rules.min_term_months} to {rules.max_term_months} months",
        )
    ]


def check_product_membership(rules: PalRules, *, min_membership_days: int) -> list[Violation]:
    # 31 days guarantees a calendar month whatever month the member joined in.
    needed = 31 * rules.min_membership_months
    if min_membership_days >= needed:
        return []
    return [
        _violation(
            rules,
            "membership_period",
            f"the product admits members after {min_membership_days} days; "
            f"{rules.variant} requires {rules.min_membership_months} month(s) of membership",
        )
    ]


def check_fees(rules: PalRules, *, application_fees: Money) -> list[Violation]:
    if application_fees <= rules.application_fee_cap:
        return []
    return [
        _violation(
            rules,
            "fee_cap",
            f"application fee of {application_fees} exceeds {rules.application_fee_cap}",
        )
    ]


def check_rate(rules: PalRules, *, rate: InterestRate, on: date) -> list[Violation]:
    annual = rate.value * 12 if rate.basis is RateBasis.MONTHLY else rate.value
    cap = rate_cap(rules, on=on)
    if annual <= cap:
        return []
    return [_violation(rules, "rate_cap", f"interest rate {annual:.2%} a year exceeds {cap:.0%}")]


def check_apr(
    rules: PalRules, *, annual_rate: Decimal, disclosed_percent: Decimal, on: date
) -> list[Violation]:
    """The unrounded APR (a fraction, 0.28 is 28%) including finance charges against the cap."""
    cap = rate_cap(rules, on=on)
    if annual_rate <= cap + APR_TOLERANCE:
        return []
    return [
        _violation(
            rules,
            "rate_cap",
            f"APR {disclosed_percent}% including finance charges exceeds {cap * 100:.0f}% "
            f"(unrounded {annual_rate * 100:.4f}%)",
        )
    ]


def check_finance_charge_claims(
    rules: PalRules, *, claimed: list[tuple[str, Money]]
) -> list[Violation]:
    """Fees that claim to be outside the finance charge: none can be, here.

    `claimed` is (kind, amount) of each such fee. Product fees are charged when the loan
    is made, never to a declined applicant, so 12 CFR 1026.4(c)(1) does not reach them.
    """
    return [
        _violation(
            rules,
            "finance_charge",
            f"the {kind} fee of {amount} is charged only when the loan is made, so it is a "
            f'finance charge: 12 CFR 1026.4(c)(1) excludes only "application fees charged '
            f'to all applicants for credit, whether or not credit is actually extended"',
        )
        for kind, amount in claimed
    ]


def check_fee_policy(
    rules: PalRules, *, nsf_fee: Money | None, late_fee: Money | None
) -> list[Violation]:
    found = []
    if nsf_fee is not None and not rules.nsf_fee_allowed:
        found.append(
            _violation(rules, "nsf_fee", "no overdraft or NSF fee may be charged on its payments")
        )
    if late_fee is not None and not rules.late_fee_allowed:
        found.append(_violation(rules, "late_fee", "no late fee may be charged"))
    return found


def check_member(rules: PalRules, *, facts: LoanFacts, on: date) -> list[Violation]:
    """Membership, one outstanding, three in six months, and no rollover."""
    found = []
    if add_months(facts.membership_start, months=rules.min_membership_months) > on:
        found.append(
            _violation(
                rules,
                "membership_period",
                f"member since {facts.membership_start}; needs "
                f"{rules.min_membership_months} month(s) of membership by {on}",
            )
        )
    if facts.outstanding_pals >= rules.max_outstanding:
        found.append(
            _violation(rules, "one_outstanding", "the member already has a PAL outstanding")
        )
    window_start = add_months(on, months=-rules.window_months)
    recent = [day for day in facts.pal_originations if window_start <= day <= on]
    if len(recent) >= rules.max_in_window:
        found.append(
            _violation(
                rules,
                "three_in_six_months",
                f"{len(recent)} PALs since {window_start}; at most {rules.max_in_window} "
                f"in any rolling {rules.window_months} months",
            )
        )
    if facts.refinances_existing:
        found.append(_violation(rules, "rollover", "a PAL may not be rolled over or refinanced"))
    return found


def check_portfolio(rules: PalRules, *, facts: LoanFacts, amount: Money) -> list[Violation]:
    if facts.portfolio_pal_balances is None or facts.net_worth is None:
        raise FactsError("PAL quotes need the portfolio's PAL balances and net worth")
    after = facts.portfolio_pal_balances + amount
    limit = facts.net_worth.amount * rules.portfolio_share_cap
    if facts.net_worth.is_positive() and after.amount <= limit:
        return []
    return [
        _violation(
            rules,
            "portfolio_limit",
            f"PAL balances would reach {after}, above {rules.portfolio_share_cap:.0%} "
            f"of net worth {facts.net_worth}",
        )
    ]


def _violation(rules: PalRules, rule: str, detail: str) -> Violation:
    return Violation(f"{rules.code}.{rule}", f"{rules.variant}: {detail} ({rules.citation})")
