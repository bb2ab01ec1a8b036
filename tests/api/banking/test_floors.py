"""Floors under concurrent withdrawals and transfers through the API (a client per thread)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.banking.bank import Bank, gbp, idem, run_threads
from tests.api.conftest import LoggedIn

WORKERS = 12


def test_concurrent_withdrawals_never_take_an_account_below_its_floor(
    bank: Bank, app: FastAPI, cashier: LoggedIn
) -> None:
    account = bank.account(balance="100.00")  # floor 1.00: 99.00 can leave
    journal = bank.journal_count()
    answers: dict[int, Any] = {}

    def withdraw(n: int) -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            answers[n] = client.post(
                "/v1/cash/withdrawals",
                headers=idem(cashier),
                json={"account_id": account.id, "amount": gbp("15.00")},
            )

    run_threads(withdraw, WORKERS)

    accepted = [r for r in answers.values() if r.status_code == 201]
    refused = [r for r in answers.values() if r.status_code != 201]
    assert len(accepted) == 6, [r.text for r in answers.values()]  # 6 x 15.00 = 90.00
    assert {r.status_code for r in refused} == {409}
    assert {r.json()["type"] for r in refused} <= {
        "/problems/insufficient-available-balance",
        "/problems/insufficient-funds",
    }
    final = bank.read_account(account.id)
    assert final.balance.amount == Decimal("10.00") >= final.floor.amount == Decimal("1.00")
    assert bank.journal_count() == journal + len(accepted)
    assert all(bank.entry_exists(r.json()["movement"]["entry_id"]) for r in accepted)
    balances_after = sorted(
        Decimal(r.json()["movement"]["balance_after"]["amount"]) for r in accepted
    )
    assert balances_after == [
        Decimal(v) for v in ("10.00", "25.00", "40.00", "55.00", "70.00", "85.00")
    ]


def test_members_paying_out_of_one_account_at_once_keep_the_floor(bank: Bank, app: FastAPI) -> None:
    member = bank.member()
    source = bank.account(member_id=member.id, balance="50.00")
    target = bank.account(member_id=member.id)
    login: LoggedIn = bank.member_login(member.id)
    answers: dict[int, Any] = {}

    def pay(n: int) -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            answers[n] = client.post(
                "/v1/me/transfers",
                headers=idem(login),
                json={
                    "from_account_id": source.id,
                    "to_account_id": target.id,
                    "amount": gbp("7.00"),
                },
            )

    run_threads(pay, WORKERS)

    accepted = sum(1 for r in answers.values() if r.status_code == 201)
    assert accepted == 7  # 49.00 available above the 1.00 minimum share
    assert {r.status_code for r in answers.values()} == {201, 409}
    assert bank.balance(source.id) == "1.00" and bank.balance(target.id) == "49.00"
