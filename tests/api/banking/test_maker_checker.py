"""Maker-checker through the API: large withdrawals and reversals wait for a second manager."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.banking.bank import Bank, gbp, idem, run_threads
from tests.api.conftest import LoggedIn


def _withdraw(client: TestClient, who: LoggedIn, account_id: int, amount: str) -> Any:
    return client.post(
        "/v1/cash/withdrawals",
        headers=idem(who),
        json={"account_id": account_id, "amount": gbp(amount)},
    )


def _approve(client: TestClient, who: LoggedIn, approval_id: int) -> Any:
    return client.post(f"/v1/approvals/{approval_id}/approve", headers=idem(who), json={})


def test_above_the_limit_a_withdrawal_waits_and_reserves_its_amount(
    bank: Bank, client: TestClient, cashier: LoggedIn, manager: LoggedIn
) -> None:
    account = bank.account(balance="2500.00")
    journal = bank.journal_count()

    at_limit = _withdraw(client, cashier, account.id, "1000.00")
    above = _withdraw(client, cashier, account.id, "1000.01")

    assert at_limit.status_code == 201 and at_limit.json()["status"] == "posted"
    assert above.status_code == 202, above.text
    pending = above.json()
    assert pending["status"] == "pending_approval" and pending["movement"] is None
    approval = pending["approval"]
    assert approval["status"] == "pending" and approval["amount"] == gbp("1000.01")
    assert approval["maker"] == f"user:{cashier.user.id}"
    assert bank.journal_count() == journal + 1
    seen = client.get(f"/v1/share-accounts/{account.id}", headers=cashier.headers).json()
    assert seen["balance"] == gbp("1500.00")
    assert seen["pending_withdrawals"] == gbp("1000.01")
    assert seen["available"] == gbp("498.99")  # less the reserve and the 1.00 minimum share
    listed = client.get("/v1/approvals?kind=cash_withdrawal", headers=manager.headers).json()
    assert approval["id"] in {a["id"] for a in listed["items"]}

    approved = _approve(client, manager, approval["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["checker"] == f"user:{manager.user.id}"
    assert bank.entry_exists(approved.json()["journal_entry_id"])
    assert bank.balance(account.id) == "499.99"
    assert bank.audit_actions("approval", approval["id"]) == ["approval.approve"]


def test_nobody_approves_their_own_request_and_a_teller_approves_nothing(
    bank: Bank, client: TestClient, cashier: LoggedIn, manager: LoggedIn
) -> None:
    account = bank.account(balance="3000.00")
    made_by_manager = _withdraw(client, manager, account.id, "1500.00").json()["approval"]["id"]
    made_by_teller = _withdraw(client, cashier, account.id, "1200.00").json()["approval"]["id"]

    own = _approve(client, manager, made_by_manager)
    teller = _approve(client, cashier, made_by_teller)
    teller_rejects = client.post(
        f"/v1/approvals/{made_by_teller}/reject", headers=cashier.headers, json={"note": "no"}
    )

    assert own.status_code == 403 and own.json()["type"] == "/problems/self-approval"
    assert teller.status_code == 403 and teller.json()["type"] == "/problems/forbidden"
    assert teller_rejects.status_code == 403
    assert bank.balance(account.id) == "3000.00"
    for approval_id in (made_by_manager, made_by_teller):
        shown = client.get(f"/v1/approvals/{approval_id}", headers=cashier.headers).json()
        assert shown["status"] == "pending"


def test_two_managers_approving_at_once_post_it_once(
    bank: Bank,
    app: FastAPI,
    client: TestClient,
    cashier: LoggedIn,
    manager: LoggedIn,
    other_manager: LoggedIn,
) -> None:
    account = bank.account(balance="5000.00")
    approval_id = _withdraw(client, cashier, account.id, "4000.00").json()["approval"]["id"]
    journal = bank.journal_count()
    checkers = [manager, other_manager] * 3
    answers: dict[int, Any] = {}

    def approve(n: int) -> None:
        with TestClient(app, raise_server_exceptions=False) as own_client:
            answers[n] = _approve(own_client, checkers[n], approval_id)

    run_threads(approve, len(checkers))

    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [200, 409, 409, 409, 409, 409], [r.text for r in answers.values()]
    refused = [r.json()["type"] for r in answers.values() if r.status_code == 409]
    assert set(refused) == {"/problems/approval-already-decided"}
    assert bank.journal_count() == journal + 1
    assert bank.balance(account.id) == "1000.00"


def test_a_rejected_withdrawal_never_posts_and_releases_its_reserve(
    bank: Bank, client: TestClient, cashier: LoggedIn, manager: LoggedIn
) -> None:
    account = bank.account(balance="2000.00")
    approval_id = _withdraw(client, cashier, account.id, "1999.00").json()["approval"]["id"]
    blocked = _withdraw(client, cashier, account.id, "10.00")
    assert blocked.status_code == 409  # everything but the floor is reserved
    assert blocked.json()["type"] == "/problems/insufficient-available-balance"
    journal = bank.journal_count()

    no_note = client.post(f"/v1/approvals/{approval_id}/reject", headers=manager.headers, json={})
    rejected = client.post(
        f"/v1/approvals/{approval_id}/reject",
        headers=manager.headers,
        json={"note": "member not present"},
    )
    late = _approve(client, manager, approval_id)

    assert no_note.status_code == 422
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["journal_entry_id"] is None
    assert late.status_code == 409
    assert bank.journal_count() == journal
    seen = client.get(f"/v1/share-accounts/{account.id}", headers=cashier.headers).json()
    assert seen["pending_withdrawals"] == gbp("0.00") and seen["available"] == gbp("1999.00")


def test_a_reversal_is_requested_then_approved_by_another_manager(
    bank: Bank,
    client: TestClient,
    cashier: LoggedIn,
    manager: LoggedIn,
    other_manager: LoggedIn,
) -> None:
    account = bank.account(balance="20.00")
    mistake = client.post(
        "/v1/cash/deposits",
        headers=idem(cashier),
        json={"account_id": account.id, "amount": gbp("500.00")},
    ).json()
    journal = bank.journal_count()

    requested = client.post(
        "/v1/reversals",
        headers=idem(manager),
        json={"entry_id": mistake["entry_id"], "reason": "keyed 500.00 for 50.00"},
    )
    assert requested.status_code == 202, requested.text
    approval = requested.json()
    assert approval["kind"] == "reversal" and approval["status"] == "pending"
    assert approval["target_entry_id"] == mistake["entry_id"]
    assert bank.journal_count() == journal and bank.balance(account.id) == "520.00"

    twice = client.post(
        "/v1/reversals",
        headers=idem(cashier),
        json={"entry_id": mistake["entry_id"], "reason": "again"},
    )
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/reversal-already-pending"
    own = _approve(client, manager, approval["id"])
    assert own.status_code == 403

    approved = _approve(client, other_manager, approval["id"])
    assert approved.status_code == 200, approved.text
    assert bank.balance(account.id) == "20.00"
    assert bank.journal_count() == journal + 1
    lines = client.get(
        f"/v1/share-accounts/{account.id}/transactions", headers=cashier.headers
    ).json()["items"]
    assert lines[-1]["kind"] == "reversal" and lines[-1]["amount"] == gbp("-500.00")
    assert lines[-1]["entry_id"] == approved.json()["journal_entry_id"]

    after = client.post(
        "/v1/reversals",
        headers=idem(cashier),
        json={"entry_id": mistake["entry_id"], "reason": "once more"},
    )
    of_reversal = client.post(
        "/v1/reversals",
        headers=idem(cashier),
        json={"entry_id": lines[-1]["entry_id"], "reason": "undo the undo"},
    )
    unknown = client.post(
        "/v1/reversals",
        headers=idem(cashier),
        json={"entry_id": "00000000-0000-4000-8000-000000000000", "reason": "nothing"},
    )
    assert after.status_code == 409 and after.json()["type"] == "/problems/entry-not-reversible"
    assert of_reversal.status_code == 409
    assert unknown.status_code == 404
    assert bank.audit_actions("journal_entry", mistake["entry_id"]) == ["reversal.request"]


def test_a_replayed_approval_answers_the_same(
    bank: Bank, client: TestClient, cashier: LoggedIn, manager: LoggedIn
) -> None:
    account = bank.account(balance="1600.00")
    approval_id = _withdraw(client, cashier, account.id, "1500.00").json()["approval"]["id"]
    headers = idem(manager)
    first = client.post(f"/v1/approvals/{approval_id}/approve", headers=headers, json={})
    again = client.post(f"/v1/approvals/{approval_id}/approve", headers=headers, json={})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert bank.balance(account.id) == "100.00"


def test_an_approval_needs_no_body_since_its_note_is_optional(
    bank: Bank, client: TestClient, cashier: LoggedIn, manager: LoggedIn
) -> None:
    account = bank.account(balance="2500.00")
    approval_id = _withdraw(client, cashier, account.id, "1200.00").json()["approval"]["id"]

    approved = client.post(f"/v1/approvals/{approval_id}/approve", headers=idem(manager))

    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decision_note"]) == ("approved", None)
    assert bank.balance(account.id) == "1300.00"
