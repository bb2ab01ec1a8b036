"""Rule-set checks on a product definition and on a priced quote, as lists of violations."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction

from ledger.errors import Refused
from ledger.money import Money
from loans.apr import AprNotFound, apr_us, us_apr_details
from loans.calendar import DAYS_PER_EQUAL_MONTH
from loans.facts import LoanFacts
from loans.frequency import Frequency
from loans.pricing import FeesExceedCredit, Priced, financed_fees, price
from loans.product import FeeKind, LoanProduct, TermUnit
from loans.rulesets import gb, pal
from loans.rulesets.base import Violation
from loans.rulesets.gb import CreditUnionCapRules
from loans.rulesets.pal import PalRules

FEES_CODE = "product.fee_exceeds_amount"


class ProductInvalid(Refused, ValueError):
    """A product that breaks its rule set; `violations` names each rule."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.code}: {v.message}" for v in violations))

    @property
    def codes(self) -> tuple[str, ...]:
        """Each broken rule's code once, in the order first found."""
        return tuple(dict.fromkeys(v.code for v in self.violations))


def validate_product(product: LoanProduct, *, as_of: date) -> None:
    """Raise `ProductInvalid` unless the product complies with its rule set on `as_of`."""
    found = product_violations(product, as_of=as_of)
    if found:
        raise ProductInvalid(found)


def product_violations(product: LoanProduct, *, as_of: date) -> list[Violation]:
    rules = product.rule_set
    if isinstance(rules, CreditUnionCapRules):
        found = gb_product_rules(product, rules=rules, as_of=as_of)
        return found or _gb_corners(product, rules, as_of)
    found = pal_product_rules(product, rules=rules, as_of=as_of)
    if product.currency != rules.currency:
        return found
    return _unique(found + _pal_corners(product, rules, as_of))


def gb_product_rules(
    product: LoanProduct, *, rules: CreditUnionCapRules, as_of: date
) -> list[Violation]:
    return [
        *gb.check_currency(rules, currency=product.currency),
        *gb.check_rate(
            rules,
            rate=product.rate,
            day_count=product.day_count,
            frequencies=product.frequencies,
            on=as_of,
        ),
        *gb.check_charges(
            rules, early_repayment_charge=product.early_repayment_charge, late_fee=product.late_fee
        ),
        *gb.check_fee_claims(rules, claimed=_claimed_outside_charge(product)),
    ]


def pal_product_rules(product: LoanProduct, *, rules: PalRules, as_of: date) -> list[Violation]:
    found = []
    if product.currency != rules.currency:
        found.append(Violation("pal.currency", f"{rules.variant} loans are in {rules.currency}"))
        return found
    found += pal.check_amount(rules, amount=product.amounts.minimum)
    found += pal.check_amount(rules, amount=product.amounts.maximum + financed_fees(product))
    for frequency in sorted(product.frequencies):
        for instalments in instalment_bounds(product, frequency=frequency):
            found += pal.check_term(rules, months=duration_months(instalments, frequency=frequency))
    found += pal.check_product_membership(rules, min_membership_days=product.min_membership_days)
    application = [fee.amount for fee in product.fees if fee.kind is FeeKind.APPLICATION]
    found += pal.check_fees(rules, application_fees=sum(application, Money.zero(product.currency)))
    found += pal.check_finance_charge_claims(rules, claimed=_claimed_outside_charge(product))
    found += pal.check_rate(rules, rate=product.rate, on=as_of)
    found += pal.check_fee_policy(rules, nsf_fee=product.nsf_fee, late_fee=product.late_fee)
    return _unique(found)


def quote_rule_violations(
    product: LoanProduct, *, priced: Priced, apr: Decimal, facts: LoanFacts
) -> tuple[list[Violation], list[str]]:
    """(violations, flags) of the rule set on one priced loan."""
    rules = product.rule_set
    on = priced.schedule.disbursement_date
    if isinstance(rules, CreditUnionCapRules):
        found = gb_product_rules(product, rules=rules, as_of=on)
        found += gb.check_periods(
            rules,
            rate=product.rate,
            day_count=product.day_count,
            periods=[row.period for row in priced.schedule.rows],
            on=on,
        )
        found += _gb_total_cost(product, rules, priced)
        refused, flags = gb.check_exempt_threshold(
            rules, apr_percent=apr, behaviour=product.exempt_threshold
        )
        return _unique(found + refused), flags
    found = pal_product_rules(product, rules=rules, as_of=on)
    found += pal.check_amount(rules, amount=priced.amount)
    found += pal.check_amount(rules, amount=priced.schedule.principal)
    found += pal.check_term(rules, months=priced.schedule.duration_months)
    found += pal.check_member(rules, facts=facts, on=on)
    found += pal.check_portfolio(rules, facts=facts, amount=priced.amount)
    found += pal.check_apr(
        rules, annual_rate=unrounded_us_apr(priced), disclosed_percent=apr, on=on
    )
    return _unique(found), []


