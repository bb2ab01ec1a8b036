"""The role matrix: every endpoint, every role; and the docs' matrix matches the code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.permissions_matrix import block_of, operations, render
from creditunion.auth.roles import (
    MONEY_PERMISSIONS,
    READ_PERMISSIONS,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    roles_with,
)
from creditunion.payments.models import Scheme
from creditunion.payments.nominations import BankDetails, destination_of, nominate
from creditunion.platform.settings import Settings
from ledger.ownership import STAFF
from tests.api.conftest import LoggedIn
from tests.api.factories import _SessionSource, make_user
from tests.factories import TODAY

DOCS = Path(__file__).resolve().parents[2] / "README.md"


def _request_for(method: str, path: str) -> dict[str, Any]:
    """A well-formed request for each operation, so only the role decides the outcome."""
    target = make_user(Role.TELLER)
    url = path.replace("{user_id}", str(target.id))
    bodies: dict[str, Any] = {
        "POST /v1/users": {
            "username": f"new{target.id}x",
            "password": "a long enough password",
            "role": "teller",
        },
        "POST /v1/users/{user_id}/password": {"new_password": "another long password"},
        "POST /v1/auth/password": {
            "current_password": "wrong",
            "new_password": "a long new password",
        },
    }
    return {"method": method, "url": url, "json": bodies.get(f"{method} {path}")}


def _nominate(member_id: int) -> None:
    with _SessionSource.session() as session, session.begin():
        nominate(
            session,
            member_id=member_id,
            scope=STAFF,
            destination=destination_of(
                BankDetails("Role Matrix", "55779911", sort_code="200000"), Scheme.UK
            ),
            by_member=False,
            cooling_off_days=0,
            actor="user:roles-test",
            business_date=TODAY,
        )


def test_every_endpoint_with_every_role(
    client: TestClient, login_as: Callable[[Role], LoggedIn]
) -> None:
    sessions = {role: login_as(role) for role in Role}
    # The member's nominated account exists, so reading it is found like their other records.
    member_id = sessions[Role.MEMBER].user.member_id
    assert member_id is not None
    _nominate(member_id)
    checked = 0
    for method, path, permission, allowed in operations(create_app().openapi()):
        if permission == "public":
            continue
        for role in Role:
            request = _request_for(method, path)
            response = client.request(**request, headers=sessions[role].headers)
            if role.value in allowed:
                assert response.status_code not in (401, 403, 404), (
                    method,
                    path,
                    role,
                    response.text,
                )
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["type"] == "/problems/forbidden"
            checked += 1
        anonymous = client.request(**_request_for(method, path))
        assert anonymous.status_code == 401, (method, path)
    assert checked >= 8 * len(Role)


def test_the_docs_matrix_is_generated_from_the_code() -> None:
    assert block_of(DOCS.read_text()) == render(), (
        "the README's role matrix is stale: run python -m api.permissions_matrix --write README.md"
    )


def test_every_operation_declares_a_permission_or_public(app: FastAPI) -> None:
    for method, path, permission, allowed in operations(app.openapi()):
        assert permission == "public" or Permission(permission), (method, path)
        if permission != "public":
            assert allowed == [r.value for r in roles_with(Permission(permission))]


def test_an_undeclared_endpoint_breaks_the_document(api_settings: Settings) -> None:
    from api.transactions import api_router

    app = create_app(api_settings)
    stray = api_router()

    @stray.get("/stray")
    def stray_endpoint() -> dict[str, str]:
        return {}

    app.include_router(stray, prefix="/v1")
    with pytest.raises(AssertionError, match="declare require"):
        app.openapi()


def test_separation_of_duties_in_the_role_table() -> None:
    assert not ROLE_PERMISSIONS[Role.ADMIN] & MONEY_PERMISSIONS
    assert ROLE_PERMISSIONS[Role.AUDITOR] <= READ_PERMISSIONS
    assert not ROLE_PERMISSIONS[Role.MEMBER] & {
        Permission.MEMBERS_READ,
        Permission.ACCOUNTS_READ,
        Permission.AUDIT_READ,
        Permission.USERS_READ,
    }
    assert roles_with(Permission.AUDIT_READ) == (Role.MANAGER, Role.AUDITOR)
    assert roles_with(Permission.USERS_MANAGE) == (Role.ADMIN,)
