"""Failed sign-ins lock the login; every refusal looks the same; an admin unlocks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from creditunion.auth.models import User
from creditunion.auth.passwords import Passwords
from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings
from tests.api.conftest import LoggedIn, build_app, login
from tests.api.factories import PASSWORD, TEST_PASSWORDS, make_user


def _attempt(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = client.post("/v1/auth/token", data={"username": username, "password": password})
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body


def _row(engine: Engine, user: User) -> tuple[int, dt.datetime | None]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT failed_login_count, locked_until FROM users WHERE id = :id"),
            {"id": user.id},
        ).one()
    return row[0], row[1]


def test_repeated_failures_lock_the_login_and_locked_looks_like_wrong(
    client: TestClient, engine: Engine, api_settings: Settings
) -> None:
    user = make_user(Role.TELLER)
    threshold = api_settings.login_lockout_threshold
    wrong_answers = [_attempt(client, user.username, f"wrong {n}") for n in range(threshold)]
    assert all(status == 401 for status, _ in wrong_answers)
    count, locked_until = _row(engine, user)
    assert count == 0 and locked_until is not None
    minutes = (locked_until - dt.datetime.now(dt.UTC)).total_seconds() / 60
    assert api_settings.login_lockout_minutes - 1 < minutes <= api_settings.login_lockout_minutes
    # Now even the right password is refused, with exactly the same answer.
    locked_answer = _attempt(client, user.username, PASSWORD)
    unknown_answer = _attempt(client, "nobody-" + user.username, PASSWORD)
    assert locked_answer == wrong_answers[0] == unknown_answer
    assert locked_answer[1]["error"] == "invalid_grant"
    with engine.connect() as conn:
        actions = conn.execute(
            text(
                "SELECT action, summary->>'reason' FROM audit_log "
                "WHERE target_type = 'user' AND target_id = :id ORDER BY id"
            ),
            {"id": str(user.id)},
        ).all()
    assert [a for a, _ in actions] == ["auth.login_failed"] * (threshold - 1) + [
        "auth.login_locked",
        "auth.login_failed",
    ]
    assert actions[-1][1] == "locked"


def test_an_admin_unlocks_and_the_count_starts_again(
    client: TestClient, admin: LoggedIn, api_settings: Settings
) -> None:
    user = make_user(Role.MEMBER)
    for n in range(api_settings.login_lockout_threshold):
        _attempt(client, user.username, f"wrong {n}")
    assert _attempt(client, user.username, PASSWORD)[0] == 401
    unlocked = client.post(f"/v1/users/{user.id}/unlock", headers=admin.headers)
    assert unlocked.status_code == 200
    assert unlocked.json()["locked_until"] is None
    assert login(client, user).access_token


def test_the_lock_expires_by_itself(
    client: TestClient, engine: Engine, api_settings: Settings
) -> None:
    user = make_user(Role.TELLER)
    for n in range(api_settings.login_lockout_threshold):
        _attempt(client, user.username, f"wrong {n}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET locked_until = now() - interval '1 second' WHERE id = :id"),
            {"id": user.id},
        )
    assert login(client, user).access_token
    assert _row(engine, user) == (0, None)


def test_a_success_resets_the_failure_count(client: TestClient, engine: Engine) -> None:
    user = make_user(Role.TELLER)
    _attempt(client, user.username, "wrong once")
    assert _row(engine, user)[0] == 1
    login(client, user)
    assert _row(engine, user)[0] == 0


def test_inactive_logins_are_refused_like_wrong_passwords(client: TestClient) -> None:
    user = make_user(Role.TELLER, active=False)
    assert _attempt(client, user.username, PASSWORD) == _attempt(client, user.username, "wrong")


def test_every_refusal_spends_one_password_hash(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown, locked and inactive logins check a dummy hash, so their answers take as
    long as a wrong password's and timing does not tell which usernames exist."""
    calls: list[str] = []
    real_burn, real_verify = Passwords.burn_time, Passwords.verify

    def burn(self: Passwords, password: str) -> None:
        calls.append("burn")
        real_burn(self, password)

    def verify(self: Passwords, password: str, password_hash: str) -> tuple[bool, str | None]:
        calls.append("verify")
        return real_verify(self, password, password_hash)

    monkeypatch.setattr(Passwords, "burn_time", burn)
    monkeypatch.setattr(Passwords, "verify", verify)
    inactive = make_user(Role.TELLER, active=False)
    locked = make_user(Role.TELLER, locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    known = make_user(Role.TELLER)
    for username in ("no-such-user-anywhere", inactive.username, locked.username, known.username):
        calls.clear()
        assert _attempt(client, username, "wrong password")[0] == 401
        assert len(calls) == 1, (username, calls)


# ------------------------------------------- wrong current passwords

NEW_PASSWORD = "a brand new long passphrase"


def _change(client: TestClient, session: LoggedIn, current: str) -> int:
    return client.post(
        "/v1/auth/password",
        json={"current_password": current, "new_password": NEW_PASSWORD},
        headers=session.headers,
    ).status_code


@pytest.fixture
def own_client(api_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """An app of its own, so these tests' refusals leave other tests' throttle alone."""
    with TestClient(build_app(api_settings, engine), raise_server_exceptions=False) as fresh:
        yield fresh


def test_wrong_current_passwords_lock_the_login_and_then_nothing_changes_it(
    own_client: TestClient, engine: Engine, api_settings: Settings
) -> None:
    """A stolen access token cannot be used to guess the password: wrong current passwords
    lock the login like failed sign-ins, and while it is locked even the right one changes
    nothing."""
    user = make_user(Role.TELLER)
    stolen = login(own_client, user)
    threshold = api_settings.login_lockout_threshold
    assert [_change(own_client, stolen, f"guess {n}") for n in range(threshold)] == [
        422
    ] * threshold
    count, locked_until = _row(engine, user)
    assert count == 0 and locked_until is not None

    right = own_client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=stolen.headers,
    )
    assert right.status_code == 403, right.text
    assert right.json()["type"] == "/problems/login-locked"
    with engine.connect() as conn:
        password_hash = conn.execute(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": user.id}
        ).scalar_one()
    assert TEST_PASSWORDS.verify(PASSWORD, password_hash)[0]
    assert not TEST_PASSWORDS.verify(NEW_PASSWORD, password_hash)[0]
    # Once the lock is lifted the new password never signs in; the old one does.
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET locked_until = NULL WHERE id = :id"), {"id": user.id})
    assert _attempt(own_client, user.username, NEW_PASSWORD)[0] == 401
    assert login(own_client, user).access_token


def test_guessing_the_current_password_is_throttled_like_sign_ins(
    own_client: TestClient, api_settings: Settings
) -> None:
    stolen = login(own_client, make_user(Role.MEMBER))
    threshold = api_settings.login_lockout_threshold
    ceiling = api_settings.login_throttle_username_failures
    answers = [_change(own_client, stolen, f"guess {n}") for n in range(30)]
    assert answers[:threshold] == [422] * threshold
    assert answers[threshold:ceiling] == [403] * (ceiling - threshold)  # locked
    assert answers[ceiling:] == [429] * (30 - ceiling)
    blocked = own_client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=stolen.headers,
    )
    assert blocked.status_code == 429
    assert blocked.json()["type"] == "/problems/too-many-sign-ins"
    assert 1 <= int(blocked.headers["retry-after"]) <= api_settings.login_throttle_window_s
    # The same throttle guards the username's sign-in.
    assert _attempt(own_client, stolen.user.username, PASSWORD)[0] == 429
