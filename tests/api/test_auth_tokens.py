"""Tokens: issue, use, refresh with rotation, reuse detection, and every way a token is refused."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text

from api.transactions import REPLAYED_HEADER
from creditunion.auth.models import RefreshToken
from creditunion.auth.roles import Role
from creditunion.auth.tokens import ISSUER, TokenClaims, TokenCodec, TokenType
from creditunion.platform.settings import Settings
from tests.api.conftest import LoggedIn, login
from tests.api.factories import PASSWORD, make_user


def _me(client: TestClient, token: str) -> int:
    return client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _claims(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


def test_sign_in_issues_a_bearer_pair_with_the_documented_claims(
    client: TestClient, api_settings: Settings
) -> None:
    user = make_user(Role.MEMBER)
    response = client.post(
        "/v1/auth/token", data={"username": user.username.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == api_settings.access_token_minutes * 60
    assert body["refresh_expires_in"] == api_settings.refresh_token_days * 86_400
    claims = _claims(body["access_token"])
    assert claims["sub"] == str(user.id)
    assert claims["role"] == "member"
    assert claims["member_id"] == user.member_id
    assert claims["typ"] == "access"
    assert claims["iss"] == ISSUER
    assert int(claims["exp"]) - int(claims["iat"]) == 15 * 60  # type: ignore[call-overload]
    uuid.UUID(str(claims["jti"]))
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "user_id": user.id,
        "username": user.username,
        "role": "member",
        "member_id": user.member_id,
        "permissions": [
            "loans:apply_self",
            "self:collections",
            "self:payments",
            "self:read",
            "self:transfer",
            "session",
        ],
    }


def test_refresh_rotates_and_the_old_refresh_token_stops_working(client: TestClient) -> None:
    session = login(client, make_user(Role.TELLER))
    first = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != session.refresh_token
    assert _me(client, rotated["access_token"]) == 200
    second = client.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert second.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    client: TestClient, engine: Engine
) -> None:
    session = login(client, make_user(Role.MEMBER))
    stolen = session.refresh_token
    newer = client.post("/v1/auth/refresh", json={"refresh_token": stolen}).json()["refresh_token"]
    reuse = client.post("/v1/auth/refresh", json={"refresh_token": stolen})
    assert reuse.status_code == 401
    assert reuse.headers["content-type"] == "application/problem+json"
    # The legitimate holder's newer token died with the family.
    assert client.post("/v1/auth/refresh", json={"refresh_token": newer}).status_code == 401
    family = _claims(stolen)["fam"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(RefreshToken.revoked_at, RefreshToken.revoked_reason).where(
                RefreshToken.family_id == uuid.UUID(str(family))
            )
        ).all()
        reuse_audits = conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_reuse' AND target_id = :u"
            ),
            {"u": str(session.user.id)},
        ).scalar_one()
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)
    assert {r.revoked_reason for r in rows} == {"reuse_detected"}
    assert reuse_audits == 1


def test_a_refresh_refused_after_the_login_changed_revokes_the_family_with_one_record(
    client: TestClient, engine: Engine
) -> None:
    session = login(client, make_user(Role.TELLER))
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET active = false WHERE id = :u"), {"u": session.user.id})
    refused = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert refused.status_code == 401
    # Presented again, the token is already revoked: refused without a second record.
    again = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert again.status_code == 401
    family = str(_claims(session.refresh_token)["fam"])
    with engine.connect() as conn:
        reasons = (
            conn.execute(
                select(RefreshToken.revoked_reason).where(
                    RefreshToken.family_id == uuid.UUID(family)
                )
            )
            .scalars()
            .all()
        )
        records = conn.execute(
            text(
                "SELECT actor_user_id, target_type, summary FROM audit_log"
                " WHERE action = 'auth.refresh_revoked' AND target_id = :u"
            ),
            {"u": str(session.user.id)},
        ).all()
    assert reasons == ["login_changed"]
    assert len(records) == 1
    actor_user_id, target_type, summary = records[0]
    assert actor_user_id is None  # no one is known to act
    assert target_type == "user"
    assert summary == {"family_id": family, "reason": "login_changed", "tokens_revoked": 1}


def test_logout_revokes_the_family(client: TestClient) -> None:
    session = login(client, make_user(Role.TELLER))
    assert (
        client.post("/v1/auth/logout", json={"refresh_token": session.refresh_token}).status_code
        == 204
    )
    assert (
        client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token}).status_code
        == 401
    )
    # Nonsense is answered the same way: nothing to learn from it.
    assert client.post("/v1/auth/logout", json={"refresh_token": "nonsense"}).status_code == 204


def test_signing_out_ends_the_access_token_of_that_sign_in_at_once(client: TestClient) -> None:
    """An access token names its sign-in (`sid`): signing out ends it without waiting for
    it to expire, and only it (the same user's other sign-in goes on)."""
    user = make_user(Role.TELLER)
    phone, laptop = login(client, user), login(client, user)
    assert _claims(phone.access_token)["sid"] == _claims(phone.refresh_token)["fam"]
    assert _me(client, phone.access_token) == 200
    out = client.post("/v1/auth/logout", json={"refresh_token": phone.refresh_token})
    assert out.status_code == 204
    assert _me(client, phone.access_token) == 401
    assert _me(client, laptop.access_token) == 200


def test_refresh_token_reuse_ends_every_access_token_of_the_sign_in(client: TestClient) -> None:
    session = login(client, make_user(Role.MEMBER))
    rotated = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    newer_access = rotated.json()["access_token"]
    assert _me(client, session.access_token) == _me(client, newer_access) == 200
    reuse = client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert reuse.status_code == 401
    assert _me(client, session.access_token) == 401
    assert _me(client, newer_access) == 401


def test_checking_an_access_token_costs_one_statement(
    client: TestClient, teller: LoggedIn, engine: Engine
) -> None:
    """The sign-in check rides on the user lookup every request already made."""
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert _me(client, teller.access_token) == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    auth = [s for s in statements if "users" in s or "refresh_tokens" in s]
    assert len(auth) == 1, auth
    assert "refresh_tokens" in auth[0] and "EXISTS" in auth[0]


def test_an_access_token_without_its_sign_in_is_refused(
    client: TestClient, teller: LoggedIn, api_settings: Settings
) -> None:
    secret = api_settings.jwt_secret.get_secret_value()  # type: ignore[union-attr]
    good = _valid_claims(teller)
    no_sign_in = {k: v for k, v in good.items() if k != "sid"}
    unknown_sign_in = dict(good, sid=str(uuid.uuid4()))
    assert _me(client, _forge(no_sign_in, secret)) == 401
    assert _me(client, _forge(unknown_sign_in, secret)) == 401
    assert _me(client, teller.access_token) == 200


def _forge(claims: dict[str, object], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _valid_claims(session: LoggedIn) -> dict[str, object]:
    return dict(_claims(session.access_token))


def test_refused_access_tokens_get_401_with_a_bearer_challenge(
    client: TestClient, teller: LoggedIn, api_settings: Settings
) -> None:
    secret = api_settings.jwt_secret.get_secret_value()  # type: ignore[union-attr]
    good = _valid_claims(teller)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    header, payload, signature = teller.access_token.split(".")
    elevated = dict(good, role="manager")
    tampered_payload = base64.urlsafe_b64encode(json.dumps(elevated).encode()).rstrip(b"=").decode()
    unsigned = (
        base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        + "."
        + payload
        + "."
    )
    cases = {
        "expired": _forge(dict(good, iat=now - 3600, exp=now - 60), secret),
        "alg none": unsigned,
        "wrong key": _forge(good, "another-secret-that-is-long-enough-0123456789"),
        "HS512": _forge(good, secret, "HS512"),
        "tampered payload": f"{header}.{tampered_payload}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "refresh as access": teller.refresh_token,
        "wrong issuer": _forge(dict(good, iss="someone-else"), secret),
        "missing jti": _forge({k: v for k, v in good.items() if k != "jti"}, secret),
        "unknown user": _forge(dict(good, sub="999999999999"), secret),
        "role changed in token": _forge(dict(good, role="manager"), secret),
        "not a jwt": "abc.def",
        "empty": "",
    }
    for name, token in cases.items():
        response = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"].startswith("Bearer"), name
        assert response.headers["content-type"] == "application/problem+json", name
    assert _me(client, teller.access_token) == 200


def test_an_access_token_is_not_a_refresh_token(client: TestClient, teller: LoggedIn) -> None:
    response = client.post("/v1/auth/refresh", json={"refresh_token": teller.access_token})
    assert response.status_code == 401


def test_a_validly_signed_refresh_token_not_on_record_is_refused(
    client: TestClient, teller: LoggedIn, api_settings: Settings
) -> None:
    codec = TokenCodec(api_settings.jwt_secret.get_secret_value())  # type: ignore[union-attr]
    claims = _claims(teller.refresh_token)
    now = dt.datetime.now(dt.UTC)
    forged = codec.encode(
        TokenClaims(
            user_id=teller.user.id,
            role=Role.TELLER,
            member_id=None,
            token_type=TokenType.REFRESH,
            token_id=uuid.uuid4(),
            issued_at=now,
            expires_at=now + dt.timedelta(days=1),
            password_version=int(str(claims["pwv"])),
            family_id=uuid.UUID(str(claims["fam"])),
        )
    )
    assert client.post("/v1/auth/refresh", json={"refresh_token": forged}).status_code == 401


def test_changing_the_password_ends_existing_tokens(
    client: TestClient, login_as: Callable[[Role], LoggedIn]
) -> None:
    session = login_as(Role.LOAN_OFFICER)
    new_password = "a brand new long passphrase"
    wrong = client.post(
        "/v1/auth/password",
        json={"current_password": "not it at all", "new_password": new_password},
        headers=session.headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["pointer"] == "#/current_password"
    changed = client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=session.headers,
    )
    assert changed.status_code == 204
    assert _me(client, session.access_token) == 401
    assert (
        client.post("/v1/auth/refresh", json={"refresh_token": session.refresh_token}).status_code
        == 401
    )
    assert _me(client, login(client, session.user, new_password).access_token) == 200


def test_the_token_endpoint_is_not_idempotent_by_header(client: TestClient) -> None:
    user = make_user(Role.TELLER)
    headers = {"Idempotency-Key": "k1"}
    first = client.post(
        "/v1/auth/token", data={"username": user.username, "password": PASSWORD}, headers=headers
    )
    second = client.post(
        "/v1/auth/token", data={"username": user.username, "password": PASSWORD}, headers=headers
    )
    assert REPLAYED_HEADER.lower() not in second.headers
    assert first.json()["access_token"] != second.json()["access_token"]
