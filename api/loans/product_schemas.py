"""Bodies of the loan product endpoints: a product's terms in, a stored version out.

Amounts are money objects in the product's currency; a rate is a decimal fraction as a
string ("0.02" with basis "monthly" is 2% a month on the reducing balance). Whether the
terms comply with the rule set is the loans package's decision: a product breaking it
is refused with the code of every rule it breaks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.loans.text import free_text
from api.money import MoneyOut, PositiveMoney
from api.out import DecimalText, OutModel
from ledger.money import Money
from loans.daycount import DayCount
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
from loans.rate import InterestRate, RateBasis
from loans.registry import RULE_SETS, code_of, rule_set
from loans.rulesets.gb import ThresholdBehaviour
from loans.services.products import CODE_PATTERN, ProductView

CODE = CODE_PATTERN.pattern
RATE_PATTERN = r"^(0|[1-9][0-9]?)(\.[0-9]{1,12})?$"
RuleSetCode = Literal["gb", "ni", "pal_i", "pal_ii"]
Rounding = Literal[
    "ROUND_DOWN",
    "ROUND_HALF_UP",
    "ROUND_HALF_EVEN",
    "ROUND_HALF_DOWN",
    "ROUND_UP",
    "ROUND_FLOOR",
    "ROUND_CEILING",
]
assert set(get_args(RuleSetCode)) == set(RULE_SETS), "every registered rule set can be named"
FREQUENCIES_MAX = len(Frequency)
FEES_MAX = 10


class AmountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minimum: PositiveMoney
    maximum: PositiveMoney


class TermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minimum: StrictInt = Field(ge=1, le=1200, examples=[3])
    maximum: StrictInt = Field(ge=1, le=1200, examples=[12])
    unit: TermUnit = Field(
        default=TermUnit.INSTALMENTS,
        description="`instalments`, or `months` from disbursement to the last due date.",
    )


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(
        pattern=RATE_PATTERN,
        description="A decimal fraction as a string: 0.02 is 2%.",
        examples=["0.02"],
    )
    basis: RateBasis = Field(
        description="`monthly` on the reducing balance (GB credit unions) or `annual_nominal`."
    )


class FeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FeeKind
    amount: PositiveMoney
    treatment: FeeTreatment = Field(
        description="`deducted` from the advance, `added` to the principal, or paid `upfront`."
    )
    finance_charge: StrictBool = Field(
        default=True,
        description="Whether the fee is in the charge for credit. Every product fee is taken "
        "when the loan is made, so it always is (12 CFR 1026.4(a); the UK caps include all "
        "charges): `false` is refused with `pal.finance_charge` / `gb.finance_charge`.",
    )


class LoanProductTermsIn(BaseModel):
    """A product's terms: what a manager creates, or sets as the next version."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, free_text(100)] = Field(
        min_length=1, max_length=100, examples=["Payday alternative"]
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["GBP"])
    amounts: AmountsIn
    terms: TermsIn
    frequencies: list[Frequency] = Field(min_length=1, max_length=FREQUENCIES_MAX)
    rate: RateIn
    rule_set: RuleSetCode = Field(
        description="gb / ni: the credit union interest caps; pal_i / pal_ii: NCUA payday "
        "alternative loans."
    )
    fees: list[FeeIn] = Field(default_factory=list, max_length=FEES_MAX)
    min_membership_days: StrictInt = Field(default=0, ge=0, le=36_500)
    day_count: DayCount = DayCount.ACT_365_FIXED
    late_fee: PositiveMoney | None = None
    nsf_fee: PositiveMoney | None = None
    early_repayment_charge: PositiveMoney | None = None
    exempt_threshold: ThresholdBehaviour = Field(
        default=ThresholdBehaviour.FLAG,
        description="UK: a quote above the 42.6% exempt-agreement APR is `refuse`d or `flag`ged.",
    )
    interest_rounding: Rounding = "ROUND_DOWN"
    instalment_rounding: Rounding = "ROUND_HALF_EVEN"
    active: StrictBool = Field(default=True, description="Offered to members for new applications.")

    def product(self) -> LoanProduct:
        """The terms as a `loans.product.LoanProduct` (ProductError if malformed)."""

        def money(value: PositiveMoney | None) -> Money | None:
            return None if value is None else value.to_money()

        return LoanProduct(
            name=self.name,
            currency=self.currency,
            amounts=AmountRange(self.amounts.minimum.to_money(), self.amounts.maximum.to_money()),
            terms=TermRange(self.terms.minimum, self.terms.maximum, self.terms.unit),
            frequencies=frozenset(self.frequencies),
            rate=InterestRate(Decimal(self.rate.value), self.rate.basis),
            rule_set=rule_set(self.rule_set),
            fees=tuple(
                Fee(f.kind, f.amount.to_money(), f.treatment, f.finance_charge) for f in self.fees
            ),
            min_membership_days=self.min_membership_days,
            day_count=self.day_count,
            late_fee=money(self.late_fee),
            nsf_fee=money(self.nsf_fee),
            early_repayment_charge=money(self.early_repayment_charge),
            exempt_threshold=self.exempt_threshold,
            interest_rounding=self.interest_rounding,
            instalment_rounding=self.instalment_rounding,
        )


class LoanProductIn(LoanProductTermsIn):
    code: str = Field(pattern=CODE, examples=["GB-PAYDAY-ALT"])


class ProductActiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: StrictBool = Field(description="True offers the product; false withdraws it.")


class AmountsOut(OutModel):
    minimum: MoneyOut
    maximum: MoneyOut


class TermsOut(OutModel):
    minimum: int
    maximum: int
    unit: TermUnit


class RateOut(OutModel):
    value: DecimalText = Field(examples=["0.02"])
    basis: RateBasis


class FeeOut(OutModel):
    kind: FeeKind
    amount: MoneyOut
    treatment: FeeTreatment
    finance_charge: bool


class LoanProductOut(OutModel):
    """One version of a product; `current` is false once a newer version replaced it."""

    code: str
    version: int
    current: bool
    active: bool
    name: str
    currency: str
    amounts: AmountsOut
    terms: TermsOut
    frequencies: list[Frequency]
    rate: RateOut
    rule_set: str
    fees: list[FeeOut]
    min_membership_days: int
    day_count: DayCount
    late_fee: MoneyOut | None
    nsf_fee: MoneyOut | None
    early_repayment_charge: MoneyOut | None
    exempt_threshold: ThresholdBehaviour
    interest_rounding: str
    instalment_rounding: str
    created_by: str
    created_at: dt.datetime


def product_out(view: ProductView) -> LoanProductOut:
    """A version's terms are its product's; the version, status and author are the view's."""
    product = view.product
    return LoanProductOut.of(
        product,
        code=view.code,
        version=view.version,
        current=view.current,
        active=view.active,
        frequencies=sorted(product.frequencies),
        rule_set=code_of(product.rule_set),
        created_by=view.created_by,
        created_at=view.created_at,
    )
