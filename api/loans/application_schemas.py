"""Bodies of quotes, applications, the officer's decision and accepting an offer."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.domain import ID_MAX
from api.loans.product_schemas import CODE, FeeOut, RateOut
from api.loans.text import free_text
from api.money import MoneyIn, MoneyOut, PositiveMoney
from api.out import OutModel
from loans.affordability import (
    CATEGORY_LENGTH_MAX,
    DEPENDANTS_MAX,
    OUTGOINGS_MAX,
    IncomeExpenditure,
)
from loans.frequency import Frequency
from loans.models import ApplicationStatus, DecisionKind
from loans.quote import Quote
from loans.rulesets.base import AprMethod
from loans.rulesets.gb import EXEMPT_THRESHOLD_CODE
from loans.services.applications import (
    NOTE_LENGTH_MAX,
    PURPOSE_LENGTH_MAX,
    ApplicationView,
)

TERM_MAX = 1200


def apr_text(apr: Decimal) -> str:
    """The APR as disclosed: "26.8" (UK, one place) or "12.00" (US, two)."""
    return format(apr, "f")


class NonNegativeMoney(MoneyIn):
    """An amount that may be zero but not negative (an income, an outgoing)."""

    @classmethod
    def _check_sign(cls, amount: Decimal) -> None:
        if amount < 0:
            raise ValueError("cannot be negative")


class LoanRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_code: str = Field(pattern=CODE, examples=["GB-PAYDAY-ALT"])
    amount: PositiveMoney
    term: StrictInt = Field(ge=1, le=TERM_MAX, description="Number of instalments.", examples=[6])
    frequency: Frequency = Field(examples=["monthly"])


class MemberQuoteIn(LoanRequestIn):
    """A quote for another member, by staff."""

    member_id: StrictInt = Field(ge=1, le=ID_MAX, examples=[1])


class OutgoingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, free_text(CATEGORY_LENGTH_MAX)] = Field(
        min_length=1, max_length=CATEGORY_LENGTH_MAX, examples=["rent"]
    )
    amount: NonNegativeMoney = Field(description="A month's cost.")


class StatementIn(BaseModel):
    """The member's income and expenditure, monthly."""

    model_config = ConfigDict(extra="forbid")

    monthly_net_income: NonNegativeMoney
    outgoings: list[OutgoingIn] = Field(max_length=OUTGOINGS_MAX)
    dependants: StrictInt = Field(default=0, ge=0, le=DEPENDANTS_MAX)

    def statement(self) -> IncomeExpenditure:
        """The statement (StatementInvalid for repeated categories or mixed currencies)."""
        return IncomeExpenditure(
            monthly_net_income=self.monthly_net_income.to_money(),
            outgoings=tuple((o.category, o.amount.to_money()) for o in self.outgoings),
            dependants=self.dependants,
        )


class ApplicationIn(LoanRequestIn):
    purpose: Annotated[str, free_text(PURPOSE_LENGTH_MAX)] = Field(
        min_length=1, max_length=PURPOSE_LENGTH_MAX, examples=["boiler repair"]
    )
    statement: StatementIn
    refinances_existing: StrictBool = Field(
        default=False, description="Whether the loan would repay or roll over another loan."
    )


class OfficerDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, free_text(NOTE_LENGTH_MAX)] = Field(
        min_length=1, max_length=NOTE_LENGTH_MAX, examples=["payslips seen"]
    )


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share_account_id: StrictInt = Field(
        ge=1, le=ID_MAX, description="One of your share accounts: the loan is paid into it."
    )
    collection_mandate: StrictBool = Field(
        default=True,
        description="Collect the instalments from your shares as they fall due.",
    )
    collection_account_id: StrictInt | None = Field(
        default=None,
        ge=1,
        le=ID_MAX,
        description="The share account to collect from; the one paid into if omitted.",
    )
    to_nominated_account: StrictBool = Field(
        default=False,
        description=(
            "Pay the loan on to your nominated bank account (through the share account, in "
            "the same step) instead of leaving it in your shares."
        ),
    )


class ScheduleRowOut(BaseModel):
    number: int
    due_date: dt.date
    opening_balance: MoneyOut
    interest: MoneyOut
    principal: MoneyOut
    instalment: MoneyOut
    closing_balance: MoneyOut


class DisclosureOut(BaseModel):
    """The figures a pre-contract disclosure needs."""

    amount_of_credit: MoneyOut
    duration_months: str = Field(examples=["6"])
    number_of_payments: int
    payment_amount: MoneyOut
    final_payment_amount: MoneyOut
    frequency: Frequency
    first_payment_date: dt.date
    final_payment_date: dt.date
    total_amount_payable: MoneyOut
    total_charge_for_credit: MoneyOut
    rate: RateOut
    apr: str
    apr_method: AprMethod
    fees: list[FeeOut]


