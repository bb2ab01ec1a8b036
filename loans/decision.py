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
    monthly_cost,
)
from loans.calendar import add_months
from loans.facts import LoanFacts
from loans.frequency import Frequency
from loans.product import FeeTreatment, LoanProduct
from loans.quote import Quote, QuoteRefused, quote
from loans.rulesets.gb import EXEMPT_THRESHOLD_CODE, CreditUnionCapRules
from loans.rulesets.pal import PalRules

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
class ExistingLoan:
    """A loan the member is repaying: its instalment is a monthly commitment."""

    loan_id: int
    instalment: Money
    frequency: Frequency


@dataclass(frozen=True, slots=True)
class SettledLoan:
    """A loan the member repaid in full, and when: a new loan close to it is a rollover."""

    loan_id: int
    settled_on: date
    pal: bool


@dataclass(frozen=True, slots=True)
class LoanHistory:
    """What the loans tables say about the member's loans and the PAL portfolio.

    `outstanding_loans` counts active loans and written-off loans whose debt is still owed
    (`written_off_owing` of them): writing a debt off is an accounting step, the member
    still owes it.
    """

    outstanding_loans: int = 0
    loans_in_arrears: int = 0
    previous_loans: int = 0
    originations: tuple[date, ...] = ()  # disbursement dates of loans made (not withdrawn)
    outstanding_pals: int = 0
    pal_originations: tuple[date, ...] = ()
    portfolio_pal_balances: Money | None = None
    written_off_owing: int = 0
    active_loans: tuple[ExistingLoan, ...] = ()
    settled_loans: tuple[SettledLoan, ...] = ()


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
    # A loan made within this many days after one the member settled is a rollover.
    rollover_window_days: int = 7
    # A GB/NI loan above the 42.6% exempt-agreement APR goes to a loan officer.
    refer_above_exempt_threshold: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.min_age <= 120 or self.max_outstanding_loans < 0:
            raise ValueError("min_age is 0 to 120 and max_outstanding_loans >= 0")
        if not 0 <= self.rollover_window_days <= 90:
            raise ValueError("rollover_window_days is 0 to 90")
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


def loan_facts(
    member: MemberFacts, history: LoanHistory, *, refinances_a_pal: bool = False
) -> LoanFacts:
    return LoanFacts(
        membership_start=member.membership_start,
        outstanding_pals=history.outstanding_pals,
        pal_originations=history.pal_originations,
        refinances_existing=refinances_a_pal,
        portfolio_pal_balances=history.portfolio_pal_balances,
        net_worth=member.net_worth,
    )


def settled_within(history: LoanHistory, *, days: int, on: date) -> tuple[SettledLoan, ...]:
    """Loans settled on `on` or in the `days` before it: a loan made now may roll them over."""
    return tuple(loan for loan in history.settled_loans if 0 <= (on - loan.settled_on).days <= days)


def pal_rollover(
    product: LoanProduct,
    request: LoanRequest,
    history: LoanHistory,
    policy: DecisionPolicy,
    *,
    on: date,
) -> bool:
    """Whether a PAL would roll over another PAL, which NCUA forbids (12 CFR 701.21(c)(7)(iii)
    and (iv)): declared by the member, or a PAL settled within the rollover window."""
    if not isinstance(product.rule_set, PalRules):
        return False
    recent = settled_within(history, days=policy.rollover_window_days, on=on)
    return request.refinances_existing or any(loan.pal for loan in recent)


def rollover_referrals(
    product: LoanProduct, history: LoanHistory, policy: DecisionPolicy, *, on: date
) -> list[Reason]:
    """A loan officer looks at a loan made around the settlement of another, unless the PAL
    rule already refuses it: the timing alone cannot tell a rollover from a member who
    repaid from their own money and borrows again."""
    pal = isinstance(product.rule_set, PalRules)
    return [
        Reason(
            "referral.rollover",
            f"loan {loan.loan_id} was settled on {loan.settled_on}, within "
            f"{policy.rollover_window_days} days: check this loan does not repay it",
        )
        for loan in settled_within(history, days=policy.rollover_window_days, on=on)
        if not (pal and loan.pal)
    ]


def existing_commitments(history: LoanHistory, *, currency: str) -> Money:
    """The monthly cost of every loan the member is repaying, rounded up like a new one's.

    The books lend in one currency; a loan in another (a rule set's worked example, kept
    inactive) has no exchange rate to be added by, and is left out."""
    return sum(
        (
            monthly_cost(loan.instalment, loan.frequency)
            for loan in history.active_loans
            if loan.instalment.currency == currency
        ),
        Money.zero(currency),
    )


def upfront_fees(product: LoanProduct) -> Money:
    """Fees the member pays from their own money on the day the loan is made."""
    return sum(
        (fee.amount for fee in product.fees if fee.treatment is FeeTreatment.UPFRONT),
        Money.zero(product.currency),
    )


def exempt_referral(product: LoanProduct, priced: Quote) -> Reason | None:
    rules = product.rule_set
    if EXEMPT_THRESHOLD_CODE not in priced.flags or not isinstance(rules, CreditUnionCapRules):
        return None
    return Reason(
        "referral.above_exempt_threshold",
        f"APR {priced.apr}% is above {rules.exempt_apr_threshold}%: not an exempt "
        f"credit-union agreement ({rules.exempt_citation}), so the loan is regulated "
        "credit under the Consumer Credit Act and CONC",
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
    if policy.decline_in_arrears and history.written_off_owing:
        declines.append(
            Reason(
                "eligibility.written_off_debt",
                f"{history.written_off_owing} written-off loan(s) still owed",
            )
        )
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
    referrals += rollover_referrals(product, history, policy, on=on)
    refinances_a_pal = pal_rollover(product, request, history, policy, on=on)
    try:
        priced: Quote | None = quote(
            product,
            request.amount,
            request.term,
            request.frequency,
            on,
            loan_facts(member, history, refinances_a_pal=refinances_a_pal),
        )
    except QuoteRefused as refused:
        priced = None
        declines += [Reason(v.code, v.message) for v in refused.violations]
    affordability = None
    if priced is not None:
        above_the_line = exempt_referral(product, priced)
        if above_the_line is not None and policy.refer_above_exempt_threshold:
            referrals.append(above_the_line)
        affordability = assess(
            statement,
            instalment=priced.instalment,
            frequency=request.frequency,
            policy=policy.affordability,
            existing=existing_commitments(history, currency=product.currency),
            upfront_fees=upfront_fees(product),
        )
        left = (
            f"{affordability.disposable_after} a month left after this instalment "
            f"({affordability.monthly_cost}), the member's other loans "
            f"({affordability.existing_commitments}) and the fees paid at the start "
            f"({affordability.upfront_fees})"
        )
        if affordability.verdict is Verdict.UNAFFORDABLE:
            declines.append(
                Reason(
                    "affordability.insufficient",
                    f"{left}; at least {affordability.required_margin} is needed",
                )
            )
        elif affordability.verdict is Verdict.NEAR_MARGIN:
            referrals.append(
                Reason(
                    "affordability.near_margin",
                    f"{left} is close to the {affordability.required_margin} margin",
                )
            )
    if declines:
        return Decision(Outcome.DECLINE, tuple(declines), priced, affordability)
    if referrals:
        return Decision(Outcome.REFER, tuple(referrals), priced, affordability)
    return Decision(Outcome.APPROVE, (), priced, affordability)
