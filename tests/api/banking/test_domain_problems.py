"""Each refusal of the member, share, approval and dividend services has its own problem
type and the status docs/members-and-accounts.md gives it; so has each of the loans
package's (docs/loans-api.md)."""

from __future__ import annotations

import pytest

from api.problem_map import build_problem_map
from creditunion.approvals import requests as approval_requests
from creditunion.approvals import service as approvals
from creditunion.business_date import service as business_dates
from creditunion.members import closure, status
from creditunion.members import service as members
from creditunion.savings import dividends
from creditunion.shares import member_transfers, movement_rules, movements, product_service
from creditunion.shares import service as shares
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

EXPECTED: dict[type[Exception], tuple[int, str]] = {
    members.MemberNotFound: (404, "member-not-found"),
    members.DuplicateMember: (409, "duplicate-member"),
    members.MemberClosed: (409, "member-closed"),
    status.StatusTransitionRefused: (409, "status-transition-refused"),
    closure.MemberClosureRefused: (409, "member-closure-refused"),
    shares.ShareAccountNotFound: (404, "share-account-not-found"),
    shares.ShareAccountClosed: (409, "share-account-closed"),
    shares.ShareAccountNotEmpty: (409, "share-account-not-empty"),
    shares.PendingApprovalsExist: (409, "pending-approvals-exist"),
    shares.ProductNotOffered: (409, "product-not-offered"),
    shares.MemberNotEligible: (409, "member-not-eligible"),
    product_service.ProductNotFound: (404, "share-product-not-found"),
    product_service.ProductCodeTaken: (409, "product-code-taken"),
    product_service.ChartNotInstalled: (503, "not-initialised"),
    movement_rules.WrongCurrency: (422, "wrong-currency"),
    movement_rules.AboveMaximumBalance: (409, "above-maximum-balance"),
    movement_rules.OutsideWithdrawalWindow: (409, "outside-withdrawal-window"),
    movement_rules.InsufficientAvailableBalance: (409, "insufficient-available-balance"),
    movement_rules.MemberCannotWithdraw: (409, "member-cannot-withdraw"),
    movement_rules.FinalWithdrawalMismatch: (409, "final-withdrawal-mismatch"),
    movements.NoAccountToReceive: (404, "no-account-to-receive"),
    approvals.ApprovalNotFound: (404, "approval-not-found"),
    approvals.ApprovalAlreadyDecided: (409, "approval-already-decided"),
    approvals.ApprovalExpired: (409, "approval-expired"),
    approvals.SelfApprovalRefused: (403, "self-approval"),
    approvals.ApproverRoleRefused: (403, "checker-not-allowed"),
    approvals.EntryToReverseNotFound: (404, "entry-not-found"),
    approvals.EntryNotReversible: (409, "entry-not-reversible"),
    approval_requests.ApprovalKeyReused: (409, "approval-key-reused"),
    approval_requests.ReversalAlreadyPending: (409, "reversal-already-pending"),
    approval_requests.WriteOffAlreadyPending: (409, "write-off-already-pending"),
    business_dates.BusinessDateNotInitialised: (503, "not-initialised"),
    business_dates.BusinessDateMoved: (409, "business-date-moved"),
    business_dates.BusinessDateStillOpen: (409, "business-date-open"),
    dividends.DividendProductNotFound: (404, "dividend-product-not-found"),
    dividends.DividendOverlaps: (409, "dividend-overlaps"),
    member_transfers.RecipientNotFound: (404, "recipient-not-found"),
    member_transfers.RecipientCannotReceive: (409, "recipient-cannot-receive"),
    # Loans (api/loan_problems.py): the bases, then each error of the package.
    errors.LoansNotFound: (404, "loans-not-found"),
    errors.LoansConflict: (409, "loan-conflict"),
    errors.LoansRefused: (422, "loan-refused"),
    products.ProductNotFound: (404, "loan-product-not-found"),
    products.ProductCodeTaken: (409, "loan-product-code-taken"),
    products.ProductInactive: (422, "loan-product-not-offered"),
    applications.ApplicationNotFound: (404, "loan-application-not-found"),
    applications.ApplicationInvalid: (422, "loan-application-invalid"),
    applications.InvalidTransition: (409, "loan-application-state"),
    applications.ApprovalRefused: (422, "loan-approval-refused"),
    origination.OfferExpired: (409, "loan-offer-expired"),
    origination.AcceptanceRefused: (422, "loan-acceptance-refused"),
    state.LoanNotFound: (404, "loan-not-found"),
    state.LoanNotActive: (409, "loan-not-active"),
    repayments.RepaymentKeyConflict: (409, "loan-payment-key-reused"),
    repayments.InvalidRepayment: (422, "invalid-loan-payment"),
    withdrawal.WithdrawalPeriodOver: (409, "loan-withdrawal-period-over"),
    withdrawal.WithdrawalNoticeGiven: (409, "loan-withdrawal-notice-given"),
    writeoff.WriteOffNotDue: (409, "loan-write-off-not-due"),
    writeoff.RecoveryExceedsWrittenOff: (422, "recovery-exceeds-written-off"),
    cob_accrual.AccrualRefused: (409, "loan-accrual-refused"),
    collection.AccrualNotRun: (409, "loan-accrual-not-run"),
    arrears.FeeRefused: (409, "loan-fee-refused"),
    accounts.NotAShareAccount: (422, "not-a-share-account"),
    accounts.CurrencyNotLent: (422, "currency-not-lent"),
    accounts.ChartNotInstalled: (503, "not-initialised"),
    QuoteRefused: (422, "loan-quote-refused"),
    ProductInvalid: (422, "loan-product-breaks-rules"),
    ProductError: (422, "loan-product-malformed"),
    PaymentExceedsBalance: (422, "payment-exceeds-balance"),
    StatementInvalid: (422, "statement-invalid"),
    FactsError: (422, "loan-facts-missing"),
    RateError: (422, "invalid-rate"),
    FrequencyError: (422, "invalid-term"),
    UnknownRuleSet: (422, "unknown-rule-set"),
    NoRuleInForce: (422, "no-rule-in-force"),
    apr.AprError: (422, "apr-not-computable"),
    schedule.ScheduleError: (422, "schedule-invalid"),
}


@pytest.mark.parametrize(
    ("error", "expected"), EXPECTED.items(), ids=lambda v: getattr(v, "__name__", "")
)
def test_each_refusal_has_its_problem(error: type[Exception], expected: tuple[int, str]) -> None:
    problems = build_problem_map()
    spec = problems.spec_for(error.__new__(error))
    assert spec is not None
    assert (spec.status, spec.type_slug) == expected
    assert spec.expose_message  # their messages are written for the caller
    assert problems.by_slug()[spec.type_slug].status == spec.status
