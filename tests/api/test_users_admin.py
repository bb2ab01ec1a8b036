"""Administering logins, and the member-login service the members module calls."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.auth.actor import Actor
from creditunion.auth.passwords import WeakPassword
from creditunion.auth.roles import Role
from creditunion.auth.users import (
    MemberLoginExists,
    NotAllowed,
    UsernameTaken,
    create_member_login,
)
from creditunion.platform.database import unit_of_work
from tests.api.conftest import LoggedIn, login
from tests.api.factories import PASSWORD, make_user, registered_member_id

STRONG = "a perfectly long password"


def test_an_admin_creates_a_staff_user_who_can_sign_in(
    client: TestClient, admin: LoggedIn, engine: Engine
) -> None:
    response = client.post(
        "/v1/users",
        json={"username": "Teller.Jo", "password": STRONG, "role": "teller"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["role"] == "teller" and created["active"] and created["member_id"] is None
    token = client.post("/v1/auth/token", data={"username": "teller.jo", "password": STRONG})
    assert token.status_code == 200
    with engine.connect() as conn:
        record = conn.execute(
            text(
                "SELECT actor_user_id, summary FROM audit_log WHERE action = 'user.create' AND target_id = :id"
            ),
            {"id": str(created["id"])},
        ).one()
    assert record.actor_user_id == admin.user.id
    assert record.summary == {"username": "Teller.Jo", "role": "teller"}
    assert "password" not in str(record.summary).lower()


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({"username": "ab", "password": STRONG, "role": "teller"}, 422, "#/username"),
        ({"username": "someone", "password": "short", "role": "teller"}, 422, "#"),
        ({"username": "someone", "password": "someone-is-my-password", "role": "teller"}, 422, "#"),
        ({"username": "someone", "password": STRONG, "role": "member"}, 422, "#"),
        ({"username": "someone", "password": STRONG, "role": "overlord"}, 422, "#/role"),
        ({"username": "someone", "password": STRONG, "role": "teller", "extra": 1}, 422, "#/extra"),
    ],
)
def test_bad_staff_users_are_refused_with_pointers(
    client: TestClient, admin: LoggedIn, body: dict[str, object], status: int, pointer: str
) -> None:
    response = client.post("/v1/users", json=body, headers=admin.headers)
    assert response.status_code == status, response.text
    assert pointer in [e["pointer"] for e in response.json()["errors"]]


def test_usernames_are_unique_whatever_the_case(client: TestClient, admin: LoggedIn) -> None:
    existing = make_user(Role.TELLER)
    response = client.post(
        "/v1/users",
        json={"username": existing.username.upper(), "password": STRONG, "role": "auditor"},
        headers=admin.headers,
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/username-taken"


def test_list_users_pages_through_with_filters(client: TestClient, admin: LoggedIn) -> None:
    made = {make_user(Role.LOAN_OFFICER).id for _ in range(5)}
    seen: list[int] = []
    cursor = None
    for _ in range(100):
        params: dict[str, object] = {"role": "loan_officer", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/users", params=params, headers=admin.headers).json()
        assert len(page["items"]) <= 2
        assert all(item["role"] == "loan_officer" for item in page["items"])
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert made <= set(seen)


def test_deactivation_ends_tokens_and_admins_cannot_act_on_themselves(
    client: TestClient, admin: LoggedIn
) -> None:
    victim = login(client, make_user(Role.TELLER))
    response = client.post(f"/v1/users/{victim.user.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200 and response.json()["active"] is False
    assert client.get("/v1/auth/me", headers=victim.headers).status_code == 401
    assert (
        client.post("/v1/auth/refresh", json={"refresh_token": victim.refresh_token}).status_code
        == 401
    )
    for action in ("deactivate", "unlock"):
        own = client.post(f"/v1/users/{admin.user.id}/{action}", headers=admin.headers)
        assert own.status_code == 403, action
    assert (
        client.post(
            f"/v1/users/{admin.user.id}/password",
            json={"new_password": STRONG},
            headers=admin.headers,
        ).status_code
        == 403
    )
    assert client.post("/v1/users/999999999/deactivate", headers=admin.headers).status_code == 404


def test_a_password_reset_ends_the_users_sessions(client: TestClient, admin: LoggedIn) -> None:
    victim = login(client, make_user(Role.MEMBER))
    reset = client.post(
        f"/v1/users/{victim.user.id}/password", json={"new_password": STRONG}, headers=admin.headers
    )
    assert reset.status_code == 204
    assert client.get("/v1/auth/me", headers=victim.headers).status_code == 401
    assert login(client, victim.user, STRONG).access_token
    assert (
        client.post(
            "/v1/auth/token", data={"username": victim.user.username, "password": PASSWORD}
        ).status_code
        == 401
    )


def test_create_member_login_for_the_members_module(engine: Engine, client: TestClient) -> None:
    teller = make_user(Role.TELLER)
    actor = Actor(user_id=teller.id, username=teller.username, role=Role.TELLER)
    member_id, second, third, fourth, fifth = (registered_member_id() for _ in range(5))
    username = f"member{teller.id}"
    with unit_of_work(engine) as session:
        view = create_member_login(
            session, member_id=member_id, username=username, password=STRONG, actor=actor
        )
    assert view.role is Role.MEMBER and view.member_id == member_id
    token = client.post("/v1/auth/token", data={"username": username, "password": STRONG})
    me = client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.json()["member_id"] == member_id
    with pytest.raises(MemberLoginExists), unit_of_work(engine) as session:
        create_member_login(
            session, member_id=member_id, username=username + "b", password=STRONG, actor=actor
        )
    with pytest.raises(UsernameTaken), unit_of_work(engine) as session:
        create_member_login(
            session,
            member_id=second,
            username=username.upper(),
            password=STRONG,
            actor=actor,
        )
    with pytest.raises(WeakPassword), unit_of_work(engine) as session:
        create_member_login(
            session, member_id=third, username=username + "c", password="short", actor=actor
        )
    auditor = Actor(user_id=1, username="aud", role=Role.AUDITOR)
    with pytest.raises(NotAllowed), unit_of_work(engine) as session:
        create_member_login(
            session,
            member_id=fourth,
            username=username + "d",
            password=STRONG,
            actor=auditor,
        )
    with unit_of_work(engine) as session:  # demo seeding and imports act as the system
        create_member_login(
            session,
            member_id=fifth,
            username=username + "e",
            password=STRONG,
            actor=Actor.system("demo"),
        )


def test_the_database_refuses_a_member_login_without_a_member(engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, password_hash, role) VALUES ('nomember1', 'x', 'member')"
            )
        )


# ------------------------------------------------------------- one administrator alone

OWN = "a password of my very own"


def test_a_reset_password_only_lets_the_user_choose_their_own(
    client: TestClient, admin: LoggedIn, engine: Engine
) -> None:
    victim = make_user(Role.TELLER)
    reset = client.post(
        f"/v1/users/{victim.id}/password", json={"new_password": STRONG}, headers=admin.headers
    )
    assert reset.status_code == 204
    assert client.get(f"/v1/users/{victim.id}", headers=admin.headers).json()[
        "must_change_password"
    ]
    signed_in = client.post(
        "/v1/auth/token", data={"username": victim.username, "password": STRONG}
    )
    assert signed_in.status_code == 200
    assert signed_in.json()["password_change_required"] is True
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    # Whoever set the password can do nothing with it but replace it.
    for method, path in (("GET", "/v1/auth/me"), ("GET", "/v1/members"), ("GET", "/v1/cob/status")):
        refused = client.request(method, path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.json()["type"] == "/problems/password-change-required", path
    changed = client.post(
        "/v1/auth/password",
        json={"current_password": STRONG, "new_password": OWN},
        headers=headers,
    )
    assert changed.status_code == 204
    own = client.post("/v1/auth/token", data={"username": victim.username, "password": OWN})
    assert own.json()["password_change_required"] is False
    me = client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {own.json()['access_token']}"}
    )
    assert me.status_code == 200
    with engine.connect() as conn:
        must_change = conn.execute(
            text("SELECT must_change_password FROM users WHERE id = :id"), {"id": victim.id}
        ).scalar_one()
    assert must_change is False


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_or_admin_login_needs_a_second_administrator(
    client: TestClient, admin: LoggedIn, engine: Engine, role: str
) -> None:
    username = f"proposed.{role}.{admin.user.id}"
    created = client.post(
        "/v1/users",
        json={"username": username, "password": STRONG, "role": role},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    proposed = created.json()
    assert proposed["approval_pending"] is True
    assert proposed["created_by_user_id"] == admin.user.id
    sign_in = {"username": username, "password": STRONG}
    assert client.post("/v1/auth/token", data=sign_in).status_code == 401

    own = client.post(f"/v1/users/{proposed['id']}/approve", headers=admin.headers)
    assert own.status_code == 403
    assert own.json()["type"] == "/problems/self-approval"
    assert client.post("/v1/auth/token", data=sign_in).status_code == 401

    second = login(client, make_user(Role.ADMIN))
    approved = client.post(f"/v1/users/{proposed['id']}/approve", headers=second.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approval_pending"] is False
    assert approved.json()["approved_by_user_id"] == second.user.id
    assert client.post("/v1/auth/token", data=sign_in).status_code == 200
    again = client.post(f"/v1/users/{proposed['id']}/approve", headers=second.headers)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/nothing-to-approve"
    with engine.connect() as conn:
        actions = conn.execute(
            text(
                "SELECT action, actor_user_id FROM audit_log "
                "WHERE target_type = 'user' AND target_id = :id ORDER BY id"
            ),
            {"id": str(proposed["id"])},
        ).all()
    assert [tuple(a) for a in actions if a[0].startswith("user.")] == [
        ("user.create", admin.user.id),
        ("user.approve", second.user.id),
    ]


def test_other_staff_roles_need_no_second_administrator(
    client: TestClient, admin: LoggedIn
) -> None:
    for role in ("teller", "loan_officer", "auditor"):
        username = f"direct.{role}.{admin.user.id}"
        created = client.post(
            "/v1/users",
            json={"username": username, "password": STRONG, "role": role},
            headers=admin.headers,
        )
        assert created.status_code == 201 and created.json()["approval_pending"] is False
        token = client.post("/v1/auth/token", data={"username": username, "password": STRONG})
        assert token.status_code == 200, role


def test_a_deactivated_proposal_cannot_be_approved(client: TestClient, admin: LoggedIn) -> None:
    proposer = make_user(Role.ADMIN)
    proposed = make_user(Role.MANAGER, approval_pending=True, created_by_user_id=proposer.id)
    assert (
        client.post(f"/v1/users/{proposed.id}/deactivate", headers=admin.headers).status_code == 200
    )
    refused = client.post(f"/v1/users/{proposed.id}/approve", headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/approval-of-inactive-login"


def test_the_database_refuses_a_creator_approving_their_own_login(engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    proposer = make_user(Role.ADMIN)
    proposed = make_user(Role.MANAGER, approval_pending=True, created_by_user_id=proposer.id)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE users SET approval_pending = false, approved_by_user_id = :by WHERE id = :id"
            ),
            {"by": proposer.id, "id": proposed.id},
        )


def test_the_operators_command_line_approves_for_a_single_admin(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from launch.cli import app

    monkeypatch.setattr("launch.cli.users.default_engine", lambda: engine)
    # The schema check every command makes first.
    monkeypatch.setattr("launch.cli.db.default_engine", lambda: engine)
    proposer = make_user(Role.ADMIN)
    proposed = make_user(Role.MANAGER, approval_pending=True, created_by_user_id=proposer.id)
    runner = CliRunner()
    approved = runner.invoke(
        app, ["--actor", "ops.lead", "users", "approve", "--username", proposed.username.upper()]
    )
    assert approved.exit_code == 0, approved.output
    assert f"manager {proposed.username} approved" in approved.output
    again = runner.invoke(app, ["users", "approve", "--username", proposed.username])
    assert again.exit_code == 2
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT approval_pending, approved_by_user_id FROM users WHERE id = :id"),
            {"id": proposed.id},
        ).one()
        actor = conn.execute(
            text(
                "SELECT actor_username FROM audit_log WHERE action = 'user.approve' AND target_id = :id"
            ),
            {"id": str(proposed.id)},
        ).scalar_one()
    assert tuple(row) == (False, None)
    assert actor == "cli:ops.lead"
