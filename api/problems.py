"""Every error the API answers, as RFC 9457 `application/problem+json`, from one place.

A registry maps exception types to problems. Register a domain error once, beside the
router that can raise it (the most specific registered class in the exception's MRO
wins, so registering a base class covers its subclasses):

    register_problem(InsufficientFunds, 409, "Insufficient funds", "insufficient-funds")

Anything not registered is a 500 whose body says nothing but the request id; the log
line has the traceback and the same request id.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import psycopg
import sqlalchemy.exc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.middleware.security_headers import set_fixed_headers
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
from creditunion.platform.request_context import current_request_id
from ledger import accounts, checks, entry, periods, posting, reversal, transaction

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_PREFIX: Final = "/problems/"
LOCATIONS: Final = ("body", "query", "path", "header", "cookie")
RETRY_AFTER_BUSY_S: Final = 1
RETRY_AFTER_UNAVAILABLE_S: Final = 5

log = logging.getLogger(__name__)

Location = Literal["body", "query", "path", "header", "cookie"]


class Problem(BaseModel):
    """RFC 9457 problem details, plus the request id to quote when reporting it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(
        default="about:blank",
        description="A URI reference naming the kind of problem; `about:blank` for plain HTTP statuses.",
        examples=["/problems/insufficient-funds"],
    )
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.", ge=400, le=599)
    detail: str | None = Field(default=None, description="What went wrong this time.")
    instance: str | None = Field(default=None, description="The path of the request.")
    request_id: str | None = Field(default=None, description="The request's X-Request-ID.")


class FieldError(BaseModel):
    location: Location = Field(description="Where the field is: the body or a parameter.")
    pointer: str = Field(
        description="RFC 6901 JSON pointer (as a URI fragment) to the field within its location.",
        examples=["#/amount"],
    )
    detail: str


class ValidationProblem(Problem):
    """A 422: `errors` lists each offending field."""

    errors: list[FieldError]


@dataclass(frozen=True, slots=True)
class ProblemSpec:
    status: int
    title: str
    type_slug: str
    expose_message: bool = True
    extensions: Callable[[Exception], Mapping[str, Any]] | None = None
    headers: Mapping[str, str] | None = None

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.type_slug


_REGISTRY: dict[type[Exception], ProblemSpec] = {}


