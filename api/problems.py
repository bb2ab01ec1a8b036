"""Every error the API answers, as RFC 9457 `application/problem+json`, from one place.

A `ProblemMap` maps exception types to problems; the most specific mapped class in an
exception's MRO wins, so mapping a kind of domain error covers every subclass not mapped
on its own. The application factory builds the one map (`api.problem_map`) and installs
it with `install_problem_map`; nothing is registered by importing a module.

Anything not mapped is a 500 whose body says nothing but the request id; the log line
has the traceback and the same request id.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.middleware.security_headers import set_fixed_headers
from creditunion.platform.request_context import current_request_id

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
    """The problem an exception is answered with.

    `detail` is `str(exc)` unless `expose_message` is False (for errors whose message may
    hold internals). `extensions` adds members to the body (for a 422, give `errors`: a
    list of {location, pointer, detail}); `headers` are sent with the response.
    """

    status: int
    title: str
    type_slug: str
    expose_message: bool = True
    extensions: Callable[[Exception], Mapping[str, Any]] | None = None
    headers: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"a problem's status is 4xx or 5xx, got {self.status}")
        slug = self.type_slug
        if not slug or not all(c.isalnum() or c == "-" for c in slug):
            raise ValueError(f"type_slug {slug!r} must be letters, digits and hyphens")

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.type_slug


ProblemTable = Iterable[tuple[type[Exception], ProblemSpec]]


@dataclass(frozen=True, slots=True)
class ProblemMap:
    """Exception types and the problems they are answered with."""

    specs: Mapping[type[Exception], ProblemSpec]

    @classmethod
    def of(cls, *tables: ProblemTable) -> ProblemMap:
        """One map from `tables`. A class mapped twice, or one type URI given two statuses
        or titles, is refused: each is a mistake in the tables."""
        specs: dict[type[Exception], ProblemSpec] = {}
        by_slug: dict[str, ProblemSpec] = {}
        for table in tables:
            for exc_type, spec in table:
                if exc_type in specs:
                    raise ValueError(f"{exc_type.__qualname__} is mapped twice")
                first = by_slug.setdefault(spec.type_slug, spec)
                if (first.status, first.title) != (spec.status, spec.title):
                    raise ValueError(f"/problems/{spec.type_slug} has two statuses or titles")
                specs[exc_type] = spec
        return cls(MappingProxyType(specs))

    def spec_for(self, exc: BaseException) -> ProblemSpec | None:
        """The problem of the most specific mapped class in the exception's MRO, if any."""
        for cls in type(exc).__mro__:
            spec = self.specs.get(cls)
            if spec is not None:
                return spec
        return None

    def by_slug(self) -> dict[str, ProblemSpec]:
        """Every mapped problem type by slug (for the docs and `/problems/{slug}`)."""
        return {spec.type_slug: spec for spec in self.specs.values()}


def problem_map_of(request: Request) -> ProblemMap:
    """The map `install_problem_map` gave the request's application."""
    problem_map = getattr(request.app.state, "problem_map", None)
    if not isinstance(problem_map, ProblemMap):
        raise RuntimeError("the application has no problem map: install_problem_map was not called")
    return problem_map


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
    spec = problem_map_of(request).spec_for(exc)
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


# ---------------------------------------------------------------------------------- installing


def install_problem_map(app: FastAPI, problem_map: ProblemMap) -> None:
    """Answer every error of `app` through `problem_map`.

    Errors from transactional routes are answered inside the route (api.transactions),
    which reads the map from the app's state; these handlers cover the rest (no such
    route, wrong method, the probes).
    """
    app.state.problem_map = problem_map
    answered: list[type[Exception]] = [
        StarletteHTTPException,
        RequestValidationError,
        Unauthenticated,
        Forbidden,
        RequestInvalid,
        ServiceBusy,
        *problem_map.specs,
    ]
    for exc_type in answered:
        app.add_exception_handler(exc_type, handle_exception)
    # The Exception key goes to Starlette's outermost middleware: a silent 500 for anything left.
    app.add_exception_handler(Exception, handle_escaped)