class QuoteOut(BaseModel):
    """What the loan would cost if disbursed today. `flags` name rules the quote is close to
    or over without being refused (`uk.apr_exempt_threshold`: above 42.6% APR, so not an
    exempt agreement)."""

    product_code: str
    product_name: str
    amount: MoneyOut
    term: int
    frequency: Frequency
    apr: str = Field(examples=["26.8"])
    apr_method: AprMethod
    instalment: MoneyOut
    final_instalment: MoneyOut
    total_amount_payable: MoneyOut
    total_charge_for_credit: MoneyOut
    total_interest: MoneyOut
    flags: list[str]
    above_exempt_threshold: bool
    disclosure: DisclosureOut
    schedule: list[ScheduleRowOut]

    @classmethod
    def of(cls, product_code: str, quote: Quote) -> QuoteOut:
        d = quote.disclosure
        return cls(
            product_code=product_code,
            product_name=quote.product_name,
            amount=MoneyOut.of(quote.amount),
            term=len(quote.schedule.rows),
            frequency=quote.schedule.frequency,
            apr=apr_text(quote.apr),
            apr_method=d.apr_method,
            instalment=MoneyOut.of(quote.instalment),
            final_instalment=MoneyOut.of(d.final_payment_amount),
            total_amount_payable=MoneyOut.of(quote.total_amount_payable),
            total_charge_for_credit=MoneyOut.of(quote.total_charge_for_credit),
            total_interest=MoneyOut.of(quote.total_interest),
            flags=list(quote.flags),
            above_exempt_threshold=EXEMPT_THRESHOLD_CODE in quote.flags,
            disclosure=DisclosureOut(
                amount_of_credit=MoneyOut.of(d.amount_of_credit),
                duration_months=format(
                    d.duration_months.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), "f"
                ),
                number_of_payments=d.number_of_payments,
                payment_amount=MoneyOut.of(d.payment_amount),
                final_payment_amount=MoneyOut.of(d.final_payment_amount),
                frequency=d.frequency,
                first_payment_date=d.first_payment_date,
                final_payment_date=d.final_payment_date,
                total_amount_payable=MoneyOut.of(d.total_amount_payable),
                total_charge_for_credit=MoneyOut.of(d.total_charge_for_credit),
                rate=RateOut.of(d.rate),
                apr=apr_text(d.apr),
                apr_method=d.apr_method,
                fees=[FeeOut.of(fee) for fee in d.fees],
            ),
            schedule=[
                ScheduleRowOut(
                    number=r.number,
                    due_date=r.due_date,
                    opening_balance=MoneyOut.of(r.opening_balance),
                    interest=MoneyOut.of(r.interest),
                    principal=MoneyOut.of(r.principal),
                    instalment=MoneyOut.of(r.instalment),
                    closing_balance=MoneyOut.of(r.closing_balance),
                )
                for r in quote.schedule.rows
            ],
        )


class ReasonOut(BaseModel):
    code: str = Field(examples=["affordability.near_margin"])
    message: str


class OutgoingOut(BaseModel):
    category: str
    amount: MoneyOut


class StatementOut(BaseModel):
    monthly_net_income: MoneyOut
    outgoings: list[OutgoingOut]
    dependants: int

    @classmethod
    def of(cls, statement: IncomeExpenditure) -> StatementOut:
        return cls(
            monthly_net_income=MoneyOut.of(statement.monthly_net_income),
            outgoings=[
                OutgoingOut(category=c, amount=MoneyOut.of(a)) for c, a in statement.outgoings
            ],
            dependants=statement.dependants,
        )


class OfferOut(BaseModel):
    """An offer open until `expires_on` (inclusive), at these figures if accepted then."""

    expires_on: dt.date
    instalment: MoneyOut | None
    apr: str | None
    total_amount_payable: MoneyOut | None
    above_exempt_threshold: bool = Field(
        description="GB/NI: the APR is above 42.6%, so the loan is not an exempt credit-union "
        "agreement (FCA PERG 2.7.19I G(1)) but regulated credit; such an offer was made by a "
        "loan officer unless the policy approves it automatically."
    )


class ApplicationOut(BaseModel):
    id: int
    member_id: int
    product_code: str
    product_version: int
    amount: MoneyOut
    term: int
    frequency: Frequency
    purpose: str
    refinances_existing: bool
    statement: StatementOut
    status: ApplicationStatus
    submitted_on: dt.date
    decided_on: dt.date | None
    decision_kind: DecisionKind | None
    decided_by: str | None
    decision_note: str | None
    reasons: list[ReasonOut] = Field(
        description="Why it was declined, or what the loan officer should look at."
    )
    offer: OfferOut | None = Field(description="The offer, once one was made.")
    closed_on: dt.date | None
    loan_id: int | None

    @classmethod
    def of(cls, view: ApplicationView) -> ApplicationOut:
        offer = None
        if view.offer_expires_on is not None:
            offer = OfferOut(
                expires_on=view.offer_expires_on,
                instalment=None
                if view.offered_instalment is None
                else MoneyOut.of(view.offered_instalment),
                apr=None if view.offered_apr is None else apr_text(view.offered_apr),
                total_amount_payable=None
                if view.offered_total_payable is None
                else MoneyOut.of(view.offered_total_payable),
                above_exempt_threshold=view.above_exempt_threshold,
            )
        return cls(
            id=view.id,
            member_id=view.member_id,
            product_code=view.product_code,
            product_version=view.product_version,
            amount=MoneyOut.of(view.amount),
            term=view.term,
            frequency=view.frequency,
            purpose=view.purpose,
            refinances_existing=view.refinances_existing,
            statement=StatementOut.of(view.statement),
            status=view.status,
            submitted_on=view.submitted_on,
            decided_on=view.decided_on,
            decision_kind=view.decision_kind,
            decided_by=view.decided_by,
            decision_note=view.decision_note,
            reasons=[ReasonOut(code=r.code, message=r.message) for r in view.reasons],
            offer=offer,
            closed_on=view.closed_on,
            loan_id=view.loan_id,
        )


class ApplicationEventOut(OutModel):
    from_status: str | None
    to_status: str
    business_date: dt.date
    actor: str
    note: str | None