def register_problem(
    exc_type: type[Exception],
    status: int,
    title: str,
    type_slug: str,
    *,
    expose_message: bool = True,
    extensions: Callable[[Exception], Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer `exc_type` (and subclasses not registered themselves) with this problem.

    `detail` is `str(exc)` unless `expose_message` is False (for errors whose message may
    hold internals). `extensions` adds members to the body (for a 422, give `errors`:
    a list of {location, pointer, detail}); `headers` are sent with the response.
    """
    if not 400 <= status <= 599:
        raise ValueError(f"a problem's status is 4xx or 5xx, got {status}")
    if not type_slug or not all(c.isalnum() or c == "-" for c in type_slug):
        raise ValueError(f"type_slug {type_slug!r} must be letters, digits and hyphens")
    _REGISTRY[exc_type] = ProblemSpec(
        status=status,
        title=title,
        type_slug=type_slug,
        expose_message=expose_message,
        extensions=extensions,
        headers=dict(headers) if headers else None,
    )


def problem_spec_for(exc: BaseException) -> ProblemSpec | None:
    for cls in type(exc).__mro__:
        spec = _REGISTRY.get(cls)
        if spec is not None:
            return spec
    return None


def registered_problems() -> dict[str, ProblemSpec]:
    """Every registered problem type by slug (for the docs and `/problems/{slug}`)."""
    return {spec.type_slug: spec for spec in _REGISTRY.values()}


# ----------------------------------------------------------------------------- errors of the API


class Unauthenticated(Exception):
    """No credentials, or credentials we did not issue, have expired or revoked."""

    def __init__(self, detail: str = "sign in to use this endpoint", *, invalid: bool = False):
        super().__init__(detail)
        # RFC 6750 section 3: say "invalid_token" when a token was sent but refused.
        challenge = 'Bearer realm="creditunion"'
        if invalid:
            challenge += ', error="invalid_token"'
        self.challenge = challenge


class Forbidden(Exception):
    pass


@dataclass(frozen=True, slots=True)
class InvalidField:
    location: Location
    name: str
    detail: str


class RequestInvalid(Exception):
    """A 422 found outside pydantic (a header's format, a tampered cursor)."""

    def __init__(self, *fields: InvalidField) -> None:
        super().__init__("; ".join(f"{f.name}: {f.detail}" for f in fields))
        self.fields = fields


class ServiceBusy(Exception):
    """The database kept refusing the request for contention; trying again later may work."""


# --------------------------------------------------------------------------- building responses


def problem_response(
    request: Request | None,
    *,
    status: int,
    title: str | None = None,
    type: str = "about:blank",
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response; handlers may return one (and have their work committed)."""
    body: dict[str, Any] = {
        "type": type,
        "title": title or http.HTTPStatus(status).phrase,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
    body["request_id"] = current_request_id() or (
        request.scope.get("state", {}).get("request_id") if request is not None else None
    )
    body.update(extensions or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def escape_pointer_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(parts: Sequence[object]) -> str:
    return "#" + "".join("/" + escape_pointer_token(p) for p in parts)


def field_errors(raw_errors: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic/FastAPI errors as {location, pointer, detail}; the input is never echoed."""
    fields: list[dict[str, Any]] = []
    for error in raw_errors:
        loc = tuple(error.get("loc", ()))
        location = loc[0] if loc and loc[0] in LOCATIONS else "body"
        parts = loc[1:] if loc and loc[0] in LOCATIONS else loc
        message = str(error.get("msg", "is invalid"))
        if error.get("type") == "json_invalid":
            parts = ()
            message = f"the body is not valid JSON: {error.get('ctx', {}).get('error', '')}".strip()
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        fields.append({"location": location, "pointer": pointer(parts), "detail": message})
    return fields


def validation_response(request: Request, fields: list[dict[str, Any]]) -> JSONResponse:
    return problem_response(
        request,
        status=422,
        title="Invalid request",
        type=PROBLEM_TYPE_PREFIX + "validation",
        detail="; ".join(f"{f['pointer']} ({f['location']}): {f['detail']}" for f in fields)[:1000],
        extensions={"errors": fields},
    )


# ------------------------------------------------------------------------------------- handlers


def response_for(request: Request, exc: Exception) -> JSONResponse:
    """The problem response for any exception: the one mapping everything goes through."""
    if isinstance(exc, StarletteHTTPException):
        detail: str | None = exc.detail if isinstance(exc.detail, str) else None
        if detail == http.HTTPStatus(exc.status_code).phrase:
            detail = None
        return problem_response(request, status=exc.status_code, detail=detail, headers=exc.headers)
    if isinstance(exc, RequestValidationError):
        return validation_response(request, field_errors(exc.errors()))
    if isinstance(exc, Unauthenticated):
        return problem_response(
            request,
            status=401,
            type=PROBLEM_TYPE_PREFIX + "unauthenticated",
            detail=str(exc),
            headers={"WWW-Authenticate": exc.challenge},
        )
    if isinstance(exc, Forbidden):
        return problem_response(
            request, status=403, type=PROBLEM_TYPE_PREFIX + "forbidden", detail=str(exc)
        )
    if isinstance(exc, RequestInvalid):
        fields = [
            {"location": f.location, "pointer": pointer([f.name]), "detail": f.detail}
            for f in exc.fields
        ]
        return validation_response(request, fields)
    if isinstance(exc, ServiceBusy):
        return problem_response(
            request,
            status=503,
            type=PROBLEM_TYPE_PREFIX + "busy",
            detail="the service is busy; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_BUSY_S)},
        )
    spec = problem_spec_for(exc)
    if spec is not None:
        return problem_response(
            request,
            status=spec.status,
            title=spec.title,
            type=spec.type,
            detail=str(exc) if spec.expose_message else None,
            headers=spec.headers,
            extensions=spec.extensions(exc) if spec.extensions else None,
        )
    return internal_error(request, exc)


async def handle_exception(request: Request, exc: Exception) -> JSONResponse:
    """Starlette exception handler: the same mapping."""
    return response_for(request, exc)


def internal_error(request: Request, exc: BaseException) -> JSONResponse:
    request_id = current_request_id() or request.scope.get("state", {}).get("request_id")
    log.error(
        "unhandled %s in %s %s (request %s)",
        type(exc).__name__,
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    return problem_response(
        request,
        status=500,
        detail="an unexpected error occurred; quote the request id if you report it",
    )


async def handle_escaped(request: Request, exc: Exception) -> JSONResponse:
    """For errors raised outside the routes (in middleware): still a silent 500."""
    response = internal_error(request, exc)
    # Starlette answers these outside every middleware, the security headers' included.
    set_fixed_headers(response.headers)
    response.headers["Cache-Control"] = "no-store"
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    return response


# ------------------------------------------------------------------------- OpenAPI documentation

_DESCRIPTIONS: Final = {
    400: "Bad request (a body that cannot be read)",
    401: "Not signed in, or the token is invalid, expired or revoked",
    403: "Signed in, but the role lacks the permission",
    404: "Not found (also for records the caller may not see)",
    405: "Method not allowed",
    409: "Conflicts with the current state",
    422: "Invalid input: `errors` points at each offending field",
    500: "Unexpected error; the body reveals nothing but the request id",
    503: "Database unavailable or busy; retry after `Retry-After` seconds",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A `responses=` value documenting these statuses as problem+json."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, http.HTTPStatus(status).phrase),
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {
                        "$ref": "#/components/schemas/"
                        + ("ValidationProblem" if status == 422 else "Problem")
                    }
                }
            },
        }
        for status in statuses
    }


# --------------------------------------------------------------------- the built-in registrations


def _register_builtin() -> None:
    conflicts: list[tuple[type[Exception], str, str]] = [
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
        (errors.Conflict, "Conflict", "conflict"),
        (KeyReused, "Idempotency key reused", "idempotency-key-reused"),
        (UsernameTaken, "Username taken", "username-taken"),
        (MemberLoginExists, "Member already has a login", "member-login-exists"),
        (NothingToApprove, "Nothing to approve", "nothing-to-approve"),
        (ApprovalOfInactiveLogin, "Login deactivated", "approval-of-inactive-login"),
    ]
    for exc_type, title, slug in conflicts:
        register_problem(exc_type, 409, title, slug)
    register_problem(errors.NotFound, 404, "Not found", "not-found")
    register_problem(accounts.AccountNotFound, 404, "Account not found", "account-not-found")
    register_problem(reversal.EntryNotFound, 404, "Entry not found", "entry-not-found")
    register_problem(UserNotFound, 404, "User not found", "user-not-found")
    register_problem(errors.PermissionDenied, 403, "Forbidden", "permission-denied")
    register_problem(SelfApprovalRefused, 403, "Self-approval refused", "self-approval")
    register_problem(CheckerNotAllowed, 403, "Approver not allowed", "checker-not-allowed")

    def single_error(exc: Exception) -> Mapping[str, Any]:
        # An error naming its fields (`problems` of objects with `pointer` and `message`,
        # like creditunion.field_problems.ValidationProblem) gets one pointer per field.
        problems = getattr(exc, "problems", None)
        if problems and all(hasattr(p, "pointer") and hasattr(p, "message") for p in problems):
            return {
                "errors": [
                    {"location": "body", "pointer": "#" + p.pointer, "detail": p.message}
                    for p in problems
                ]
            }
        return {"errors": [{"location": "body", "pointer": "#", "detail": str(exc)}]}

    for exc_type, title, slug in [
        (entry.InvalidEntry, "Invalid entry", "invalid-entry"),
        (errors.InvalidInput, "Invalid input", "invalid-input"),
        (WeakPassword, "Password too weak", "weak-password"),
        (InvalidUsername, "Invalid username", "invalid-username"),
        (RoleNotAssignable, "Role not assignable", "role-not-assignable"),
    ]:
        register_problem(exc_type, 422, title, slug, extensions=single_error)

    register_problem(
        transaction.PostingContention,
        503,
        "Busy",
        "busy",
        expose_message=False,
        headers={"Retry-After": str(RETRY_AFTER_BUSY_S)},
    )
    for exc_type in (
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.TimeoutError,
        psycopg.OperationalError,
    ):
        register_problem(
            exc_type,
            503,
            "Database unavailable",
            "database-unavailable",
            expose_message=False,
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
        )


_register_builtin()


def registered_exception_types() -> list[type[Exception]]:
    return [*_REGISTRY, Unauthenticated, Forbidden, RequestInvalid, ServiceBusy]
