"""Every domain error of every layer is answered as a problem, from the app's one map.

The modules of ledger, loans, creditunion and api are all imported, and every subclass of
the one root (`ledger.errors.DomainError`) must resolve through the map `create_app`
installs to a 4xx or a 503 with a problem type of its own, never a 500. Every other
exception class those packages define must be listed below as not a domain error, with
the reason: a new error is a decision, not an accident.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Final

import pytest
from fastapi import FastAPI
from starlette.requests import Request

from api.app import create_app
from api.problem_types import all_problem_types
from api.problems import ProblemMap, problem_map_of, response_for
from creditunion.platform.settings import Settings
from ledger.errors import Conflict, DomainError, NotFound, Refused, Unavailable
from ledger.transaction import TransactionRequired

PACKAGES: Final = ("ledger", "loans", "creditunion", "api")

# Exceptions that mean a bug, a broken invariant or a setup mistake (a 500 by design), or
# that never leave the code that raises them; by qualified name, with why.
NOT_DOMAIN: Final[dict[str, str]] = {
    "ledger.transaction.TransactionRequired": "ledger code called outside a transaction",
    "ledger.batch.BatchTooLarge": "batches are built by code (close of business), not asked for",
    "ledger.fan_out.FanOutRefused": "a close-of-business step must fail, not drop money",
    "ledger.observe.TooManyObservers": "a programming limit on observers",
    "loans.accrual.AccrualError": "accrual's preconditions; the services check what they pass",
    "loans.calendar.CalendarError": "date arithmetic's preconditions, on computed dates",
    "loans.daycount.DayCountError": "a period ending before it starts is a bug",
    "loans.effective_interest.EffectiveInterestError": "fee recognition on a booked schedule",
    "loans.reschedule.RescheduleError": "rederiving a schedule the service computed",
    "loans.solver.RootNotFound": "its caller (loans.apr) turns it into AprError",
    "creditunion.audit.record.InvalidAuditRecord": "an audit record the code built wrongly",
    "creditunion.auth.tokens.InvalidToken": "api.security answers it as a 401",
    "creditunion.auth.tokens.MissingSecret": "a deployment without its signing secret",
    "creditunion.cob.runner.StepFailed": "a close-of-business step failed: operators act",
    "creditunion.commands.context.ScopeMismatch": "a command context built wrongly",
    "creditunion.commands.context.MissingIdempotencyKey": "a money command without its key",
    "creditunion.field_problems.FieldError": "collected into a ValidationProblem",
    "creditunion.platform.embedded_db.EmbeddedDatabaseMissing": "a setup mistake",
    "creditunion.reconciliation.ReconciliationBroken": "the books disagree: a broken invariant",
    "creditunion.payments.sub_ledger.PaymentsBroken": "the payments sub-ledger disagrees with the ledger: a broken invariant",
    "creditunion.payments.collections.collect.NoShareAccountForExcess": "a borrower without a share account: a broken invariant",
    "creditunion.shares.account_number.AccountNumbersExhausted": "capacity: operators act",
    "api.problems.Unauthenticated": "the API's own 401, answered by api.problems",
    "api.problems.Forbidden": "the API's own 403, answered by api.problems",
    "api.problems.RequestInvalid": "the API's own 422, answered by api.problems",
    "api.problems.ServiceBusy": "the API's own 503, answered by api.problems",
    "api.security.PasswordChangeRequired": "the API's own 403, in the map",
    "api.transactions.IdempotentReplay": "carries a stored response back to the client",
    "api.middleware.body_limit.BodyTooLarge": "an HTTPException (413)",
}


def _modules() -> Iterator[ModuleType]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            yield importlib.import_module(info.name)


MODULES: Final = list(_modules())


def _defined_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module in MODULES:
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _subclasses(root: type[DomainError]) -> list[type[DomainError]]:
    found: list[type[DomainError]] = []
    pending = [root]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in found and sub.__module__.split(".")[0] in PACKAGES:
                found.append(sub)
                pending.append(sub)
    return found


DOMAIN_ERRORS: Final = _subclasses(DomainError)


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(environment="test", jwt_secret="x" * 32))


def _request(app: FastAPI) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/v1/x", "headers": [], "app": app})


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    packages = {error.__module__.split(".")[0] for error in DOMAIN_ERRORS}
    assert packages >= {"ledger", "loans", "creditunion"}
    assert len(DOMAIN_ERRORS) > 100


def test_the_kinds_have_their_problems(app: FastAPI) -> None:
    problems: ProblemMap = problem_map_of(_request(app))
    expected = {
        NotFound: (404, "/problems/not-found"),
        Conflict: (409, "/problems/conflict"),
        Refused: (422, "/problems/refused"),
        Unavailable: (503, "/problems/unavailable"),
    }
    for kind, (status, type_uri) in expected.items():
        spec = problems.spec_for(kind.__new__(kind))
        assert spec is not None
        assert (spec.status, spec.type) == (status, type_uri)
    assert problems.spec_for(DomainError()) is None  # only through a kind


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda e: f"{e.__module__}.{e.__qualname__}")
def test_each_domain_error_is_a_problem_not_a_500(app: FastAPI, error: type[DomainError]) -> None:
    assert issubclass(error, (NotFound, Conflict, Refused, Unavailable)), "derive from a kind"
    problems = problem_map_of(_request(app))
    spec = problems.spec_for(error.__new__(error))
    assert spec is not None
    assert spec.status == 503 or 400 <= spec.status < 500
    listed = {p.type: p.status for p in all_problem_types(problems)}
    assert listed[spec.type] == spec.status  # `/problems/{slug}` documents it


def test_a_domain_error_no_one_mapped_on_its_own_is_answered_as_its_kind(app: FastAPI) -> None:
    class NewRefusal(Refused):
        pass

    response = response_for(_request(app), NewRefusal("the term is too long for this product"))
    body = json.loads(bytes(response.body))
    assert (response.status_code, body["type"]) == (422, "/problems/refused")
    assert body["detail"] == "the term is too long for this product"
    assert body["errors"] == [
        {"location": "body", "pointer": "#", "detail": "the term is too long for this product"}
    ]


def test_every_other_exception_is_listed_as_not_a_domain_error() -> None:
    defined = _defined_exceptions()
    unlisted = sorted(
        name
        for name, exc_type in defined.items()
        if not issubclass(exc_type, DomainError) and name not in NOT_DOMAIN
    )
    assert unlisted == [], "derive each from a kind of ledger.errors, or list it in NOT_DOMAIN"
    stale = sorted(
        name for name in NOT_DOMAIN if name not in defined or issubclass(defined[name], DomainError)
    )
    assert stale == []


def test_an_error_that_is_not_a_domain_error_is_a_500_that_tells_nothing(app: FastAPI) -> None:
    response = response_for(_request(app), TransactionRequired("secret internal detail 42"))
    body = json.loads(bytes(response.body))
    assert response.status_code == 500
    assert body["type"] == "about:blank"
    assert "secret" not in response.body.decode() and "TransactionRequired" not in str(body)
