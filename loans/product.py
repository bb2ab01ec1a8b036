"""A loan product definition: what a credit union offers, under which rule set."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN
from enum import StrEnum

from ledger.errors import Refused
from ledger.money import ROUNDING_MODES, Money
from loans.daycount import DayCount
from loans.frequency import MAX_INSTALMENTS, Frequency
from loans.rate import InterestRate
from loans.rulesets.gb import CreditUnionCapRules, ThresholdBehaviour
from loans.rulesets.pal import PalRules

RuleSet = CreditUnionCapRules | PalRules


class ProductError(Refused, ValueError):
    """A product definition that is malformed (not merely non-compliant)."""


class FeeKind(StrEnum):
    APPLICATION = "application"
    ARRANGEMENT = "arrangement"


class FeeTreatment(StrEnum):
    DEDUCTED = "deducted"  # taken from the advance: the member receives amount - fee
    ADDED = "added"  # financed: the schedule's principal is amount + fee
    UPFRONT = "upfront"  # paid separately on the disbursement date


@dataclass(frozen=True, slots=True)
class Fee:
    kind: FeeKind
    amount: Money
    treatment: FeeTreatment
    # US: the product's claim that Regulation Z leaves the fee out of the finance charge.
    # 12 CFR 1026.4(c)(1) excludes only a fee charged to every applicant whether or not
    # credit is extended; product fees are charged when the loan is made, so the PAL rule
    # sets refuse the claim and pricing counts every fee (`loans.pricing`). UK rule sets
    # count every fee: the total charge for credit and the GB cap include all charges.
    finance_charge: bool = True


class TermUnit(StrEnum):
    INSTALMENTS = "instalments"
    MONTHS = "months"  # disbursement to the final due date


@dataclass(frozen=True, slots=True)
class AmountRange:
    minimum: Money
    maximum: Money


@dataclass(frozen=True, slots=True)
class TermRange:
    minimum: int
    maximum: int
    unit: TermUnit = TermUnit.INSTALMENTS


@dataclass(frozen=True, slots=True)
class LoanProduct:
    name: str
    currency: str
    amounts: AmountRange
    terms: TermRange
    frequencies: frozenset[Frequency]
    rate: InterestRate
    rule_set: RuleSet
    fees: tuple[Fee, ...] = ()
    min_membership_days: int = 0
    day_count: DayCount = DayCount.ACT_365_FIXED
    late_fee: Money | None = None
    nsf_fee: Money | None = None
    early_repayment_charge: Money | None = None
    exempt_threshold: ThresholdBehaviour = ThresholdBehaviour.FLAG
    # Interest rounds down so that what is charged never exceeds the contractual rate: a
    # product priced at a legal cap then stays inside it whatever the balance.
    interest_rounding: str = ROUND_DOWN
    instalment_rounding: str = ROUND_HALF_EVEN

    def __post_init__(self) -> None:
        amounts = [self.amounts.minimum, self.amounts.maximum, *(fee.amount for fee in self.fees)]
        for extra in (self.late_fee, self.nsf_fee, self.early_repayment_charge):
            if extra is not None:
                amounts.append(extra)
        if any(amount.currency != self.currency for amount in amounts):
            raise ProductError(f"{self.name}: every amount must be in {self.currency}")
        if not self.amounts.minimum.is_positive() or self.amounts.minimum > self.amounts.maximum:
            raise ProductError(f"{self.name}: amounts need 0 < minimum <= maximum")
        if not 1 <= self.terms.minimum <= self.terms.maximum:
            raise ProductError(f"{self.name}: terms need 1 <= minimum <= maximum")
        if self.terms.unit is TermUnit.INSTALMENTS and self.terms.maximum > MAX_INSTALMENTS:
            raise ProductError(f"{self.name}: at most {MAX_INSTALMENTS} instalments")
        if not self.frequencies:
            raise ProductError(f"{self.name}: offer at least one frequency")
        if any(not fee.amount.is_positive() for fee in self.fees):
            raise ProductError(f"{self.name}: a fee must be a positive amount")
        if self.min_membership_days < 0:
            raise ProductError(f"{self.name}: membership period cannot be negative")
        if {self.interest_rounding, self.instalment_rounding} - ROUNDING_MODES:
            raise ProductError(f"{self.name}: unknown rounding mode")
