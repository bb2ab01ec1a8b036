"""`POST /v1/reversals` of a loan's entry: refused with a problem naming the loan's own
operation; a reversal records who asked for it and who approved it."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from creditunion.auth.roles import Role
from creditunion.platform.database import unit_of_work
from tests.api.banking.bank import gbp, idem, new_key
from tests.api.loans.lending import Lending


def test_a_loan_repayment_or_disbursement_is_not_reversed_generically(lending: Lending) -> None:
    member = lending.borrower()
    loan = lending.loan(member, amount="400.00")
    teller = lending.staff(Role.TELLER)
    paid = lending.client.post(
        f"/v1/loans/{loan['id']}/repayments/cash",
        json={"amount": gbp("50.00")},
        headers=idem(teller, new_key()),
    )
    assert paid.status_code == 201, paid.text
    manager = lending.staff(Role.MANAGER)
    entries = lending.client.get(
        f"/v1/loans/{loan['id']}/transactions", headers=manager.headers
    ).json()["items"]
    journal = lending.bank.journal_count()
    for entry in entries:
        refused = lending.client.post(
            "/v1/reversals",
            headers=idem(manager),
            json={"entry_id": entry["journal_entry_id"], "reason": "keyed in error"},
        )
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["type"] == "/problems/entry-owned-by-sub-ledger"
        assert (problem["sub_ledger"], problem["owner_id"]) == ("loans", loan["id"])
        assert f"loan {loan['id']}" in problem["detail"] and "servicing" in problem["detail"]
    assert {e["kind"] for e in entries} == {"disbursement", "repayment"}
    assert lending.bank.journal_count() == journal
    loan_after = lending.client.get(f"/v1/loans/{loan['id']}", headers=manager.headers).json()
    assert loan_after["outstanding"]["principal"] == gbp("350.00")


def test_a_reversal_records_its_requester_and_its_approver(lending: Lending) -> None:
    bank = lending.bank
    account = bank.account(balance="20.00")
    cashier = lending.staff(Role.TELLER)
    maker = lending.staff(Role.MANAGER)
    checker = lending.staff(Role.MANAGER)
    mistake = lending.client.post(
        "/v1/cash/deposits",
        headers=idem(cashier),
        json={"account_id": account.id, "amount": gbp("500.00")},
    ).json()
    requested = lending.client.post(
        "/v1/reversals",
        headers=idem(maker),
        json={"entry_id": mistake["entry_id"], "reason": "keyed 500.00 for 50.00"},
    ).json()
    approved = lending.client.post(
        f"/v1/approvals/{requested['id']}/approve", headers=idem(checker), json={}
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    with unit_of_work(bank.engine) as session:
        posted_by, meta = session.execute(
            text("SELECT posted_by, metadata FROM journal_entries WHERE id = :id"),
            {"id": uuid.UUID(body["journal_entry_id"])},
        ).one()
        summary = session.execute(
            text(
                "SELECT summary FROM audit_log WHERE action = 'approval.approve' "
                "AND target_id = :id"
            ),
            {"id": str(requested["id"])},
        ).scalar_one()
    assert posted_by == body["checker"] != body["maker"]
    assert (meta["requested_by"], meta["approved_by"]) == (body["maker"], body["checker"])
    assert meta["approval_id"] == requested["id"]
    assert (summary["maker"], summary["checker"]) == (body["maker"], body["checker"])
