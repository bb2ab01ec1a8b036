"""One unit of work per request (commit before replying, retry transient errors) and probes."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from api.context import app_context
from creditunion.platform.settings import Settings
from tests.api.conftest import LoggedIn


def _count(engine: Engine, action: str, actor_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = :a AND actor_user_id = :u"),
                {"a": action, "u": actor_id},
            ).scalar_one()
        )


def test_a_transient_error_runs_the_request_again(client: TestClient) -> None:
    token = uuid.uuid4().hex
    response = client.post("/v1/_test/transient", params={"token": token, "fail_times": 2})
    assert response.status_code == 200
    assert response.json() == {"attempt": 3}


def test_a_persistent_transient_error_is_a_503(client: TestClient) -> None:
    token = uuid.uuid4().hex
    response = client.post("/v1/_test/transient", params={"token": token, "fail_times": 10})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"] == "/problems/busy"


def test_a_failed_commit_is_an_error_never_a_success(
    client: TestClient, teller: LoggedIn, engine: Engine
) -> None:
    response = client.post("/v1/_test/commit-fails", headers=teller.headers)
    assert response.status_code == 500
    assert "never reach" not in response.text
    assert _count(engine, "test.commit_fails", teller.user.id) == 0


def test_an_error_rolls_back_what_the_handler_wrote(
    client: TestClient, teller: LoggedIn, engine: Engine
) -> None:
    response = client.post("/v1/_test/rolls-back", headers=teller.headers)
    assert response.status_code == 409
    assert _count(engine, "test.rolled_back", teller.user.id) == 0


def test_health_live_and_ready(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "live"}
    assert client.get("/health/ready").json() == {"status": "ready"}


def test_not_ready_when_migrations_are_behind(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The code expects a revision the database has not reached.
    monkeypatch.setattr(app_context(app), "schema_heads", frozenset({"0999_ahead"}))
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "migration" in response.json()["detail"]


def test_never_ready_when_not_told_which_migration_it_needs(
    api_settings: Settings, engine: Engine
) -> None:
    with TestClient(create_app(api_settings, engine=engine)) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/not-ready"
    assert "not told" in response.json()["detail"]


def test_the_openapi_document_and_docs_page(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    token = document["paths"]["/v1/auth/token"]["post"]
    assert token["x-permission"] == "public"
    assert token["responses"]["401"]["content"]["application/problem+json"]
    audit_log = document["paths"]["/v1/audit-log"]["get"]
    assert audit_log["security"] == [{"OAuth2": ["audit:read"]}]
    assert audit_log["x-roles"] == ["manager", "auditor"]
    assert {"401", "403", "422", "500", "503"} <= set(audit_log["responses"])
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ValidationProblem" in document["components"]["schemas"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
