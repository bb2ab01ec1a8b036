"""Who may export, and bad parameters: refused with a pointer, nothing streamed or recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from creditunion.auth.roles import Role
from tests.api.conftest import LoggedIn
from tests.api.exports.conftest import D1, D3, RANGE, Books, audit_records

# A range on the shared database before anything was posted: every export is small.
PAST = {"from": "2001-01-01", "to": "2001-01-31"}
ENDPOINTS = [
    ("/v1/exports/gl", {"format": "csv", **PAST}),
    ("/v1/exports/trial-balance", {"format": "jsonl", "as_of": "2001-01-31"}),
    ("/v1/exports/journal", {"format": "csv", **PAST}),
    ("/v1/exports/audit-log", {"format": "jsonl", **PAST}),
    ("/v1/audit/verify", PAST),
    ("/v1/audit/seals", PAST),
]


@pytest.mark.parametrize(("path", "params"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_only_auditors_and_managers_may_export_and_verify(
    client: TestClient,
    login_as: Callable[[Role], LoggedIn],
    engine: Engine,
    path: str,
    params: dict[str, str],
) -> None:
    before = len(audit_records(engine, "export.")) + len(audit_records(engine, "ledger.verify"))
    for role in Role:
        response = client.get(path, params=params, headers=login_as(role).headers)
        if role in (Role.AUDITOR, Role.MANAGER):
            assert response.status_code == 200, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["type"] == "/problems/forbidden"
    anonymous = client.get(path, params=params)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")

    after = len(audit_records(engine, "export.")) + len(audit_records(engine, "ledger.verify"))
    assert after - before == (0 if path == "/v1/audit/seals" else 2)  # the two allowed


def test_the_statement_refuses_members_too(
    client: TestClient, login_as: Callable[[Role], LoggedIn]
) -> None:
    params = {"format": "csv", "account": "1000", **PAST}
    for role in (Role.MEMBER, Role.TELLER, Role.LOAN_OFFICER, Role.ADMIN):
        response = client.get(
            "/v1/exports/statement", params=params, headers=login_as(role).headers
        )
        assert response.status_code == 403
    assert client.get("/v1/exports/statement", params=params).status_code == 401


def _long(days: int) -> dict[str, str]:
    return {"from": D1.isoformat(), "to": (D1 + dt.timedelta(days=days - 1)).isoformat()}


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("/v1/exports/gl", {"format": "csv", "from": D3.isoformat(), "to": D1.isoformat()}, "from"),
    ("/v1/exports/gl", {"format": "csv", **_long(367)}, "to"),
    ("/v1/exports/gl", {"format": "pdf", **RANGE}, "format"),
    ("/v1/exports/gl", {"format": "csv", "to": D3.isoformat()}, "from"),
    ("/v1/exports/gl", {"format": "csv", "from": "2026-02-30", "to": D3.isoformat()}, "from"),
    ("/v1/exports/gl", {"format": "csv", "from": "2026-01-01", "to": "9999-12-31"}, "to"),
    ("/v1/exports/trial-balance", {"format": "camt053", "as_of": D3.isoformat()}, "format"),
    ("/v1/exports/trial-balance", {"format": "csv", "as_of": "9999-12-31"}, "as_of"),
    ("/v1/exports/audit-log", {"format": "csv", "from": "0001-01-01", "to": "2026-01-01"}, "from"),
    ("/v1/exports/journal", {"format": "csv", "min_amount": "1e2", **RANGE}, "min_amount"),
    ("/v1/exports/journal", {"format": "csv", "min_amount": "1.5E1", **RANGE}, "min_amount"),
    ("/v1/exports/journal", {"format": "csv", "min_amount": "12.345", **RANGE}, "min_amount"),
    ("/v1/exports/journal", {"format": "csv", "max_amount": "NaN", **RANGE}, "max_amount"),
    ("/v1/exports/journal", {"format": "csv", "max_amount": "-5.00", **RANGE}, "max_amount"),
    ("/v1/exports/journal", {"format": "csv", "max_amount": " 5", **RANGE}, "max_amount"),
    (
        "/v1/exports/journal",
        {"format": "csv", "min_amount": "9.00", "max_amount": "1.00", **RANGE},
        "max_amount",
    ),
    ("/v1/exports/journal", {"format": "csv", "currency": "ABC", **RANGE}, "currency"),
    (
        "/v1/exports/journal",
        {"format": "csv", "max_amount": "999999999999999999.99", **RANGE},
        "max_amount",
    ),
    ("/v1/exports/journal", {"format": "csv", "posted_by": "x\x00y", **RANGE}, "posted_by"),
    ("/v1/exports/journal", {"format": "xlsx", "kind": "Not A Kind", **RANGE}, "kind"),
    ("/v1/exports/journal", {"format": "jsonl", **_long(400)}, "to"),
    ("/v1/exports/statement", {"format": "csv", "account": "NO-SUCH", **RANGE}, "account"),
    (
        "/v1/exports/statement",
        {"format": "camt053", "account": "{alice}", "kind": "transfer", **RANGE},
        "format",
    ),
    (
        "/v1/exports/statement",
        {"format": "csv", "account": "{alice}", "min_amount": "0.001", **RANGE},
        "min_amount",
    ),
    ("/v1/exports/audit-log", {"format": "csv", "action_prefix": "AUTH", **RANGE}, "action_prefix"),
    ("/v1/exports/audit-log", {"format": "camt053", **RANGE}, "format"),
    ("/v1/exports/audit-log", {"format": "csv", "actor_role": "king", **RANGE}, "actor_role"),
    ("/v1/audit/verify", {"from": D3.isoformat(), "to": D1.isoformat()}, "from"),
    ("/v1/audit/verify", _long(367), "to"),
    ("/v1/audit/verify", {"from": "2026-01-01", "to": "3000-01-01"}, "to"),
    ("/v1/audit/seals", {"from": D3.isoformat(), "to": D1.isoformat()}, "from"),
    ("/v1/audit/seals", {"cursor": "forged"}, "cursor"),
]


@pytest.mark.parametrize(
    ("path", "params", "field"), REFUSED, ids=[f"{p} {f}" for p, _, f in REFUSED]
)
def test_bad_parameters_are_refused_with_a_pointer_before_anything_is_sent(
    books: Books, path: str, params: dict[str, Any], field: str
) -> None:
    account = books.history.alice.code
    params = {k: v.format(alice=account) if isinstance(v, str) else v for k, v in params.items()}
    before = audit_records(books.engine, "")

    response = books.get(path, **params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {(e["location"], e["pointer"]) for e in body["errors"]} == {("query", f"#/{field}")}
    assert audit_records(books.engine, "") == before


def test_every_bad_date_is_named(books: Books) -> None:
    response = books.get(
        "/v1/exports/gl", format="csv", **{"from": "0001-01-01", "to": "9999-12-31"}
    )

    assert response.status_code == 422
    assert sorted(e["pointer"] for e in response.json()["errors"]) == ["#/from", "#/to"]


def test_a_camt053_of_a_ledger_with_nothing_to_state_is_refused(books: Books) -> None:
    response = books.get(
        "/v1/exports/gl", format="camt053", **{"from": "2001-01-01", "to": "2001-01-02"}
    )

    assert response.status_code == 422
    assert response.json()["type"] == "/problems/nothing-to-state"
    assert response.json()["errors"][0]["pointer"] == "#/to"
