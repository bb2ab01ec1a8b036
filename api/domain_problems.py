"""How the member, share account, approval and dividend refusals are answered over HTTP.

The kinds (`api.problem_map`) already map NotFound to 404, Conflict to 409,
PermissionDenied to 403, InvalidInput (with a pointer per field) to 422 and Unavailable to
503. Each domain error is mapped here anyway, for a title and problem type of its own; the
statuses chosen where the kind alone would not say enough:

- refusals that depend on the state of an account or member, not on the request's form,
  are 409 even where the amount is involved: above the product's maximum balance,
  outside a Christmas saver's withdrawal window, more than the available balance, a
  final withdrawal that is not the whole balance. The same request can succeed another
  day or after another movement, which is what a conflict means; a 422 would tell the
  client to fix its input.
- an amount in the wrong currency for the account is a 422 pointing at
  `#/amount/currency`: the request itself is wrong.
- a database without the chart of accounts or the business date (`creditunion init` not
  run) is a 503: the service is not ready, nothing the caller sent is wrong.

`PROBLEMS` is plain data: `api.problem_map.build_problem_map` puts it in the app's map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from api.problems import ProblemSpec, ProblemTable
from creditunion.approvals import requests as approval_requests
from creditunion.approvals import service as approvals
from creditunion.business_date import service as business_dates
from creditunion.members import closure, status
from creditunion.members import service as members
from creditunion.savings import dividends
from creditunion.shares import member_transfers, movement_rules, movements, product_service
from creditunion.shares import service as shares

RETRY_AFTER_NOT_READY_S: Final = 60


def _currency_pointer(exc: Exception) -> Mapping[str, Any]:
    return {"errors": [{"location": "body", "pointer": "#/amount/currency", "detail": str(exc)}]}


_NOT_FOUND: Final[list[tuple[type[Exception], str, str]]] = [
    (members.MemberNotFound, "Member not found", "member-not-found"),
    (shares.ShareAccountNotFound, "Share account not found", "share-account-not-found"),
    (product_service.ProductNotFound, "Share product not found", "share-product-not-found"),
    (movements.NoAccountToReceive, "No account to receive", "no-account-to-receive"),
    (approvals.ApprovalNotFound, "Approval not found", "approval-not-found"),
    (approvals.EntryToReverseNotFound, "Entry not found", "entry-not-found"),
    (dividends.DividendProductNotFound, "Dividend product not found", "dividend-product-not-found"),
    (member_transfers.RecipientNotFound, "Recipient not found", "recipient-not-found"),
]

_CONFLICTS: Final[list[tuple[type[Exception], str, str]]] = [
    (members.DuplicateMember, "Member already registered", "duplicate-member"),
    (members.MemberClosed, "Member closed", "member-closed"),
    (status.StatusTransitionRefused, "Status change refused", "status-transition-refused"),
    (closure.MemberClosureRefused, "Member cannot be closed", "member-closure-refused"),
    (shares.ShareAccountClosed, "Share account closed", "share-account-closed"),
    (shares.ShareAccountNotEmpty, "Share account not empty", "share-account-not-empty"),
    (shares.PendingApprovalsExist, "Withdrawals awaiting approval", "pending-approvals-exist"),
    (shares.ProductNotOffered, "Product no longer offered", "product-not-offered"),
    (shares.MemberNotEligible, "Member not eligible", "member-not-eligible"),
    (product_service.ProductCodeTaken, "Product code taken", "product-code-taken"),
    (movement_rules.AboveMaximumBalance, "Above maximum balance", "above-maximum-balance"),
    (
        movement_rules.OutsideWithdrawalWindow,
        "Outside the withdrawal window",
        "outside-withdrawal-window",
    ),
    (
        movement_rules.InsufficientAvailableBalance,
        "Insufficient available balance",
        "insufficient-available-balance",
    ),
    (movement_rules.MemberCannotWithdraw, "Member cannot withdraw", "member-cannot-withdraw"),
    (
        movement_rules.FinalWithdrawalMismatch,
        "Final withdrawal is not the balance",
        "final-withdrawal-mismatch",
    ),
    (approvals.ApprovalAlreadyDecided, "Approval already decided", "approval-already-decided"),
    (approvals.ApprovalExpired, "Approval lapsed", "approval-expired"),
    (approvals.EntryNotReversible, "Entry cannot be reversed", "entry-not-reversible"),
    (approval_requests.ApprovalKeyReused, "Approval key reused", "approval-key-reused"),
    (
        approval_requests.ReversalAlreadyPending,
        "Reversal already pending",
        "reversal-already-pending",
    ),
    (
        approval_requests.WriteOffAlreadyPending,
        "Write-off already pending",
        "write-off-already-pending",
    ),
    (business_dates.BusinessDateMoved, "Business date moved", "business-date-moved"),
    (business_dates.BusinessDateStillOpen, "Business date still open", "business-date-open"),
    (dividends.DividendOverlaps, "Dividend periods overlap", "dividend-overlaps"),
    (
        member_transfers.RecipientCannotReceive,
        "Recipient cannot receive",
        "recipient-cannot-receive",
    ),
]


def _sub_ledger_owner(exc: Exception) -> Mapping[str, Any]:
    assert isinstance(exc, approvals.EntryOwnedBySubLedger)
    return {"sub_ledger": exc.sub_ledger, "owner_id": exc.owner_id}


_NOT_READY: Final = ProblemSpec(
    503, "Not initialised", "not-initialised", headers={"Retry-After": str(RETRY_AFTER_NOT_READY_S)}
)

PROBLEMS: Final[ProblemTable] = (
    *((exc, ProblemSpec(404, title, slug)) for exc, title, slug in _NOT_FOUND),
    *((exc, ProblemSpec(409, title, slug)) for exc, title, slug in _CONFLICTS),
    (
        approvals.EntryOwnedBySubLedger,
        ProblemSpec(
            409,
            "Entry belongs to a sub-ledger",
            "entry-owned-by-sub-ledger",
            extensions=_sub_ledger_owner,
        ),
    ),
    # The same problem types as the platform's maker-checker refusals (api.problem_map).
    (approvals.SelfApprovalRefused, ProblemSpec(403, "Self-approval refused", "self-approval")),
    (
        approvals.ApproverRoleRefused,
        ProblemSpec(403, "Approver not allowed", "checker-not-allowed"),
    ),
    (
        movement_rules.WrongCurrency,
        ProblemSpec(422, "Wrong currency", "wrong-currency", extensions=_currency_pointer),
    ),
    (product_service.ChartNotInstalled, _NOT_READY),
    (business_dates.BusinessDateNotInitialised, _NOT_READY),
)
