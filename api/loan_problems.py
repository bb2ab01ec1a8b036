"""How the loans package's refusals are answered over HTTP (`PROBLEMS`, in the app's map).

The package's families map whole: `LoansNotFound` 404, `LoansRefused` 422,
`LoansConflict` 409. Each concrete error is mapped too, for a problem type of its own.
The pure modules' refusals are `Refused` and answer 422.

A refusal that names rules carries them, so a client can react to each without parsing
text: `codes` (each rule's stable code once, in order found, e.g. `product.amount_range`,
`gb.interest_cap`, `eligibility.outstanding_loans`) and `violations` (code and message),
with `errors` pointing at the field each rule is about where there is one (`#/amount`,
`#/term`, `#/rate`, ...; `#` for rules about the member or the portfolio). That is:

- a quote a rule refuses (`loan-quote-refused`): 422, not 409. The request is what breaks
  the rule (too much, too long, a frequency not offered) or the member cannot have this
  loan now (too soon after joining, a second PAL); asking again unchanged gives the same
  answer until the member's circumstances change, and the codes say which rule to meet;
- a product that breaks its rule set (`loan-product-breaks-rules`), a loan officer's
  approval the checks now decline (`loan-approval-refused`), an acceptance the rules now
  refuse (`loan-acceptance-refused`): 422 with the same extensions.

An acceptance that would make the loan dearer than the offer (`loan-offer-repriced`) is a
409: the offer stands as it was, and `offered` and `today` give the APR, instalment and
total payable of each, so the member can see why and apply again at today's price.

An application is never refused for the rules: it is recorded and declined (201), with
its reasons on the application.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from api.problems import ProblemSpec, ProblemTable
from loans import apr, errors, schedule
from loans.affordability import StatementInvalid
from loans.allocation import PaymentExceedsBalance
from loans.checks import ProductInvalid
from loans.facts import FactsError
from loans.frequency import FrequencyError
from loans.product import ProductError
from loans.quote import QuoteRefused
from loans.rate import RateError
from loans.registry import UnknownRuleSet
from loans.rulesets.base import NoRuleInForce
from loans.services import (
    accounts,
    applications,
    arrears,
    cob_accrual,
    collection,
    origination,
    products,
    repayments,
    state,
    withdrawal,
    writeoff,
)

RETRY_AFTER_NOT_READY_S: Final = 60

# Where in a quote or application body each rule (by the end of its code) is about.
_REQUEST_FIELDS: Final = {
    "amount_range": "#/amount",
    "currency": "#/amount/currency",
    "term_range": "#/term",
    "frequency": "#/frequency",
    "rollover": "#/refinances_existing",
}
# ... and in a product's terms.
_PRODUCT_FIELDS: Final = {
    "amount_range": "#/amounts",
    "currency": "#/currency",
    "term_range": "#/terms",
    "membership_period": "#/min_membership_days",
    "interest_cap": "#/rate",
    "rate_cap": "#/rate",
    "fee_cap": "#/fees",
    "fee_exceeds_amount": "#/fees",
    "finance_charge": "#/fees",
    "late_fee": "#/late_fee",
    "nsf_fee": "#/nsf_fee",
    "early_repayment_charge": "#/early_repayment_charge",
}


def _rules(found: Sequence[Any], fields: Mapping[str, str]) -> Mapping[str, Any]:
    violations = [{"code": str(v.code), "message": str(v.message)} for v in found]
    return {
        "codes": list(dict.fromkeys(v["code"] for v in violations)),
        "violations": violations,
        "errors": [
            {
                "location": "body",
                "pointer": fields.get(v["code"].rpartition(".")[2], "#"),
                "detail": f"{v['code']}: {v['message']}",
            }
            for v in violations
        ],
    }


def _quote_rules(exc: Exception) -> Mapping[str, Any]:
    return _rules(getattr(exc, "violations", ()), _REQUEST_FIELDS)


def _decision_rules(exc: Exception) -> Mapping[str, Any]:
    return _rules(getattr(exc, "reasons", ()), _REQUEST_FIELDS)


def _product_rules(exc: Exception) -> Mapping[str, Any]:
    return _rules(getattr(exc, "violations", ()), _PRODUCT_FIELDS)


def _terms(terms: origination.Terms) -> Mapping[str, Any]:
    return {
        "apr": format(terms.apr, "f"),
        "instalment": {
            "amount": str(terms.instalment.amount),
            "currency": terms.instalment.currency,
        },
        "total_payable": {
            "amount": str(terms.total_payable.amount),
            "currency": terms.total_payable.currency,
        },
    }


def _repriced(exc: Exception) -> Mapping[str, Any]:
    assert isinstance(exc, origination.OfferRepriced)
    return {
        "application_id": exc.application_id,
        "offered": _terms(exc.offered),
        "today": _terms(exc.today),
    }


def _pointing(pointer: str) -> Any:
    def extensions(exc: Exception) -> Mapping[str, Any]:
        return {"errors": [{"location": "body", "pointer": pointer, "detail": str(exc)}]}

    return extensions


_NOT_FOUND: Final[list[tuple[type[Exception], str, str]]] = [
    (errors.LoansNotFound, "Not found", "loans-not-found"),
    (products.ProductNotFound, "Loan product not found", "loan-product-not-found"),
    (applications.ApplicationNotFound, "Loan application not found", "loan-application-not-found"),
    (state.LoanNotFound, "Loan not found", "loan-not-found"),
]

_CONFLICTS: Final[list[tuple[type[Exception], str, str]]] = [
    (errors.LoansConflict, "Loan conflict", "loan-conflict"),
    (products.ProductCodeTaken, "Loan product code taken", "loan-product-code-taken"),
    (applications.InvalidTransition, "Not in a state to do that", "loan-application-state"),
    (origination.OfferExpired, "Offer expired", "loan-offer-expired"),
    (state.LoanNotActive, "Loan not active", "loan-not-active"),
    (repayments.RepaymentKeyConflict, "Loan payment key reused", "loan-payment-key-reused"),
    (
        withdrawal.WithdrawalPeriodOver,
        "Withdrawal period over",
        "loan-withdrawal-period-over",
    ),
    (
        withdrawal.WithdrawalNoticeGiven,
        "Notice of withdrawal already given",
        "loan-withdrawal-notice-given",
    ),
    (writeoff.WriteOffNotDue, "Write-off not due", "loan-write-off-not-due"),
    (cob_accrual.AccrualRefused, "Accrual refused", "loan-accrual-refused"),
    (collection.AccrualNotRun, "Accrual not run", "loan-accrual-not-run"),
    (arrears.FeeRefused, "Fee refused", "loan-fee-refused"),
]

# (error, title, slug, the field it is about: `#` for the request as a whole)
_REFUSED: Final[list[tuple[type[Exception], str, str, str]]] = [
    (errors.LoansRefused, "Loan request refused", "loan-refused", "#"),
    (
        products.ProductInactive,
        "Loan product not offered",
        "loan-product-not-offered",
        "#/product_code",
    ),
    (applications.ApplicationInvalid, "Invalid loan application", "loan-application-invalid", "#"),
    (repayments.InvalidRepayment, "Invalid loan payment", "invalid-loan-payment", "#/amount"),
    (accounts.NotAShareAccount, "Not a share account", "not-a-share-account", "#"),
    (accounts.CurrencyNotLent, "Currency not lent", "currency-not-lent", "#/currency"),
    (
        writeoff.RecoveryExceedsWrittenOff,
        "Recovery exceeds what was written off",
        "recovery-exceeds-written-off",
        "#/amount",
    ),
    (PaymentExceedsBalance, "Payment exceeds the balance", "payment-exceeds-balance", "#/amount"),
    (StatementInvalid, "Invalid income and expenditure", "statement-invalid", "#/statement"),
    (ProductError, "Malformed loan product", "loan-product-malformed", "#"),
    (RateError, "Invalid rate", "invalid-rate", "#/rate"),
    (FrequencyError, "Invalid term", "invalid-term", "#/term"),
    (UnknownRuleSet, "Unknown rule set", "unknown-rule-set", "#/rule_set"),
    (NoRuleInForce, "No rule in force", "no-rule-in-force", "#"),
    (FactsError, "Facts missing", "loan-facts-missing", "#"),
    (apr.AprError, "APR cannot be computed", "apr-not-computable", "#"),
    (schedule.ScheduleError, "Schedule cannot be built", "schedule-invalid", "#"),
]


PROBLEMS: Final[ProblemTable] = (
    *((exc, ProblemSpec(404, title, slug)) for exc, title, slug in _NOT_FOUND),
    *((exc, ProblemSpec(409, title, slug)) for exc, title, slug in _CONFLICTS),
    *(
        (exc, ProblemSpec(422, title, slug, extensions=_pointing(pointer)))
        for exc, title, slug, pointer in _REFUSED
    ),
    (
        QuoteRefused,
        ProblemSpec(422, "Quote refused", "loan-quote-refused", extensions=_quote_rules),
    ),
    (
        ProductInvalid,
        ProblemSpec(
            422,
            "Loan product breaks its rules",
            "loan-product-breaks-rules",
            extensions=_product_rules,
        ),
    ),
    (
        applications.ApprovalRefused,
        ProblemSpec(422, "Approval refused", "loan-approval-refused", extensions=_decision_rules),
    ),
    (
        origination.AcceptanceRefused,
        ProblemSpec(
            422, "Acceptance refused", "loan-acceptance-refused", extensions=_decision_rules
        ),
    ),
    (
        origination.OfferRepriced,
        ProblemSpec(409, "Offer repriced", "loan-offer-repriced", extensions=_repriced),
    ),
    (
        accounts.ChartNotInstalled,
        ProblemSpec(
            503,
            "Not initialised",
            "not-initialised",
            headers={"Retry-After": str(RETRY_AFTER_NOT_READY_S)},
        ),
    ),
)
