"""The API's one mapping of errors to problems, built by the application factory.

Every domain error derives from a kind of `ledger.errors`, and each kind has its problem
here, so a new refusal is answered as its kind before anyone maps it:

| kind | status | type |
| --- | --- | --- |
| `NotFound` | 404 | `/problems/not-found` |
| `Conflict` | 409 | `/problems/conflict` |
| `Refused` | 422 | `/problems/refused` (with `errors`) |
| `Unavailable` | 503 | `/problems/unavailable` (with `Retry-After`) |

An error mapped on its own keeps its own title and type; the tables of the ledger and the
platform are below, the services' in `api.domain_problems` and `api.loan_problems`.
`build_problem_map` puts them together; `create_app` installs the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import psycopg
import sqlalchemy.exc

from api import domain_problems, loan_problems
from api.payments import problems as payment_problems
from api.problems import (
    RETRY_AFTER_BUSY_S,
    RETRY_AFTER_UNAVAILABLE_S,
    ProblemMap,
    ProblemSpec,
    ProblemTable,
)
from api.security import PasswordChangeRequired
from creditunion import errors
from creditunion.auth.maker_checker import CheckerNotAllowed, SelfApprovalRefused
from creditunion.auth.passwords import WeakPassword
from creditunion.auth.users import (
    ApprovalOfInactiveLogin,
    InvalidUsername,
    MemberLoginExists,
    NothingToApprove,
    RoleNotAssignable,
    UsernameTaken,
    UserNotFound,
)
from creditunion.idempotency.store import KeyReused
from ledger import accounts, checks, entry, periods, posting, reversal, transaction
from ledger.export.camt053 import NothingToState
from ledger.export.run import UnsupportedFormat

Extensions = Callable[[Exception], Mapping[str, Any]]


def single_error(exc: Exception) -> Mapping[str, Any]:
    """`errors` for a 422: one pointer per field the error names, else one at the body.

    An error naming its fields (`problems` of objects with `pointer` and `message`, like
    creditunion.field_problems.ValidationProblem) gets one pointer per field.
    """
    problems = getattr(exc, "problems", None)
    if problems and all(hasattr(p, "pointer") and hasattr(p, "message") for p in problems):
        return {
            "errors": [
                {"location": "body", "pointer": "#" + p.pointer, "detail": p.message}
                for p in problems
            ]
        }
    return {"errors": [{"location": "body", "pointer": "#", "detail": str(exc)}]}


def query_error(name: str) -> Extensions:
    """`errors` for a 422 about the query parameter `name`."""

    def extensions(exc: Exception) -> Mapping[str, Any]:
        return {"errors": [{"location": "query", "pointer": f"#/{name}", "detail": str(exc)}]}

    return extensions


KINDS: Final[ProblemTable] = (
    (errors.NotFound, ProblemSpec(404, "Not found", "not-found")),
    (errors.Conflict, ProblemSpec(409, "Conflict", "conflict")),
    (errors.Refused, ProblemSpec(422, "Refused", "refused", extensions=single_error)),
    (
        errors.Unavailable,
        ProblemSpec(
            503,
            "Unavailable",
            "unavailable",
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
        ),
    ),
    # The application's two refusals of their own kind.
    (errors.PermissionDenied, ProblemSpec(403, "Forbidden", "permission-denied")),
    (
        errors.InvalidInput,
        ProblemSpec(422, "Invalid input", "invalid-input", extensions=single_error),
    ),
)

_LEDGER_CONFLICTS: Final[list[tuple[type[Exception], str, str]]] = [
    (checks.InsufficientFunds, "Insufficient funds", "insufficient-funds"),
    (checks.AccountClosed, "Account closed", "account-closed"),
    (checks.AccountNotPostable, "Account takes no postings", "account-not-postable"),
    (checks.AccountCurrencyMismatch, "Currency mismatch", "currency-mismatch"),
    (checks.UnknownAccount, "Unknown account", "unknown-account"),
    (posting.IdempotencyConflict, "Idempotency key reused", "ledger-idempotency-conflict"),
    (posting.AlreadyReversed, "Already reversed", "already-reversed"),
    (reversal.CannotReverseReversal, "A reversal cannot be reversed", "reversal-of-reversal"),
    (periods.PeriodClosed, "Business date closed", "period-closed"),
    (periods.FutureDated, "Business date not reached", "future-dated"),
    (checks.PostingRefused, "Posting refused", "posting-refused"),
    (accounts.AccountNotEmpty, "Account not empty", "account-not-empty"),
    (accounts.AccountCodeTaken, "Account code taken", "account-code-taken"),
]

LEDGER: Final[ProblemTable] = (
    *((exc, ProblemSpec(409, title, slug)) for exc, title, slug in _LEDGER_CONFLICTS),
    (accounts.AccountNotFound, ProblemSpec(404, "Account not found", "account-not-found")),
    (reversal.EntryNotFound, ProblemSpec(404, "Entry not found", "entry-not-found")),
    (
        entry.InvalidEntry,
        ProblemSpec(422, "Invalid entry", "invalid-entry", extensions=single_error),
    ),
    (
        NothingToState,
        ProblemSpec(422, "Nothing to state", "nothing-to-state", extensions=query_error("to")),
    ),
    (
        UnsupportedFormat,
        ProblemSpec(
            422,
            "Format not offered",
            "export-format-not-offered",
            extensions=query_error("format"),
        ),
    ),
    (
        transaction.PostingContention,
        ProblemSpec(
            503,
            "Busy",
            "busy",
            expose_message=False,
            headers={"Retry-After": str(RETRY_AFTER_BUSY_S)},
        ),
    ),
)

_PLATFORM_CONFLICTS: Final[list[tuple[type[Exception], str, str]]] = [
    (KeyReused, "Idempotency key reused", "idempotency-key-reused"),
    (UsernameTaken, "Username taken", "username-taken"),
    (MemberLoginExists, "Member already has a login", "member-login-exists"),
    (NothingToApprove, "Nothing to approve", "nothing-to-approve"),
    (ApprovalOfInactiveLogin, "Login deactivated", "approval-of-inactive-login"),
]

_PLATFORM_INPUT: Final[list[tuple[type[Exception], str, str]]] = [
    (WeakPassword, "Password too weak", "weak-password"),
    (InvalidUsername, "Invalid username", "invalid-username"),
    (RoleNotAssignable, "Role not assignable", "role-not-assignable"),
]

_DATABASE_UNAVAILABLE: Final = ProblemSpec(
    503,
    "Database unavailable",
    "database-unavailable",
    expose_message=False,
    headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
)

# Users and sign-in, idempotency, the database, and the API's own refusal.
PLATFORM: Final[ProblemTable] = (
    *((exc, ProblemSpec(409, title, slug)) for exc, title, slug in _PLATFORM_CONFLICTS),
    *(
        (exc, ProblemSpec(422, title, slug, extensions=single_error))
        for exc, title, slug in _PLATFORM_INPUT
    ),
    (UserNotFound, ProblemSpec(404, "User not found", "user-not-found")),
    (SelfApprovalRefused, ProblemSpec(403, "Self-approval refused", "self-approval")),
    (CheckerNotAllowed, ProblemSpec(403, "Approver not allowed", "checker-not-allowed")),
    (sqlalchemy.exc.OperationalError, _DATABASE_UNAVAILABLE),
    (sqlalchemy.exc.TimeoutError, _DATABASE_UNAVAILABLE),
    (psycopg.OperationalError, _DATABASE_UNAVAILABLE),
    (
        PasswordChangeRequired,
        ProblemSpec(403, "Password change required", "password-change-required"),
    ),
)


def build_problem_map(*extra: ProblemTable) -> ProblemMap:
    """The kinds, the ledger's and the platform's problems and the services', with `extra`
    (a test's own, for instance)."""
    return ProblemMap.of(
        KINDS,
        LEDGER,
        PLATFORM,
        domain_problems.PROBLEMS,
        loan_problems.PROBLEMS,
        payment_problems.PROBLEMS,
        *extra,
    )
