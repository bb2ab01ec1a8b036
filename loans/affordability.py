"""A member's income and expenditure statement, and whether a new instalment is affordable.

Disposable income is monthly net income less the itemised outgoings and an allowance per
dependant; the new loan's instalment is turned into a monthly cost (weekly x 52/12,
fortnightly x 26/12, four-weekly x 13/12, rounded up so the cost is never understated).
The instalments of the member's other loans with the credit union are counted the same
way, whether or not the member listed them: the credit union knows them. Fees the member
pays from their own money when the loan is made fall in its first month, the dearest one,
so they count in full. What is left must clear a margin: the larger of a fixed amount and
a share of income. Within a band above the margin the application goes to a loan officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from enum import StrEnum
from typing import Final

from ledger.errors import Refused
from ledger.money import Money
from loans.frequency import Frequency

OUTGOINGS_MAX: Final = 40
CATEGORY_LENGTH_MAX: Final = 60
DEPENDANTS_MAX: Final = 30


class StatementInvalid(Refused, ValueError):
    """An income and expenditure statement that cannot be assessed."""


@dataclass(frozen=True, slots=True)
class IncomeExpenditure:
    monthly_net_income: Money
    outgoings: tuple[tuple[str, Money], ...]  # (category, monthly amount), itemised
    dependants: int = 0

    def __post_init__(self) -> None:
        currency = self.monthly_net_income.currency
        if self.monthly_net_income.is_negative():
            raise StatementInvalid("monthly net income cannot be negative")
        if len(self.outgoings) > OUTGOINGS_MAX:
            raise StatementInvalid(f"at most {OUTGOINGS_MAX} outgoings are itemised")
        seen: set[str] = set()
        for category, amount in self.outgoings:
            name = category.strip().lower()
            if not name or len(category) > CATEGORY_LENGTH_MAX or not category.isprintable():
                raise StatementInvalid(f"an outgoing needs a name of 1 to {CATEGORY_LENGTH_MAX}")
            if name in seen:
                raise StatementInvalid(f"outgoing {category!r} is listed twice")
            seen.add(name)
            if amount.currency != currency:
                raise StatementInvalid(f"outgoing {category!r} is not in {currency}")
            if amount.is_negative():
                raise StatementInvalid(f"outgoing {category!r} cannot be negative")
        if isinstance(self.dependants, bool) or not 0 <= self.dependants <= DEPENDANTS_MAX:
            raise StatementInvalid(f"dependants must be 0 to {DEPENDANTS_MAX}")

    @property
    def currency(self) -> str:
        return self.monthly_net_income.currency

    @property
    def total_outgoings(self) -> Money:
        return sum((amount for _, amount in self.outgoings), Money.zero(self.currency))


@dataclass(frozen=True, slots=True)
class AffordabilityPolicy:
    minimum_margin: Money  # left each month after every outgoing and the new instalment
    margin_share_of_income: Decimal = Decimal(0)  # or this share of income, if larger
    referral_band: Money | None = None  # this close above the margin goes to an officer
    allowance_per_dependant: Money | None = None

    def __post_init__(self) -> None:
        currency = self.minimum_margin.currency
        for amount in (self.referral_band, self.allowance_per_dependant):
            if amount is not None and (amount.currency != currency or amount.is_negative()):
                raise ValueError(f"policy amounts are non-negative {currency}")
        if self.minimum_margin.is_negative():
            raise ValueError("the margin cannot be negative")
        if not Decimal(0) <= self.margin_share_of_income < 1:
            raise ValueError("the share of income is a fraction from 0 up to 1")


class Verdict(StrEnum):
    AFFORDABLE = "affordable"
    NEAR_MARGIN = "near_margin"
    UNAFFORDABLE = "unaffordable"


@dataclass(frozen=True, slots=True)
class Affordability:
    disposable_before: Money
    monthly_cost: Money  # of the new loan's instalment
    existing_commitments: Money  # monthly cost of the member's other loans here
    upfront_fees: Money  # paid on the day the loan is made
    disposable_after: Money  # in the loan's first month, after all three
    required_margin: Money
    verdict: Verdict


_PER_MONTH: Final = {
    Frequency.WEEKLY: Decimal(52),
    Frequency.FORTNIGHTLY: Decimal(26),
    Frequency.FOUR_WEEKLY: Decimal(13),
    Frequency.MONTHLY: Decimal(12),
}


def monthly_cost(instalment: Money, frequency: Frequency) -> Money:
    """The instalment as a monthly cost, rounded up."""
    return instalment.multiply(_PER_MONTH[frequency] / Decimal(12), rounding=ROUND_UP)


def assess(
    statement: IncomeExpenditure,
    *,
    instalment: Money,
    frequency: Frequency,
    policy: AffordabilityPolicy,
    existing: Money | None = None,
    upfront_fees: Money | None = None,
) -> Affordability:
    """`existing`: the monthly cost of the member's other loans; `upfront_fees`: paid when
    the loan is made."""
    currency = statement.currency
    zero = Money.zero(currency)
    existing = zero if existing is None else existing
    upfront_fees = zero if upfront_fees is None else upfront_fees
    amounts = (instalment, policy.minimum_margin, existing, upfront_fees)
    if any(amount.currency != currency for amount in amounts):
        raise StatementInvalid(f"the statement, instalment and policy must all be in {currency}")
    allowance = policy.allowance_per_dependant or zero
    before = statement.monthly_net_income - statement.total_outgoings
    before = before - allowance * statement.dependants
    cost = monthly_cost(instalment, frequency)
    after = before - cost - existing - upfront_fees
    share = statement.monthly_net_income.multiply(policy.margin_share_of_income, rounding=ROUND_UP)
    margin = max(policy.minimum_margin, share)
    band = policy.referral_band or Money.zero(currency)
    if after < margin:
        verdict = Verdict.UNAFFORDABLE
    elif after < margin + band:
        verdict = Verdict.NEAR_MARGIN
    else:
        verdict = Verdict.AFFORDABLE
    return Affordability(
        disposable_before=before,
        monthly_cost=cost,
        existing_commitments=existing,
        upfront_fees=upfront_fees,
        disposable_after=after,
        required_margin=margin,
        verdict=verdict,
    )
