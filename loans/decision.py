"""The automated decision on an application: eligibility, affordability and the rule set.

Pure: the caller supplies what it knows about the member (`MemberFacts`), what the loans
tables say about the member's loans (`LoanHistory`) and the credit union's policy. Every
reason found is given, not just the first: a decline names each rule it rests on, and a
referral each point a loan officer should look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from ledger.money import Money
from loans.affordability import (
    Affordability,
    AffordabilityPolicy,
    IncomeExpenditure,
    Verdict,
    assess,
)
from loans.calendar import add_months
from loans.facts import LoanFacts
from loans.frequency import Frequency
from loans.product import LoanProduct
from loans.quote import Quote, QuoteRefused, quote

ACTIVE: Final = "active"


class Outcome(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    REFER = "refer"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the membership side knows, passed in as values."""

    member_id: int
    status: str  # "active" is the only status that may borrow
    membership_start: date
    date_of_birth: date | None = None
    # The credit union's net worth, for the PAL portfolio limit (12 CFR 701.21(c)(7)).
    net_worth: Money | None = None


@dataclass(frozen=True, slots=True)
class LoanHistory:
    """What the loans tables say about the member's loans and the PAL portfolio."""

    outstanding_loans: int = 0
    loans_in_arrears: int = 0
    previous_loans: int = 0
    originations: tuple[date, ...] = ()  # disbursement dates of loans made (not withdrawn)
    outstanding_pals: int = 0
    pal_originations: tuple[date, ...] = ()
    portfolio_pal_balances: Money | None = None


@dataclass(frozen=True, slots=True)
class LoanRequest:
    amount: Money
    term: int  # instalments
    frequency: Frequency
    refinances_existing: bool = False


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    affordability: AffordabilityPolicy
    min_age: int = 18
    max_outstanding_loans: int = 1
    max_loans_in_window: int | None = 3
    window_months: int = 6
    # A member's first loan above this goes to a loan officer.
    first_loan_referral_threshold: Money | None = None
    decline_in_arrears: bool = True
    offer_validity_days: int = 14

    def __post_init__(self) -> None:
        if not 0 <= self.min_age <= 120 or self.max_outstanding_loans < 0:
            raise ValueError("min_age is 0 to 120 and max_outstanding_loans >= 0")
        if self.max_loans_in_window is not None and self.max_loans_in_window < 1:
            raise ValueError("max_loans_in_window must be at least 1 (or None)")
        if not 1 <= self.window_months <= 120 or not 1 <= self.offer_validity_days <= 90:
            raise ValueError("window_months is 1 to 120 and offer_validity_days 1 to 90")


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    quote: Quote | None
    affordability: Affordability | None


def loan_facts(member: MemberFacts, history: LoanHistory) -> LoanFacts:
    return LoanFacts(
        membership_start=member.membership_start,
        outstanding_pals=history.outstanding_pals,
        pal_originations=history.pal_originations,
        portfolio_pal_balances=history.portfolio_pal_balances,
        net_worth=member.net_worth,
    )


def age_on(date_of_birth: date, on: date) -> int:
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - before_birthday


def eligibility(
    member: MemberFacts,
    history: LoanHistory,
    request: LoanRequest,
    policy: DecisionPolicy,
    *,
    on: date,
) -> tuple[list[Reason], list[Reason]]:
    """(declines, referrals) on who is asking, before the loan itself is priced."""
    declines: list[Reason] = []
    referrals: list[Reason] = []
    if member.status != ACTIVE:
        declines.append(Reason("eligibility.member_not_active", f"membership is {member.status}"))
    if member.date_of_birth is None:
        referrals.append(Reason("eligibility.age_unverified", "no date of birth on record"))
    elif age_on(member.date_of_birth, on) < policy.min_age:
        declines.append(
            Reason("eligibility.under_age", f"members borrow from the age of {policy.min_age}")
        )
    if history.outstanding_loans >= policy.max_outstanding_loans:
        declines.append(
            Reason(
                "eligibility.outstanding_loans",
                f"{history.outstanding_loans} loan(s) outstanding; "
                f"at most {policy.max_outstanding_loans} at a time",
            )
        )
    if policy.decline_in_arrears and history.loans_in_arrears:
        declines.append(Reason("eligibility.in_arrears", "an existing loan is in arrears"))
    if policy.max_loans_in_window is not None:
        since = add_months(on, months=-policy.window_months)
        recent = sum(1 for day in history.originations if since <= day <= on)
        if recent >= policy.max_loans_in_window:
            declines.append(
                Reason(
                    "eligibility.window_limit",
                    f"{recent} loans since {since}; at most {policy.max_loans_in_window} "
                    f"in any {policy.window_months} months",
                )
            )
    if request.refinances_existing:
        declines.append(
            Reason("eligibility.rollover", "a loan may not be used to repay or roll over another")
        )
    threshold = policy.first_loan_referral_threshold
    if (
        threshold is not None
        and history.previous_loans == 0
        and threshold.currency == request.amount.currency
        and request.amount > threshold
    ):
        referrals.append(
            Reason("referral.first_loan_above_threshold", f"a first loan above {threshold}")
        )
    return declines, referrals


def decide(
    product: LoanProduct,
    request: LoanRequest,
    statement: IncomeExpenditure,
    *,
    member: MemberFacts,
    history: LoanHistory,
    policy: DecisionPolicy,
    on: date,
) -> Decision:
    declines, referrals = eligibility(member, history, request, policy, on=on)
    try:
        priced: Quote | None = quote(
            product,
            request.amount,
            request.term,
            request.frequency,
            on,
            loan_facts(member, history),
        )
    except QuoteRefused as refused:
        priced = None
        declines += [Reason(v.code, v.message) for v in refused.violations]
    affordability = None
    if priced is not None:
        affordability = assess(
            statement,
            instalment=priced.instalment,
            frequency=request.frequency,
            policy=policy.affordability,
        )
        if affordability.verdict is Verdict.UNAFFORDABLE:
            declines.append(
                Reason(
                    "affordability.insufficient",
                    f"{affordability.disposable_after} a month left after the instalment; "
                    f"at least {affordability.required_margin} is needed",
                )
            )
        elif affordability.verdict is Verdict.NEAR_MARGIN:
            referrals.append(
                Reason(
                    "affordability.near_margin",
                    f"{affordability.disposable_after} a month left after the instalment is "
                    f"close to the {affordability.required_margin} margin",
                )
            )
    if declines:
        return Decision(Outcome.DECLINE, tuple(declines), priced, affordability)
    if referrals:
        return Decision(Outcome.REFER, tuple(referrals), priced, affordability)
    return Decision(Outcome.APPROVE, (), priced, affordability)
