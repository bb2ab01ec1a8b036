"""A quote: one product priced for one member, checked against every rule, with disclosures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.errors import Refused
from ledger.money import Money
from loans.apr import AprNotFound, CashFlow, apr_uk, apr_us
from loans.checks import FEES_CODE, charges_beyond_any_rate, quote_rule_violations
from loans.facts import LoanFacts
from loans.frequency import MAX_INSTALMENTS, Frequency
from loans.pricing import FeesExceedCredit, Priced, price
from loans.product import Fee, LoanProduct, TermUnit
from loans.rate import InterestRate
from loans.rulesets.base import AprMethod, Violation
from loans.schedule import Schedule, total_interest, total_payable


class QuoteRefused(Refused, ValueError):
    """A quote that breaks a rule; `violations` names each rule it breaks."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.code}: {v.message}" for v in violations))

    @property
    def codes(self) -> tuple[str, ...]:
        """Each broken rule's code once, in the order first found."""
        return tuple(dict.fromkeys(v.code for v in self.violations))


@dataclass(frozen=True, slots=True)
class Disclosure:
    """The figures a pre-contract disclosure needs."""

    amount_of_credit: Money
    duration_months: Decimal
    number_of_payments: int
    payment_amount: Money
    final_payment_amount: Money
    frequency: Frequency
    first_payment_date: date
    final_payment_date: date
    total_amount_payable: Money
    total_charge_for_credit: Money
    rate: InterestRate
    apr: Decimal
    apr_method: AprMethod
    fees: tuple[Fee, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    product_name: str
    amount: Money
    schedule: Schedule
    advances: tuple[CashFlow, ...]
    payments: tuple[CashFlow, ...]
    apr: Decimal
    flags: tuple[str, ...]
    total_amount_payable: Money  # everything the member pays: instalments and upfront fees
    total_charge_for_credit: Money  # payments in the APR less the credit provided
    total_interest: Money
    disclosure: Disclosure

    @property
    def instalment(self) -> Money:
        return self.schedule.instalment


def quote(
    product: LoanProduct,
    amount: Money,
    term: int,
    frequency: Frequency,
    disbursement_date: date,
    facts: LoanFacts,
) -> Quote:
    """Price `amount` over `term` instalments, or raise `QuoteRefused` naming every rule broken."""
    found = _product_limits(product, amount, term, frequency, disbursement_date, facts)
    if amount.currency != product.currency or not 1 <= term <= MAX_INSTALMENTS:
        # Nothing can be priced from these; refuse on what is known.
        raise QuoteRefused(found)
    try:
        priced = price(
            product,
            amount=amount,
            instalments=term,
            frequency=frequency,
            disbursement_date=disbursement_date,
        )
    except FeesExceedCredit as exc:
        raise QuoteRefused([*found, Violation(FEES_CODE, str(exc))]) from exc
    try:
        apr = _apr(product, priced)
    except AprNotFound as exc:
        raise QuoteRefused([*found, charges_beyond_any_rate(product, exc)]) from exc
    found += _term_in_months(product, priced)
    rule_found, flags = quote_rule_violations(product, priced=priced, apr=apr, facts=facts)
    found += rule_found
    if found:
        raise QuoteRefused(list(dict.fromkeys(found)))
    return _build(product, priced, apr, flags)


def _apr(product: LoanProduct, priced: Priced) -> Decimal:
    if product.rule_set.apr_method is AprMethod.UK:
        return apr_uk(priced.advances, priced.payments)
    return apr_us(priced.advances, priced.payments)


def _product_limits(
    product: LoanProduct,
    amount: Money,
    term: int,
    frequency: Frequency,
    on: date,
    facts: LoanFacts,
) -> list[Violation]:
    if amount.currency != product.currency:
        return [Violation("product.currency", f"{product.name} lends in {product.currency}")]
    found = []
    if not product.amounts.minimum <= amount <= product.amounts.maximum:
        found.append(
            Violation(
                "product.amount_range",
                f"{amount} is outside {product.amounts.minimum} to {product.amounts.maximum}",
            )
        )
    if product.terms.unit is TermUnit.INSTALMENTS and not (
        product.terms.minimum <= term <= product.terms.maximum
    ):
        found.append(
            Violation(
                "product.term_range",
                f"{term} instalments is outside {product.terms.minimum} to {product.terms.maximum}",
            )
        )
    if frequency not in product.frequencies:
        found.append(Violation("product.frequency", f"{product.name} is not offered {frequency}"))
    if (on - facts.membership_start).days < product.min_membership_days:
        found.append(
            Violation(
                "product.membership_period",
                f"{product.name} needs {product.min_membership_days} days of membership",
            )
        )
    return found


def _term_in_months(product: LoanProduct, priced: Priced) -> list[Violation]:
    months = priced.schedule.duration_months
    if product.terms.unit is not TermUnit.MONTHS:
        return []
    if product.terms.minimum <= months <= product.terms.maximum:
        return []
    return [
        Violation(
            "product.term_range",
            f"a term of {months:.2f} months is outside "
            f"{product.terms.minimum} to {product.terms.maximum} months",
        )
    ]


def _build(product: LoanProduct, priced: Priced, apr: Decimal, flags: list[str]) -> Quote:
    schedule = priced.schedule
    paid = sum((amount for _, amount in priced.payments), Money.zero(product.currency))
    charge = paid - priced.credit
    payable = total_payable(schedule) + priced.upfront_fees
    disclosure = Disclosure(
        amount_of_credit=priced.credit,
        duration_months=schedule.duration_months,
        number_of_payments=len(schedule.rows),
        payment_amount=schedule.instalment,
        final_payment_amount=schedule.final_instalment,
        frequency=schedule.frequency,
        first_payment_date=schedule.first_due_date,
        final_payment_date=schedule.final_due_date,
        total_amount_payable=payable,
        total_charge_for_credit=charge,
        rate=product.rate,
        apr=apr,
        apr_method=product.rule_set.apr_method,
        fees=product.fees,
    )
    return Quote(
        product_name=product.name,
        amount=priced.amount,
        schedule=schedule,
        advances=priced.advances,
        payments=priced.payments,
        apr=apr,
        flags=tuple(flags),
        total_amount_payable=payable,
        total_charge_for_credit=charge,
        total_interest=total_interest(schedule),
        disclosure=disclosure,
    )
