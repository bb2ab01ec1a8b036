"""Object-level access: member A cannot read, list or move anything of member B's.

A's token gets 404 for B's accounts on every /v1/me endpoint, exactly as for ids that do
not exist (same status, problem type and title), and cannot reach staff endpoints at all
(403 whatever the id, so those answers say nothing either). After every attempt B's
balances and the journal are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.domain import ID_MAX
from tests.api.banking.bank import Bank, gbp, idem
from tests.security.world import Pair, make_pair

NOWHERE = ID_MAX


@pytest.fixture
def pair(bank: Bank) -> Pair:
    return make_pair(bank)


def _snapshot(bank: Bank, pair: Pair) -> tuple[list[str], int]:
    return [bank.balance(a.id) for a in pair.b_accounts], bank.journal_count()


def _same_not_found(theirs: Any, missing: Any) -> None:
    assert theirs.status_code == missing.status_code == 404, (theirs.text, missing.text)
    t, m = theirs.json(), missing.json()
    assert t["type"] == m["type"] and t["title"] == m["title"]
    assert set(t) == set(m)


def test_another_members_accounts_are_not_found_like_missing_ones(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    before = _snapshot(bank, pair)
    theirs, mine = pair.b_accounts[0], pair.a_accounts[0]
    for template in ("/v1/me/accounts/{}", "/v1/me/accounts/{}/transactions"):
        _same_not_found(
            client.get(template.format(theirs.id), headers=pair.a.headers),
            client.get(template.format(NOWHERE), headers=pair.a.headers),
        )
    listed = client.get("/v1/me/accounts", headers=pair.a.headers).json()
    assert sorted(a["id"] for a in listed) == sorted(a.id for a in pair.a_accounts)
    profile = client.get("/v1/me", headers=pair.a.headers).json()
    assert profile["id"] != pair.b_member_id
    own = client.get(f"/v1/me/accounts/{mine.id}/transactions", headers=pair.a.headers).json()
    assert own["account_number"] == mine.account_number
    assert pair.b_entry_id not in {line["entry_id"] for line in own["items"]}
    assert _snapshot(bank, pair) == before


def test_no_transfer_touches_another_members_account_except_paying_them(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    before = _snapshot(bank, pair)
    theirs, mine = pair.b_accounts[0], pair.a_accounts[0]
    attempts: list[Callable[[int], dict[str, Any]]] = [
        # Out of B's account, into A's own.
        lambda other: {"from_account_id": other, "to_account_id": mine.id},
        # Out of B's account, to B by membership number.
        lambda other: {"from_account_id": other, "to_membership_number": pair.b_membership_number},
        # Into B's account as if it were A's own.
        lambda other: {"from_account_id": mine.id, "to_account_id": other},
        # Between B's two accounts.
        lambda other: {"from_account_id": other, "to_account_id": pair.b_accounts[1].id},
    ]
    for attempt in attempts:
        answers = [
            client.post(
                "/v1/me/transfers",
                headers=idem(pair.a),
                json={**attempt(other), "amount": gbp("1.00")},
            )
            for other in (theirs.id, NOWHERE)
        ]
        _same_not_found(*answers)
        assert answers[0].json()["type"] == "/problems/share-account-not-found"
    assert _snapshot(bank, pair) == before


def test_staff_endpoints_refuse_a_member_whatever_the_id(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    before = _snapshot(bank, pair)
    theirs = pair.b_accounts[0]
    gets = [
        f"/v1/share-accounts/{theirs.id}",
        f"/v1/share-accounts/{NOWHERE}",
        f"/v1/share-accounts/by-number/{theirs.account_number}",
        f"/v1/share-accounts/{theirs.id}/transactions",
        f"/v1/members/{pair.b_member_id}",
        f"/v1/members/{pair.b_member_id}/accounts",
        f"/v1/members?membership_number={pair.b_membership_number}",
        f"/v1/approvals/{pair.b_approval_id}",
        f"/v1/approvals/{NOWHERE}",
        "/v1/approvals",
    ]
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/v1/cash/withdrawals", {"account_id": theirs.id, "amount": gbp("1.00")}),
        (
            "/v1/transfers",
            {
                "from_account_id": theirs.id,
                "to_account_number": pair.a_accounts[0].account_number,
                "amount": gbp("1.00"),
            },
        ),
        ("/v1/reversals", {"entry_id": pair.b_entry_id, "reason": "mine now"}),
        (f"/v1/approvals/{pair.b_approval_id}/approve", {}),
        (f"/v1/approvals/{pair.b_approval_id}/reject", {"note": "no"}),
        (f"/v1/share-accounts/{theirs.id}/close", {}),
    ]
    answers = [client.get(url, headers=pair.a.headers) for url in gets]
    answers += [client.post(url, json=body, headers=idem(pair.a)) for url, body in posts]
    for response in answers:
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "/problems/forbidden"
    assert _snapshot(bank, pair) == before


def test_paying_another_member_reveals_nothing_of_their_account(
    bank: Bank, client: TestClient, pair: Pair
) -> None:
    theirs = pair.b_accounts[0]  # B's oldest instant-access account receives.
    bank.deposit(theirs.id, "44990.00")  # 49,990.00 of the 50,000.00 maximum.
    before = _snapshot(bank, pair)
    too_much = client.post(
        "/v1/me/transfers",
        headers=idem(pair.a),
        json={
            "from_account_id": pair.a_accounts[0].id,
            "to_membership_number": pair.b_membership_number,
            "amount": gbp("20.00"),
        },
    )
    assert too_much.status_code == 409, too_much.text
    problem = too_much.json()
    assert problem["type"] == "/problems/recipient-cannot-receive"
    assert theirs.account_number not in too_much.text and "49" not in problem["detail"]
    assert _snapshot(bank, pair) == before

    paid = client.post(
        "/v1/me/transfers",
        headers=idem(pair.a),
        json={
            "from_account_id": pair.a_accounts[0].id,
            "to_membership_number": pair.b_membership_number.lower(),
            "amount": gbp("5.00"),
        },
    )
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert body["to_account_number"] is None and theirs.account_number not in paid.text
    assert body["balance_after"] == gbp("195.00")  # A's own balance, not B's
    assert bank.balance(theirs.id) == "49995.00"

    for nobody in ("M99999999", "X1"):
        unknown = client.post(
            "/v1/me/transfers",
            headers=idem(pair.a),
            json={
                "from_account_id": pair.a_accounts[0].id,
                "to_membership_number": nobody,
                "amount": gbp("5.00"),
            },
        )
        assert unknown.status_code == 404
        assert unknown.json()["type"] == "/problems/recipient-not-found"


def test_a_cursor_from_another_members_list_is_refused(client: TestClient, pair: Pair) -> None:
    theirs = pair.b_accounts[1]
    page = client.get(
        f"/v1/me/accounts/{theirs.id}/transactions?limit=1", headers=pair.b.headers
    ).json()
    assert page["next_cursor"] is not None
    mine = pair.a_accounts[0]
    stolen = client.get(
        f"/v1/me/accounts/{mine.id}/transactions?cursor={page['next_cursor']}",
        headers=pair.a.headers,
    )
    assert stolen.status_code == 422
    assert stolen.json()["errors"][0]["pointer"] == "#/cursor"
    replayed = client.get(
        f"/v1/me/accounts/{theirs.id}/transactions?cursor={page['next_cursor']}",
        headers=pair.a.headers,
    )
    assert replayed.status_code == 404
