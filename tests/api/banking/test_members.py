"""Members through the API: registration (with a login), validation, search, NI numbers,
status, and the smaller endpoints (business date, products, dividends)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from creditunion.auth.roles import Role
from tests.api.banking.bank import Bank
from tests.api.conftest import LoggedIn
from tests.api.factories import PASSWORD
from tests.factories import ni_number


def _letters() -> str:
    """A name part unique per call (names take letters only)."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])


def _application(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_name": "Siobhan",
        "family_name": f"O'Neill-{_letters().capitalize()}",
        "date_of_birth": "1979-10-31",
        "address_line1": "7 Deansgate",
        "town": "Manchester",
        "postcode": "m3 4lz",
        "email": "siobhan@example.org",
        "phone": "07911 123456",
        "ni_number": ni_number(uuid.uuid4().int),
        "common_bond": "employer",
        "bond_detail": "Manchester City Council",
    }
    body.update(changes)
    return body


def test_register_with_a_login_that_signs_in(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    username = f"m{uuid.uuid4().hex[:10]}"
    response = client.post(
        "/v1/members",
        headers=cashier.headers,
        json=_application(login={"username": username, "password": PASSWORD}),
    )
    assert response.status_code == 201, response.text
    member, login = response.json()["member"], response.json()["login"]
    assert member["status"] == "pending" and member["postcode"] == "M3 4LZ"
    assert member["membership_number"].startswith("M") and len(member["membership_number"]) == 9
    assert member["ni_visibility"] == "masked" and "******" in member["ni_number"]
    assert member["joined_on"] == bank.today.isoformat()
    assert login["username"] == username

    token = client.post("/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = client.get("/v1/me", headers=headers).json()
    assert me["id"] == member["id"] and me["ni_number"] == member["ni_number"]
    # One change, one record: the registration names the login it created.
    assert bank.audit_actions("member", member["id"]) == ["member.register"]
    with bank.engine.connect() as conn:
        summary = conn.execute(
            text(
                "SELECT summary FROM audit_log WHERE action = 'member.register' AND target_id = :m"
            ),
            {"m": str(member["id"])},
        ).scalar_one()
    assert summary["login_user_id"] == login["user_id"]
    assert bank.audit_actions("user", login["user_id"]) == ["auth.login"]


@pytest.mark.usefixtures("bank")
def test_a_taken_username_registers_nothing(client: TestClient, cashier: LoggedIn) -> None:
    application = _application(login={"username": cashier.user.username, "password": PASSWORD})
    response = client.post("/v1/members", headers=cashier.headers, json=application)
    assert response.status_code == 409 and response.json()["type"] == "/problems/username-taken"
    found = client.get(
        f"/v1/members?name_prefix={application['family_name']}", headers=cashier.headers
    ).json()
    assert found["items"] == []


def test_every_bad_field_is_pointed_at(client: TestClient, cashier: LoggedIn) -> None:
    response = client.post(
        "/v1/members",
        headers=cashier.headers,
        json=_application(
            postcode="QA1 1AA", ni_number="QQ123456C", date_of_birth="1990-02-30", town=""
        ),
    )
    assert response.status_code == 422, response.text
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"#/postcode", "#/ni_number", "#/date_of_birth", "#/town"}
    assert "QA1" not in response.json()["detail"] or "postcode" in response.json()["detail"]

    unknown_field = client.post(
        "/v1/members", headers=cashier.headers, json=_application(favourite_colour="teal")
    )
    bad_bond = client.post(
        "/v1/members", headers=cashier.headers, json=_application(common_bond="friendship")
    )
    assert unknown_field.status_code == bad_bond.status_code == 422
    assert unknown_field.json()["errors"][0]["pointer"] == "#/favourite_colour"
    assert bad_bond.json()["errors"][0]["pointer"] == "#/common_bond"


def test_the_same_person_cannot_hold_two_live_memberships(
    client: TestClient, cashier: LoggedIn
) -> None:
    ni = ni_number(uuid.uuid4().int)
    first = client.post("/v1/members", headers=cashier.headers, json=_application(ni_number=ni))
    second = client.post(
        "/v1/members", headers=cashier.headers, json=_application(ni_number=ni.lower())
    )
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["type"] == "/problems/duplicate-member"


def test_full_ni_numbers_only_for_managers(
    bank: Bank, client: TestClient, cashier: LoggedIn, manager: LoggedIn
) -> None:
    ni = ni_number(uuid.uuid4().int)
    member = bank.member(ni_number=ni)
    for who, visibility in [
        (manager, "full"),
        (cashier, "masked"),
        (bank.staff(Role.AUDITOR), "masked"),
        (bank.staff(Role.LOAN_OFFICER), "masked"),
    ]:
        shown = client.get(f"/v1/members/{member.id}", headers=who.headers).json()
        listed = client.get(
            f"/v1/members?membership_number={member.membership_number}", headers=who.headers
        ).json()["items"][0]
        for body in (shown, listed):
            assert body["ni_visibility"] == visibility
            expected = ni if visibility == "full" else f"{ni[:2]}******{ni[-1]}"
            assert body["ni_number"] == expected


def test_search_pages_with_a_cursor_and_filters(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    family = f"Zq{_letters()}"
    made = [bank.member(family_name=family, postcode="B33 8TH") for _ in range(5)]
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        query = f"?name_prefix={family.lower()}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/v1/members{query}", headers=cashier.headers).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [m.id for m in made]
    by_outward = client.get(
        f"/v1/members?name_prefix={family}&postcode=B33&status=pending", headers=cashier.headers
    ).json()
    assert len(by_outward["items"]) == 5
    bad = client.get("/v1/members?postcode=QQ", headers=cashier.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["location"] == "query"
    assert bad.json()["errors"][0]["pointer"] == "#/postcode"
    tampered = client.get(
        f"/v1/members?cursor={page.get('next_cursor') or 'abc.def'}", headers=cashier.headers
    )
    assert tampered.status_code == 422


def test_details_and_status_change_with_an_audit_trail(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    member = bank.member()
    changed = client.patch(
        f"/v1/members/{member.id}",
        headers=cashier.headers,
        json={"postcode": "ec1a1bb", "email": None, "town": "London"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["postcode"] == "EC1A 1BB" and changed.json()["email"] is None
    nothing = client.patch(f"/v1/members/{member.id}", headers=cashier.headers, json={})
    assert nothing.status_code == 422

    too_early = client.post(
        f"/v1/members/{member.id}/status", headers=cashier.headers, json={"status": "active"}
    )
    assert too_early.status_code == 409
    assert too_early.json()["type"] == "/problems/status-transition-refused"

    account = bank.account(member_id=member.id, balance="5.00")  # the minimum share: active
    closing = client.post(
        f"/v1/members/{member.id}/status", headers=cashier.headers, json={"status": "closed"}
    )
    assert closing.status_code == 409
    assert closing.json()["type"] == "/problems/member-closure-refused"
    dormant = client.post(
        f"/v1/members/{member.id}/status", headers=cashier.headers, json={"status": "dormant"}
    )
    assert dormant.status_code == 200 and dormant.json()["status"] == "dormant"
    blocked = client.post(
        "/v1/cash/withdrawals",
        headers={**cashier.headers, "Idempotency-Key": str(uuid.uuid4())},
        json={"account_id": account.id, "amount": {"amount": "1.00", "currency": "GBP"}},
    )
    assert blocked.status_code == 409
    assert blocked.json()["type"] == "/problems/member-cannot-withdraw"
    assert bank.audit_actions("member", member.id) == ["member.update", "member.status_change"]


def test_open_an_account_and_set_its_mandate(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    adult = bank.member()
    child = bank.member(date_of_birth=bank.today - dt.timedelta(days=365 * 10))
    opened = client.post(
        "/v1/share-accounts",
        headers=cashier.headers,
        json={"member_id": adult.id, "product_code": "xmas"},
    )
    assert opened.status_code == 201, opened.text
    account = opened.json()
    assert account["product_code"] == "XMAS" and account["balance"] == {
        "amount": "0.00",
        "currency": "GBP",
    }
    junior_for_adult = client.post(
        "/v1/share-accounts",
        headers=cashier.headers,
        json={"member_id": adult.id, "product_code": "JUNIOR"},
    )
    junior_for_child = client.post(
        "/v1/share-accounts",
        headers=cashier.headers,
        json={"member_id": child.id, "product_code": "JUNIOR"},
    )
    no_product = client.post(
        "/v1/share-accounts",
        headers=cashier.headers,
        json={"member_id": adult.id, "product_code": "NOSUCH"},
    )
    assert junior_for_adult.status_code == 409
    assert junior_for_adult.json()["type"] == "/problems/member-not-eligible"
    assert junior_for_child.status_code == 201
    assert no_product.status_code == 404

    mandate = client.put(
        f"/v1/share-accounts/{account['id']}/repayment-mandate",
        headers=cashier.headers,
        json={"given": True},
    )
    assert mandate.status_code == 200 and mandate.json()["repayment_mandate"] is True
    by_number = client.get(
        f"/v1/share-accounts/by-number/{account['account_number'][:4]}-{account['account_number'][4:]}",
        headers=cashier.headers,
    )
    assert by_number.json()["id"] == account["id"]
    typo = account["account_number"][:-1] + str((int(account["account_number"][-1]) + 1) % 10)
    mistyped = client.get(f"/v1/share-accounts/by-number/{typo}", headers=cashier.headers)
    assert mistyped.status_code == 422
    listed = client.get(f"/v1/members/{adult.id}/accounts", headers=cashier.headers).json()
    assert [a["id"] for a in listed] == [account["id"]]
    assert bank.audit_actions("share_account", account["id"]) == [
        "share_account.open",
        "share_account.mandate",
    ]


def test_business_date_products_and_dividends(
    bank: Bank, client: TestClient, manager: LoggedIn
) -> None:
    member = bank.member_login()
    assert client.get("/v1/business-date", headers=member.headers).json() == {
        "business_date": bank.today.isoformat()
    }
    products = client.get("/v1/share-products", headers=member.headers).json()
    assert {"INSTANT", "XMAS", "JUNIOR"} <= {p["code"] for p in products}
    xmas = client.get("/v1/share-products/XMAS", headers=member.headers).json()
    assert xmas["withdrawal_windows"] == [{"from": "11-01", "to": "12-31"}]

    product = bank.product()
    body = {
        "product_code": product.code,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "pay_on": bank.today.isoformat(),
        "annual_rate": "0.0325",
    }
    open_period = {**body, "period_end": bank.today.isoformat()}
    float_rate = {**body, "annual_rate": 0.0325}
    refused = client.post("/v1/dividends", headers=manager.headers, json=open_period)
    not_a_string = client.post("/v1/dividends", headers=manager.headers, json=float_rate)
    declared = client.post("/v1/dividends", headers=manager.headers, json=body)
    overlap = client.post("/v1/dividends", headers=manager.headers, json=body)
    interest = client.post(
        "/v1/dividends", headers=manager.headers, json={**body, "product_code": "XMAS"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "#/period_end"
    assert not_a_string.status_code == 422
    assert declared.status_code == 201, declared.text
    assert declared.json()["annual_rate"] == "0.0325"
    assert declared.json()["status"] == "declared" and declared.json()["paid_total"] is None
    assert overlap.status_code == 409
    assert interest.status_code == 404
    listed = client.get("/v1/dividends", headers=bank.staff(Role.AUDITOR).headers).json()
    assert listed[0]["id"] == declared.json()["id"]
    assert bank.audit_actions("dividend", declared.json()["id"]) == ["dividend.declare"]


def test_control_characters_are_refused_or_match_nothing_never_a_500(
    bank: Bank, client: TestClient, manager: LoggedIn
) -> None:
    member = bank.member()
    answers = {
        "name": client.get("/v1/members?name_prefix=%00", headers=manager.headers),
        "number": client.get("/v1/members?membership_number=M%0012", headers=manager.headers),
        "postcode": client.get("/v1/members?postcode=M1%00", headers=manager.headers),
        "audit": client.get("/v1/audit-log?target_id=%00", headers=manager.headers),
        "audit_type": client.get("/v1/audit-log?target_type=a%0Ab", headers=manager.headers),
        "sign_in": client.post("/v1/auth/token", data={"username": "a\x00b", "password": "x"}),
        "details": client.patch(
            f"/v1/members/{member.id}", headers=manager.headers, json={"town": "Ley\x00ton"}
        ),
    }
    assert {name: r.status_code for name, r in answers.items()} == {
        "name": 422,
        "number": 200,
        "postcode": 422,
        "audit": 422,
        "audit_type": 422,
        "sign_in": 401,
        "details": 422,
    }
    assert answers["number"].json()["items"] == []
    assert answers["name"].json()["errors"][0]["pointer"] == "#/name_prefix"