def charges_beyond_any_rate(product: LoanProduct, exc: AprNotFound) -> Violation:
    """The violation for charges so far above the credit that no APR balances them."""
    rules = product.rule_set
    rule = "interest_cap" if isinstance(rules, CreditUnionCapRules) else "rate_cap"
    return Violation(
        f"{rules.code}.{rule}", f"the charges are far above any cap on this credit: {exc}"
    )


def unrounded_us_apr(priced: Priced) -> Decimal:
    """The Regulation Z APR of a priced loan as an unrounded fraction (0.28 is 28%)."""
    return us_apr_details(priced.advances, priced.payments).annual_rate


def default_charges_per_instalment(
    product: LoanProduct, rules: CreditUnionCapRules
) -> tuple[Money, str]:
    """The most in default charges one instalment can attract where the cap counts them,
    and what they are."""
    bound = rules.default_charges
    total = Money.zero(product.currency)
    named: list[str] = []
    if not bound.in_cap or not rules.late_fee_allowed:
        return total, ""
    for fee, times, name in (
        (product.late_fee, bound.late_fees_per_instalment, "late fee"),
        (product.nsf_fee, bound.failed_payment_fees_per_instalment, "failed-payment fee"),
    ):
        if fee is not None and times:
            total = total + fee * times
            named.append(f"{times} {name}(s) of {fee}")
    if not named:
        return total, ""
    return total, f"{' and '.join(named)} on every instalment, {bound.citation}"


def instalment_bounds(product: LoanProduct, *, frequency: Frequency) -> tuple[int, int]:
    """The fewest and most instalments the product's term range allows at `frequency`."""
    if product.terms.unit is TermUnit.INSTALMENTS:
        return product.terms.minimum, product.terms.maximum
    per_instalment = _months_per_instalment(frequency)
    fewest = math.ceil(product.terms.minimum / per_instalment)
    most = math.floor(product.terms.maximum / per_instalment)
    return max(fewest, 1), max(most, 1)


def duration_months(instalments: int, *, frequency: Frequency) -> Decimal:
    """Disbursement to the last due date, in months, with the first due one period on."""
    months = instalments * _months_per_instalment(frequency)
    return Decimal(months.numerator) / Decimal(months.denominator)


def _months_per_instalment(frequency: Frequency) -> Fraction:
    days = frequency.days
    return Fraction(1) if days is None else days / DAYS_PER_EQUAL_MONTH


def _priced_corners(product: LoanProduct, as_of: date) -> Iterator[Priced]:
    """Every corner of the amount and term ranges, for every frequency, priced.

    A fixed fee weighs most on the smallest, shortest loan and a charge per instalment on
    the smallest, longest one, so the corners bound what any quote can cost."""
    for frequency in sorted(product.frequencies):
        for amount in (product.amounts.minimum, product.amounts.maximum):
            for instalments in instalment_bounds(product, frequency=frequency):
                yield price(
                    product,
                    amount=amount,
                    instalments=instalments,
                    frequency=frequency,
                    disbursement_date=as_of,
                )


def _gb_corners(product: LoanProduct, rules: CreditUnionCapRules, as_of: date) -> list[Violation]:
    # Each corner is priced with the worst case of charges; each quote is checked again.
    try:
        for priced in _priced_corners(product, as_of):
            found = _gb_total_cost(product, rules, priced)
            if found:
                return found
    except FeesExceedCredit as exc:
        return [Violation(FEES_CODE, str(exc))]
    return []


def _gb_total_cost(
    product: LoanProduct, rules: CreditUnionCapRules, priced: Priced
) -> list[Violation]:
    """Interest, every fee and the worst case of default charges against the cap."""
    advances, payments = priced.in_months()
    per_instalment, described = default_charges_per_instalment(product, rules)
    if per_instalment.is_positive():
        elapsed = Fraction(0)
        for row in priced.schedule.rows:
            elapsed += row.period.months
            payments.append((elapsed, per_instalment.amount))
    return gb.check_effective_rate(
        rules,
        advances=advances,
        payments=payments,
        on=priced.schedule.disbursement_date,
        worst_case=described,
    )


def _pal_corners(product: LoanProduct, rules: PalRules, as_of: date) -> list[Violation]:
    # Every fee is a finance charge (`loans.pricing`): each corner's unrounded APR is tested.
    try:
        for priced in _priced_corners(product, as_of):
            try:
                disclosed = apr_us(priced.advances, priced.payments)
            except AprNotFound as exc:
                return [charges_beyond_any_rate(product, exc)]
            found = pal.check_apr(
                rules,
                annual_rate=unrounded_us_apr(priced),
                disclosed_percent=disclosed,
                on=as_of,
            )
            if found:
                return found
    except FeesExceedCredit as exc:
        return [Violation(FEES_CODE, str(exc))]
    return []


def _claimed_outside_charge(product: LoanProduct) -> list[tuple[str, Money]]:
    return [(fee.kind.value, fee.amount) for fee in product.fees if not fee.finance_charge]


def _unique(found: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(found))
