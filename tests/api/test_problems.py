"""Every error is problem+json from the one mapping; a 500 reveals nothing but the request id."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.problem_map import build_problem_map
from api.problems import ProblemMap, ProblemSpec, install_problem_map
from creditunion.auth.roles import Role
from creditunion.platform.database import make_engine
from creditunion.platform.settings import Settings
from tests.api.conftest import LoggedIn, build_app

PROBLEM_KEYS = {"type", "title", "status", "instance", "request_id"}


def _assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]  # type: ignore[attr-defined]
    return dict(body)


def test_401_403_404_405(client: TestClient, teller: LoggedIn) -> None:
    unauthenticated = client.get("/v1/audit-log")
    assert _assert_problem(unauthenticated, 401)["type"] == "/problems/unauthenticated"
    assert unauthenticated.headers["www-authenticate"] == 'Bearer realm="creditunion"'
    _assert_problem(client.get("/v1/audit-log", headers=teller.headers), 403)
    _assert_problem(client.get("/v1/no-such-thing"), 404)
    not_allowed = client.delete("/v1/auth/me")
    _assert_problem(not_allowed, 405)
    assert not_allowed.headers["allow"] == "GET"


def test_422_points_at_each_field(client: TestClient) -> None:
    response = client.post("/v1/_test/money", json={"amount": 12.5, "currency": "gbp", "x": 1})
    body = _assert_problem(response, 422)
    assert body["type"] == "/problems/validation"
    errors = {e["pointer"]: e for e in body["errors"]}  # type: ignore[attr-defined]
    assert set(errors) == {"#/amount", "#/currency", "#/x"}
    assert all(e["location"] == "body" for e in errors.values())
    assert "12.5" not in str(body)  # the input is not echoed back
    bad_json = client.post(
        "/v1/_test/money", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert _assert_problem(bad_json, 422)["errors"][0]["pointer"] == "#"  # type: ignore[index]


def test_query_parameter_errors_carry_their_location(client: TestClient, auditor: LoggedIn) -> None:
    response = client.get(
        "/v1/audit-log", params={"limit": 0, "actor_user_id": "x"}, headers=auditor.headers
    )
    errors = _assert_problem(response, 422)["errors"]
    assert {(e["location"], e["pointer"]) for e in errors} == {  # type: ignore[attr-defined]
        ("query", "#/limit"),
        ("query", "#/actor_user_id"),
    }


def test_ledger_and_registered_domain_errors_are_409(client: TestClient) -> None:
    insufficient = _assert_problem(client.post("/v1/_test/insufficient"), 409)
    assert insufficient["type"] == "/problems/insufficient-funds"
    assert insufficient["title"] == "Insufficient funds"
    widget = _assert_problem(client.post("/v1/_test/widget"), 409)
    assert widget["type"] == "/problems/widget-jammed"
    assert widget["detail"] == "the widget jammed"
    assert client.get("/problems/widget-jammed").json()["status"] == 409


def test_the_most_specific_registration_wins() -> None:
    class Base(Exception):
        pass

    class Special(Base):
        pass

    class MoreSpecial(Special):
        pass

    problems = ProblemMap.of(
        [(Base, ProblemSpec(409, "Base", "base-test"))],
        [(Special, ProblemSpec(422, "Special", "special-test"))],
    )
    assert problems.spec_for(MoreSpecial()) == ProblemSpec(422, "Special", "special-test")
    assert problems.spec_for(Base()) == ProblemSpec(409, "Base", "base-test")
    assert problems.spec_for(RuntimeError()) is None
    with pytest.raises(ValueError):
        ProblemSpec(200, "Not an error", "ok")


def test_a_map_refuses_a_class_mapped_twice_or_a_type_with_two_statuses() -> None:
    class Jammed(Exception):
        pass

    class Stuck(Exception):
        pass

    with pytest.raises(ValueError, match="mapped twice"):
        ProblemMap.of(
            [(Jammed, ProblemSpec(409, "Jammed", "jammed"))],
            [(Jammed, ProblemSpec(409, "Jammed", "jammed"))],
        )
    with pytest.raises(ValueError, match="two statuses"):
        ProblemMap.of(
            [(Jammed, ProblemSpec(409, "Jammed", "jammed"))],
            [(Stuck, ProblemSpec(422, "Jammed", "jammed"))],
        )


def test_a_500_hides_everything_but_logs_the_request_id_and_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="api.problems"):
        response = client.get("/v1/_test/boom", headers={"X-Request-ID": "trace-me-500"})
    body = _assert_problem(response, 500)
    assert body["request_id"] == "trace-me-500"
    assert "secret" not in response.text and "RuntimeError" not in response.text
    record = next(r for r in caplog.records if "trace-me-500" in r.getMessage())
    assert record.request_id == "trace-me-500"  # type: ignore[attr-defined]
    assert record.exc_info is not None and "secret internal detail 42" in str(record.exc_info[1])


def test_an_unreachable_database_is_a_503(api_settings: Settings) -> None:
    dead: Engine = make_engine("postgresql://postgres@127.0.0.1:1/none", api_settings)
    with TestClient(build_app(api_settings, dead), raise_server_exceptions=False) as client:
        response = client.post("/v1/auth/token", data={"username": "someone", "password": "x"})
        body = _assert_problem(response, 503)
        assert body["type"] == "/problems/database-unavailable"
        assert response.headers["retry-after"] == "5"
        assert "127.0.0.1" not in response.text
        ready = client.get("/health/ready")
        assert _assert_problem(ready, 503)["type"] == "/problems/not-ready"
    dead.dispose()


def test_input_errors_naming_their_fields_get_one_pointer_each() -> None:
    from fastapi import FastAPI
    from starlette.requests import Request

    from api.problems import response_for
    from creditunion.field_problems import FieldProblem, ValidationProblem

    app = FastAPI()
    install_problem_map(app, build_problem_map())
    request = Request(
        {"type": "http", "method": "POST", "path": "/v1/members", "headers": [], "app": app}
    )
    error = ValidationProblem(
        [FieldProblem("postcode", "is not a UK postcode"), FieldProblem("a/b", "bad")]
    )
    response = response_for(request, error)
    assert response.status_code == 422
    import json

    assert json.loads(bytes(response.body))["errors"] == [
        {"location": "body", "pointer": "#/postcode", "detail": "is not a UK postcode"},
        {"location": "body", "pointer": "#/a~1b", "detail": "bad"},
    ]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/audit-log", {"occurred_from": "5"}),
        ("/v1/audit-log", {"occurred_to": "1700000000"}),
        ("/v1/audit/seals", {"from": "0"}),
        ("/v1/exports/gl", {"from": "0", "to": "2026-01-31", "format": "csv"}),
        ("/v1/exports/trial-balance", {"as_of": "86400", "format": "csv"}),
        ("/v1/cob/runs", {"business_date": "20260101"}),
    ],
)
def test_a_date_given_as_a_number_is_422_not_unix_time(
    client: TestClient, login_as: Callable[[Role], LoggedIn], path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params, headers=login_as(Role.MANAGER).headers)
    errors = _assert_problem(response, 422)["errors"]
    assert [(e["location"], e["pointer"]) for e in errors] == [  # type: ignore[attr-defined]
        ("query", f"#/{next(iter(params))}")
    ]


def test_a_body_date_given_as_a_number_is_422(
    client: TestClient, login_as: Callable[[Role], LoggedIn]
) -> None:
    response = client.post(
        "/v1/dividends",
        json={
            "product_code": "INSTANT",
            "period_start": 0,
            "period_end": "2026-03-31",
            "pay_on": 86400,
            "annual_rate": "0.025",
        },
        headers={**login_as(Role.MANAGER).headers, "Idempotency-Key": "dividend-dates"},
    )
    errors = _assert_problem(response, 422)["errors"]
    assert {e["pointer"] for e in errors} == {"#/period_start", "#/pay_on"}  # type: ignore[attr-defined]


def test_a_500_raised_outside_the_routes_still_carries_the_security_headers() -> None:
    import asyncio

    from starlette.requests import Request

    from api.problems import handle_escaped

    request = Request({"type": "http", "method": "GET", "path": "/v1/x", "headers": []})
    response = asyncio.run(handle_escaped(request, RuntimeError("in a middleware")))

    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert (
        response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["referrer-policy"] == "no-referrer"
