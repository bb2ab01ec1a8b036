"""Mass assignment: no write endpoint lets a caller set what only the system or a manager
sets (status, limits, balance, floor, role, member id, ...) by adding fields to a body.

Every JSON request body in the OpenAPI document forbids unknown fields, and a member's and
a teller's real write requests with such fields added are refused (422 pointing at the
field) and change nothing in the database.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient

from creditunion.auth.roles import Role
from tests.api.banking.bank import Bank, gbp
from tests.api.conftest import LoggedIn
from tests.api.payments.builders import nomination_body
from tests.factories import ni_number
from tests.security.world import Pair, body_schema, make_pair, operations, resolve, snapshot

PRIVILEGED: Final = {
    "status": "closed",
    "balance": gbp("1000000.00"),
    "balance_minor": 100_000_000,
    "available": gbp("1000000.00"),
    "floor": gbp("0.00"),
    "floor_minor": -100_000_000,
    "maximum_balance": gbp("99999999.00"),
    "limits": {"withdrawal": "99999999.00"},
    "approval_limit": "99999999.00",
    "role": "manager",
    "member_id": 1,
    "user_id": 1,
    "active": True,
    "locked_until": None,
    "failed_login_count": 0,
    "ni_visibility": "full",
    "posted_by": "system:cob",
    "business_date": "2000-01-01",
}


def _json_bodies() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for method, path, operation in operations():
        body = body_schema(operation)
        if body is not None and body[0] == "application/json":
            found.append((method, path, body[1]))
    return found


def test_every_json_body_refuses_unknown_fields() -> None:
    bodies = _json_bodies()
    assert len(bodies) >= 20
    lax = [
        f"{method} {path}"
        for method, path, schema in bodies
        if resolve(schema).get("additionalProperties") is not False
    ]
    assert not lax, f"bodies that accept fields they do not declare: {lax}"


@pytest.fixture(scope="module")
def pair(bank: Bank) -> Pair:
    return make_pair(bank)


def _refused_for_each_field(
    client: TestClient,
    who: LoggedIn,
    method: str,
    url: str,
    body: dict[str, Any],
    *,
    moves_money: bool = False,
) -> None:
    for name, value in PRIVILEGED.items():
        if name in body:
            continue  # a field the endpoint declares is not mass assignment
        headers = dict(who.headers)
        if moves_money:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        answer = client.request(method, url, json={**body, name: value}, headers=headers)
        assert answer.status_code == 422, (url, name, answer.status_code, answer.text)
        pointers = [e["pointer"] for e in answer.json()["errors"]]
        assert f"#/{name}" in pointers, (url, name, pointers)


def test_a_member_cannot_set_privileged_fields_through_their_writes(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    before = snapshot(bank)
    transfer = {
        "from_account_id": pair.a_accounts[0].id,
        "to_account_id": pair.a_accounts[1].id,
        "amount": gbp("1.00"),
    }
    _refused_for_each_field(client, pair.a, "POST", "/v1/me/transfers", transfer, moves_money=True)
    payout = {"from_account_id": pair.a_accounts[0].id, "amount": gbp("1.00")}
    _refused_for_each_field(client, pair.a, "POST", "/v1/me/payments", payout, moves_money=True)
    nomination = nomination_body()
    _refused_for_each_field(client, pair.a, "PUT", "/v1/me/nominated-account", nomination)
    password = {"current_password": "correct horse battery staple", "new_password": "x" * 20}
    _refused_for_each_field(client, pair.a, "POST", "/v1/auth/password", password)
    assert snapshot(bank) == before


def test_a_teller_cannot_set_privileged_fields_through_their_writes(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    teller = pair.staff[Role.TELLER]
    before = snapshot(bank)
    account = pair.b_accounts[1]
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("POST", "/v1/cash/deposits", {"account_id": account.id, "amount": gbp("5.00")}, True),
        ("POST", "/v1/cash/withdrawals", {"account_id": account.id, "amount": gbp("5.00")}, True),
        (
            "POST",
            "/v1/transfers",
            {
                "from_account_id": account.id,
                "to_account_number": pair.a_accounts[0].account_number,
                "amount": gbp("1.00"),
            },
            True,
        ),
        ("PATCH", f"/v1/members/{pair.b_member_id}", {"town": "Leeds"}, False),
        (
            "POST",
            "/v1/share-accounts",
            {"member_id": pair.b_member_id, "product_code": "INSTANT"},
            False,
        ),
        ("PUT", f"/v1/share-accounts/{account.id}/repayment-mandate", {"given": True}, False),
        ("POST", f"/v1/members/{pair.b_member_id}/status", {"status": "dormant"}, False),
        (
            "POST",
            "/v1/payments",
            {"from_account_id": account.id, "amount": gbp("1.00")},
            True,
        ),
        ("PUT", f"/v1/members/{pair.b_member_id}/nominated-account", nomination_body(), False),
    ]
    for method, url, body, moves_money in cases:
        _refused_for_each_field(client, teller, method, url, body, moves_money=moves_money)
    assert snapshot(bank) == before


def test_registering_a_member_with_a_login_cannot_choose_its_role_or_status(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    teller = pair.staff[Role.TELLER]
    username = f"m{uuid.uuid4().hex[:10]}"
    member: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": "1990-12-10",
        "address_line1": "1 Analytical Row",
        "town": "London",
        "postcode": "SW1A 1AA",
        "ni_number": ni_number(987_654),
        "common_bond": "lives_in_area",
        "bond_detail": "Lives in the borough",
        "login": {"username": username, "password": "a long enough password 1"},
    }
    for name in ("status", "role", "member_id", "balance"):
        top = client.post(
            "/v1/members", json={**member, name: PRIVILEGED[name]}, headers=teller.headers
        )
        assert top.status_code == 422, (name, top.text)
        assert [e["pointer"] for e in top.json()["errors"]] == [f"#/{name}"]
        nested = {**member, "login": {**member["login"], name: PRIVILEGED[name]}}
        inner = client.post("/v1/members", json=nested, headers=teller.headers)
        assert inner.status_code == 422, (name, inner.text)
        assert [e["pointer"] for e in inner.json()["errors"]] == [f"#/login/{name}"]
    created = client.post("/v1/members", json=member, headers=teller.headers)
    assert created.status_code == 201, created.text
    assert created.json()["member"]["status"] == "pending"
    with bank.session() as session:
        from sqlalchemy import text

        role = session.scalar(text("SELECT role FROM users WHERE username = :u"), {"u": username})
    assert role == "member"


def test_the_sign_in_form_cannot_ask_for_scopes_or_a_role(client: TestClient, pair: Pair) -> None:
    """OAuth's `scope` and extra form fields are ignored: the role is the login's own."""
    from tests.api.factories import PASSWORD
    from tests.security.tokens import claims_of

    answer = client.post(
        "/v1/auth/token",
        data={
            "username": pair.a.user.username,
            "password": PASSWORD,
            "scope": "users:manage approvals:decide",
            "role": "admin",
            "member_id": str(pair.b_member_id),
        },
    )
    assert answer.status_code == 200
    claims = claims_of(answer.json()["access_token"])
    assert claims["role"] == "member"
    assert claims["member_id"] == pair.a.user.member_id
