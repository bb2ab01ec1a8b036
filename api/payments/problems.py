"""How the payment refusals are answered over HTTP: each with a title and type of its own.

The statuses are their kinds' (`api.problem_map`). A bank account that fails its check
points at the field at fault (`#/sort_code`, `#/routing_number`, `#/account_number`); a
status report that is not one we can import points at the body, which is the document
(an invalid document is its kind's `/problems/refused`, pointing at the body too).
A credit union with no settlement account configured does not offer payments: a refusal
(422), not an outage. Missing chart accounts are a 503: an operator must act.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from api.domain_problems import RETRY_AFTER_NOT_READY_S
from api.problems import ProblemSpec, ProblemTable
from creditunion.payments import (
    config,
    inbound_files,
    incoming,
    ledger_accounts,
    nominations,
    outbound,
    outbound_files,
    outcomes,
    queries,
    statements,
    status_reports,
)
from creditunion.payments.bank_accounts import InvalidBankAccount


def _bank_account_field(exc: Exception) -> Mapping[str, Any]:
    assert isinstance(exc, InvalidBankAccount)
    return {"errors": [{"location": "body", "pointer": f"#/{exc.field}", "detail": str(exc)}]}


def _at_body(exc: Exception) -> Mapping[str, Any]:
    return {"errors": [{"location": "body", "pointer": "#", "detail": str(exc)}]}


_NOT_FOUND: Final[list[tuple[type[Exception], str, str]]] = [
    (nominations.NoNominatedAccount, "No nominated account", "no-nominated-account"),
    (outbound.PaymentNotFound, "Payment not found", "payment-not-found"),
    (queries.PaymentFileNotFound, "Payment file not found", "payment-file-not-found"),
    (incoming.CreditNotFound, "Incoming credit not found", "incoming-credit-not-found"),
    (statements.StatementLineNotFound, "Statement line not found", "statement-line-not-found"),
]

_CONFLICTS: Final[list[tuple[type[Exception], str, str]]] = [
    (nominations.MemberCannotNominate, "Member cannot nominate", "member-cannot-nominate"),
    (outbound.PaymentKeyReused, "Payment key reused", "payment-key-reused"),
    (outbound.PaymentNotCancellable, "Payment cannot be cancelled", "payment-not-cancellable"),
    (outbound_files.NothingToSend, "Nothing to send", "nothing-to-send"),
    (inbound_files.FileAlreadyImported, "File already imported", "file-already-imported"),
    (incoming.CreditAlreadyResolved, "Credit already resolved", "credit-already-resolved"),
    (incoming.NoPayerAccount, "No account to return to", "no-payer-account"),
    (statements.NotABreak, "Not a break", "not-a-break"),
]

_REFUSED: Final[list[tuple[type[Exception], str, str]]] = [
    (status_reports.UnknownOriginalMessage, "Unknown original message", "unknown-original-message"),
    (outcomes.UnknownPaymentReference, "Unknown payment reference", "unknown-payment-reference"),
    (outcomes.OutcomeNotApplicable, "Outcome not applicable", "outcome-not-applicable"),
    (config.PaymentsNotConfigured, "Payments not offered", "payments-not-offered"),
]

PROBLEMS: Final[ProblemTable] = (
    *((exc, ProblemSpec(404, title, slug)) for exc, title, slug in _NOT_FOUND),
    *((exc, ProblemSpec(409, title, slug)) for exc, title, slug in _CONFLICTS),
    *((exc, ProblemSpec(422, title, slug, extensions=_at_body)) for exc, title, slug in _REFUSED),
    (
        InvalidBankAccount,
        ProblemSpec(
            422, "Invalid bank account", "invalid-bank-account", extensions=_bank_account_field
        ),
    ),
    (
        ledger_accounts.PaymentAccountsMissing,
        ProblemSpec(
            503,
            "Payment accounts missing",
            "payment-accounts-missing",
            headers={"Retry-After": str(RETRY_AFTER_NOT_READY_S)},
        ),
    ),
)
