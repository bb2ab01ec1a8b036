"""Money through the API: idempotent replays, refusals, and amounts checked on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.transactions import REPLAYED_HEADER
from creditunion.shares.models import ProductKind, ReturnBasis
from tests.api.banking.bank import Bank, gbp, idem, new_key
from tests.api.conftest import LoggedIn


def _deposit(client: TestClient, who: LoggedIn, account_id: int, amount: Any, key: str) -> Any:
    return client.post(
        "/v1/cash/deposits",
        headers=idem(who, key),
        json={"account_id": account_id, "amount": amount},
    )


def test_a_replayed_deposit_answers_the_same_and_posts_once(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    account = bank.account(balance="10.00")
    journal = bank.journal_count()
    key = new_key()

    first = _deposit(client, cashier, account.id, gbp("12.30"), key)
    again = _deposit(client, cashier, account.id, {"currency": "GBP", "amount": "12.30"}, key)

    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers[REPLAYED_HEADER] == "true" and REPLAYED_HEADER not in first.headers
    assert first.json()["balance_after"] == gbp("22.30")
    assert bank.balance(account.id) == "22.30"
    assert bank.journal_count() == journal + 1
    assert bank.entries_with_key(f"http:{cashier.user.id}:{key}") == 1
    assert bank.audit_actions("share_account", account.id).count("cash.deposit") == 1


def test_the_same_key_for_another_request_is_refused(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    account = bank.account(balance="10.00")
    key = new_key()
    assert _deposit(client, cashier, account.id, gbp("5.00"), key).status_code == 201
    journal = bank.journal_count()

    other_amount = _deposit(client, cashier, account.id, gbp("6.00"), key)
    other_path = client.post(
        "/v1/cash/withdrawals",
        headers=idem(cashier, key),
        json={"account_id": account.id, "amount": gbp("5.00")},
    )

    for response in (other_amount, other_path):
        assert response.status_code == 409, response.text
        assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert bank.balance(account.id) == "15.00" and bank.journal_count() == journal


@pytest.mark.parametrize(
    "path",
    [
        "/v1/cash/deposits",
        "/v1/cash/withdrawals",
        "/v1/transfers",
        "/v1/reversals",
        "/v1/me/transfers",
        "/v1/approvals/1/approve",
    ],
)
def test_a_post_that_moves_money_needs_a_key(
    bank: Bank, client: TestClient, manager: LoggedIn, path: str
) -> None:
    who = bank.member_login() if path.startswith("/v1/me") else manager
    response = client.post(path, headers=who.headers, json={})
    assert response.status_code == 422, response.text
    pointers = {(e["location"], e["pointer"]) for e in response.json()["errors"]}
    assert ("header", "#/Idempotency-Key") in pointers


@pytest.mark.parametrize(
    ("amount", "pointer"),
    [
        ({"amount": 10, "currency": "GBP"}, "#/amount/amount"),
        ({"amount": 10.5, "currency": "GBP"}, "#/amount/amount"),
        ({"amount": "10.555", "currency": "GBP"}, "#/amount/amount"),
        ({"amount": "1e3", "currency": "GBP"}, "#/amount/amount"),
        ({"amount": "-5.00", "currency": "GBP"}, "#/amount/amount"),
        ({"amount": "0.00", "currency": "GBP"}, "#/amount/amount"),
        ({"amount": "0", "currency": "GBP"}, "#/amount/amount"),
        ({"amount": " 5.00", "currency": "GBP"}, "#/amount/amount"),
        ({"amount": "5.00", "currency": "XYZ"}, "#/amount/currency"),
        ({"amount": "5.00", "currency": "gbp"}, "#/amount/currency"),
        ({"amount": "5.00"}, "#/amount/currency"),
        (12.5, "#/amount"),
        ("12.50", "#/amount"),
    ],
)
def test_money_on_the_wire_is_checked_with_a_pointer(
    bank: Bank, client: TestClient, cashier: LoggedIn, amount: Any, pointer: str
) -> None:
    account = bank.account(balance="50.00")
    journal = bank.journal_count()
    for path, body in [
        ("/v1/cash/deposits", {"account_id": account.id, "amount": amount}),
        ("/v1/cash/withdrawals", {"account_id": account.id, "amount": amount}),
        (
            "/v1/transfers",
            {
                "from_account_id": account.id,
                "to_account_number": bank.account().account_number,
                "amount": amount,
            },
        ),
    ]:
        response = client.post(path, headers=idem(cashier), json=body)
        assert response.status_code == 422, (path, response.text)
        assert pointer in {e["pointer"] for e in response.json()["errors"]}, response.text
        assert str(amount) not in response.json()["detail"] or isinstance(amount, str)
    assert bank.journal_count() == journal and bank.balance(account.id) == "50.00"


def test_an_amount_in_another_currency_points_at_the_currency(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    account = bank.account(balance="50.00")
    response = client.post(
        "/v1/cash/deposits",
        headers=idem(cashier),
        json={"account_id": account.id, "amount": {"amount": "5.00", "currency": "EUR"}},
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/wrong-currency"
    assert response.json()["errors"][0]["pointer"] == "#/amount/currency"


def test_refusals_are_conflicts_that_change_nothing(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    small = bank.product(maximum_balance="100.00")
    capped = bank.account(product_code=small.code, balance="90.00")
    closed_window = bank.product(
        kind=ProductKind.CHRISTMAS_SAVER,
        return_basis=ReturnBasis.DIVIDEND,
        withdrawal_windows=[{"from": "01-01", "to": "01-31"}],
    )
    saver = bank.account(product_code=closed_window.code, balance="40.00")
    funded = bank.account(balance="30.00")  # 29.00 available above the 1.00 minimum share
    journal = bank.journal_count()
    cases = [
        (
            "/v1/cash/deposits",
            {"account_id": capped.id, "amount": gbp("10.01")},
            "above-maximum-balance",
        ),
        (
            "/v1/cash/withdrawals",
            {"account_id": saver.id, "amount": gbp("1.00")},
            "outside-withdrawal-window",
        ),
        (
            "/v1/cash/withdrawals",
            {"account_id": funded.id, "amount": gbp("29.01")},
            "insufficient-available-balance",
        ),
        (
            "/v1/cash/withdrawals",
            {"account_id": funded.id, "amount": gbp("29.00"), "final": True},
            "final-withdrawal-mismatch",
        ),
        (f"/v1/share-accounts/{funded.id}/close", None, "share-account-not-empty"),
        (
            "/v1/cash/deposits",
            {"account_id": 2**63 - 1, "amount": gbp("1.00")},
            "share-account-not-found",
        ),
    ]
    for path, body, problem in cases:
        response = client.post(path, headers=idem(cashier), json=body)
        expected = 404 if problem.endswith("not-found") else 409
        assert response.status_code == expected, (path, response.text)
        assert response.json()["type"] == f"/problems/{problem}", response.text
    assert bank.journal_count() == journal
    assert [bank.balance(a.id) for a in (capped, saver, funded)] == ["90.00", "40.00", "30.00"]


def test_a_member_leaves_with_a_final_withdrawal_then_the_account_closes(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    account = bank.account(balance="35.50")
    final = client.post(
        "/v1/cash/withdrawals",
        headers=idem(cashier),
        json={"account_id": account.id, "amount": gbp("35.50"), "final": True},
    )
    assert final.status_code == 201, final.text
    assert final.json()["movement"]["balance_after"] == gbp("0.00")
    closed = client.post(f"/v1/share-accounts/{account.id}/close", headers=cashier.headers)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = client.post(
        "/v1/cash/deposits",
        headers=idem(cashier),
        json={"account_id": account.id, "amount": gbp("1.00")},
    )
    assert again.status_code == 409 and again.json()["type"] == "/problems/share-account-closed"
    assert bank.audit_actions("share_account", account.id)[-2:] == [
        "cash.withdrawal",
        "share_account.close",
    ]


def test_staff_transfer_by_membership_number_and_a_member_between_own_accounts(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    payer = bank.account(balance="100.00")
    payee = bank.member()
    receiving = bank.account(member_id=payee.id)
    by_number = client.post(
        "/v1/transfers",
        headers=idem(cashier),
        json={
            "from_account_id": payer.id,
            "to_membership_number": payee.membership_number,
            "amount": gbp("40.00"),
            "reference": "rent share",
        },
    )
    assert by_number.status_code == 201, by_number.text
    assert bank.balance(receiving.id) == "40.00" and bank.balance(payer.id) == "60.00"
    assert (
        client.get(f"/v1/members/{payee.id}", headers=cashier.headers).json()["status"] == "active"
    )

    member = bank.member_login(payee.id)
    second = bank.account(member_id=payee.id)
    own = client.post(
        "/v1/me/transfers",
        headers=idem(member),
        json={"from_account_id": receiving.id, "to_account_id": second.id, "amount": gbp("15.00")},
    )
    assert own.status_code == 201, own.text
    assert own.json()["to_account_number"] == second.account_number
    mine = {a["id"]: a for a in client.get("/v1/me/accounts", headers=member.headers).json()}
    assert mine[receiving.id]["balance"] == gbp("25.00")
    assert mine[receiving.id]["available"] == gbp("24.00")  # the 1.00 minimum share stays
    assert mine[second.id]["balance"] == gbp("15.00")

    lines = client.get(
        f"/v1/me/accounts/{receiving.id}/transactions", headers=member.headers
    ).json()
    shown = [
        (line["amount"]["amount"], line["running_balance"]["amount"]) for line in lines["items"]
    ]
    assert shown == [
        ("40.00", "40.00"),
        ("-15.00", "25.00"),
    ]
    assert lines["items"][0]["reference"] == "rent share"


def test_transactions_page_with_a_cursor_and_dates(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    account = bank.account()
    for amount in ("1.00", "2.00", "3.00", "4.00", "5.00"):
        bank.deposit(account.id, amount)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(
            f"/v1/share-accounts/{account.id}/transactions{query}", headers=cashier.headers
        ).json()
        seen += [line["running_balance"]["amount"] for line in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["1.00", "3.00", "6.00", "10.00", "15.00"]
    tomorrow = bank.today + dt.timedelta(days=1)
    empty = client.get(
        f"/v1/share-accounts/{account.id}/transactions?from_date={tomorrow}&to_date={tomorrow}",
        headers=cashier.headers,
    ).json()
    assert empty["items"] == [] and empty["opening_balance"] == gbp("15.00")
    backwards = client.get(
        f"/v1/share-accounts/{account.id}/transactions?from_date={tomorrow}&to_date={bank.today}",
        headers=cashier.headers,
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0] == {
        "location": "query",
        "pointer": "#/from_date",
        "detail": "must not be after to_date",
    }
