"""Through the API: cash withdrawals split under the approval limit add up per business date
(`CREDITUNION_WITHDRAWAL_DAILY_LIMIT_ACCOUNT` / `_MEMBER`, by default the approval limit)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.banking.bank import Bank, gbp, idem, run_threads
from tests.api.conftest import LoggedIn


def _withdraw(client: TestClient, who: LoggedIn, account_id: int, amount: str) -> Any:
    return client.post(
        "/v1/cash/withdrawals",
        headers=idem(who),
        json={"account_id": account_id, "amount": gbp(amount)},
    )


def test_two_withdrawals_of_570_from_one_account_need_a_checker_for_the_second(
    bank: Bank, client: TestClient, cashier: LoggedIn, manager: LoggedIn
) -> None:
    account = bank.account(balance="2000.00")
    first = _withdraw(client, cashier, account.id, "570.00")
    second = _withdraw(client, cashier, account.id, "570.00")
    assert first.status_code == 201, first.text
    assert second.status_code == 202, second.text
    assert second.json()["approval"]["amount"] == gbp("570.00")
    assert bank.balance(account.id) == "1430.00"
    approved = client.post(
        f"/v1/approvals/{second.json()['approval']['id']}/approve", headers=idem(manager), json={}
    )
    assert approved.status_code == 200, approved.text
    assert bank.balance(account.id) == "860.00"


def test_a_concurrent_pair_on_one_account_posts_once(
    bank: Bank, client: TestClient, cashier: LoggedIn
) -> None:
    account = bank.account(balance="2000.00")
    statuses: list[int] = []

    def teller(_n: int) -> None:
        statuses.append(_withdraw(client, cashier, account.id, "570.00").status_code)

    run_threads(teller, 2)
    assert sorted(statuses) == [201, 202]
    assert bank.balance(account.id) == "1430.00"
