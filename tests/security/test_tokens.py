"""Forged and stale tokens get 401 on the endpoints that read and move money, and move
nothing: expired, unsigned (`alg: none`), signed with another key, naming another user,
claiming another member or a higher role."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings
from tests.api.banking.bank import Bank
from tests.security.tokens import claims_of, forged, unsigned
from tests.security.world import Pair, make_pair, snapshot

OTHER_KEY = "not-our-signing-key-but-long-enough-for-hs256-0123456789"


@pytest.fixture(scope="module")
def pair(bank: Bank) -> Pair:
    return make_pair(bank)


def _secret(settings: Settings) -> str:
    assert settings.jwt_secret is not None
    return settings.jwt_secret.get_secret_value()


def _forgeries(pair: Pair, secret: str) -> dict[str, str]:
    a, b = pair.a.access_token, pair.b.access_token
    now = int(time.time())
    b_claims = claims_of(b)
    return {
        "expired": forged(a, secret, iat=now - 3600, exp=now - 1),
        "alg none": unsigned(a),
        "alg none, claiming B": unsigned(a, sub=b_claims["sub"], member_id=b_claims["member_id"]),
        "signed with another key": forged(a, OTHER_KEY),
        "another key, claiming B": forged(b, OTHER_KEY),
        "HS256 header, RS-style key confusion": forged(a, secret, algorithm="HS384"),
        "A's token naming B's user": forged(a, secret, sub=b_claims["sub"]),
        "A's token with B's member id": forged(a, secret, member_id=b_claims["member_id"]),
        "A's token with a manager's role": forged(a, secret, role=Role.MANAGER.value),
        "A's token with no member id": forged(a, secret, member_id=None),
        "issued in the future, expired long ago": forged(a, secret, iat=now + 3600, exp=now - 3600),
    }


def _transfer(client: TestClient, token: str, pair: Pair) -> Any:
    return client.post(
        "/v1/me/transfers",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        json={
            "from_account_id": pair.b_accounts[0].id,
            "to_account_id": pair.b_accounts[1].id,
            "amount": {"amount": "1.00", "currency": "GBP"},
        },
    )


def test_forged_tokens_read_and_move_nothing(
    bank: Bank, client: TestClient, pair: Pair, api_settings: Settings
) -> None:
    before = snapshot(bank)
    for name, token in _forgeries(pair, _secret(api_settings)).items():
        headers = {"Authorization": f"Bearer {token}"}
        for url in ("/v1/me", "/v1/me/accounts", f"/v1/me/accounts/{pair.b_accounts[0].id}"):
            answer = client.get(url, headers=headers)
            assert answer.status_code == 401, (name, url, answer.text)
            assert answer.headers["www-authenticate"].startswith('Bearer realm="creditunion"')
            assert str(pair.b_accounts[0].account_number) not in answer.text
        moved = _transfer(client, token, pair)
        assert moved.status_code == 401, (name, moved.text)
        assert moved.headers["content-type"] == "application/problem+json"
    assert snapshot(bank) == before


def test_b_real_token_still_works_so_the_refusals_were_the_forgeries(
    client: TestClient, pair: Pair
) -> None:
    answer = client.get(f"/v1/me/accounts/{pair.b_accounts[0].id}", headers=pair.b.headers)
    assert answer.status_code == 200
    assert answer.json()["id"] == pair.b_accounts[0].id


def test_a_staff_token_signed_with_another_key_cannot_move_money(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    """A teller's real claims re-signed with another key: the till is closed to it."""
    teller = pair.staff[Role.TELLER]
    before = snapshot(bank)
    answer = client.post(
        "/v1/cash/withdrawals",
        headers={
            "Authorization": f"Bearer {forged(teller.access_token, OTHER_KEY)}",
            "Idempotency-Key": str(uuid.uuid4()),
        },
        json={"account_id": pair.b_accounts[0].id, "amount": {"amount": "5.00", "currency": "GBP"}},
    )
    assert answer.status_code == 401
    assert snapshot(bank) == before


def test_a_token_of_a_deactivated_login_is_refused_at_once(bank: Bank, client: TestClient) -> None:
    from sqlalchemy import text

    victim = bank.member_login()
    assert client.get("/v1/me", headers=victim.headers).status_code == 200
    with bank.session() as session, session.begin():
        session.execute(
            text("UPDATE users SET active = false WHERE id = :id"), {"id": victim.user.id}
        )
    assert client.get("/v1/me", headers=victim.headers).status_code == 401
