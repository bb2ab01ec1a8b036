"""Staff service loans: cash at the till, payments received by bank, retries, write-offs
and recoveries; a member's mandate and the closure of a member who still owes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from creditunion.auth.roles import Role
from creditunion.platform.database import unit_of_work
from loans.services.arrears import age_loan
from tests.api.banking.bank import gbp, idem, new_key
from tests.api.loans.builders import Builders
from tests.api.loans.lending import Lending


def _pay(lending: Lending, loan_id: int, kind: str, amount: str, who: Any, key: str) -> Any:
    return lending.client.post(
        f"/v1/loans/{loan_id}/repayments/{kind}",
        json={"amount": gbp(amount)},
        headers=idem(who, key),
    )


def test_a_teller_takes_cash_and_a_retry_changes_nothing(lending: Lending) -> None:
    member = lending.borrower()
    loan = lending.loan(member, amount="400.00")
    teller = lending.staff(Role.TELLER)
    key = new_key()
    journal = lending.bank.journal_count()

    first = _pay(lending, loan["id"], "cash", "50.00", teller, key)
    again = _pay(lending, loan["id"], "cash", "50.00", teller, key)
    other = _pay(lending, loan["id"], "cash", "60.00", teller, key)

    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    body = first.json()
    assert body["amount"] == gbp("50.00")
    # Paid on the day it was made: no interest yet, all of it principal.
    assert body["allocation"] == {
        "fees": gbp("0.00"),
        "interest": gbp("0.00"),
        "principal": gbp("50.00"),
    }
    # Nothing was due yet: it pays the first instalment in advance, the term is unchanged.
    assert body["applied"] == {
        "due": gbp("0.00"),
        "in_advance": gbp("50.00"),
        "balance_reduction": gbp("0.00"),
    }
    assert body["loan"]["outstanding"]["principal"] == gbp("350.00")
    assert lending.bank.journal_count() == journal + 1
    assert lending.bank.audit_actions("loan", loan["id"]) == ["loan.disburse", "loan.repay"]
    lending.invariants_hold()


def test_a_member_may_ask_a_payment_to_reduce_the_balance(lending: Lending) -> None:
    member = lending.borrower()
    loan = lending.loan(member, amount="400.00")
    schedule = lending.client.get(f"/v1/me/loans/{loan['id']}/schedule", headers=member.headers)
    first_due = schedule.json()[0]
    paid = lending.client.post(
        f"/v1/me/loans/{loan['id']}/repayments",
        json={"from_account_id": member.shares, "amount": gbp("50.00"), "reduce_balance": True},
        headers=idem(member.login),
    )
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert body["applied"] == {
        "due": gbp("0.00"),
        "in_advance": gbp("0.00"),
        "balance_reduction": gbp("50.00"),
    }
    # The first instalment is still due in full on its date.
    assert body["loan"]["next_payment"]["due_date"] == first_due["due_date"]
    assert body["loan"]["next_payment"]["amount"] == first_due["amount"]
    not_a_flag = lending.client.post(
        f"/v1/me/loans/{loan['id']}/repayments",
        json={"from_account_id": member.shares, "amount": gbp("5.00"), "reduce_balance": "yes"},
        headers=idem(member.login),
    )
    assert not_a_flag.status_code == 422
    lending.invariants_hold()


def test_an_officer_records_a_bank_payment_and_no_more_than_is_owed(lending: Lending) -> None:
    member = lending.borrower()
    loan = lending.loan(member, amount="300.00")
    officer = lending.staff(Role.LOAN_OFFICER)
    too_much = _pay(lending, loan["id"], "external", "300.01", officer, new_key())
    assert too_much.status_code == 422
    assert too_much.json()["type"] == "/problems/payment-exceeds-balance"
    assert too_much.json()["errors"][0]["pointer"] == "#/amount"
    wrong_currency = lending.client.post(
        f"/v1/loans/{loan['id']}/repayments/external",
        json={"amount": {"amount": "10.00", "currency": "EUR"}},
        headers=idem(officer),
    )
    assert wrong_currency.status_code == 422
    whole = _pay(lending, loan["id"], "external", "300.00", officer, new_key())
    assert whole.status_code == 201 and whole.json()["settled"] is True
    after = _pay(lending, loan["id"], "external", "1.00", officer, new_key())
    assert after.status_code == 409 and after.json()["type"] == "/problems/loan-not-active"
    lending.invariants_hold()


def test_a_member_repays_from_shares_only_what_is_available(lending: Lending) -> None:
    member = lending.borrower(balance="10.00")
    loan = lending.loan(member, amount="200.00")
    assert lending.bank.balance(member.shares) == "210.00"
    over = lending.client.post(
        f"/v1/me/loans/{loan['id']}/repayments",
        json={"from_account_id": member.shares, "amount": gbp("209.50")},
        headers=idem(member.login),
    )
    # The minimum share (1.00) stays: only 209.00 is available.
    assert over.status_code == 409, over.text
    assert over.json()["type"] == "/problems/insufficient-available-balance"
    paid = lending.client.post(
        f"/v1/me/loans/{loan['id']}/repayments",
        json={"from_account_id": member.shares, "amount": gbp("20.00")},
        headers=idem(member.login),
    )
    assert paid.status_code == 201, paid.text
    assert lending.bank.balance(member.shares) == "190.00"


def test_write_off_past_the_threshold_and_recoveries_after(lending: Lending) -> None:
    builders = Builders(lending.bank)
    manager = lending.staff(Role.MANAGER)
    overdue = builders.overdue_loan(days=300)
    fresh = lending.loan(lending.borrower(), amount="300.00")

    not_due = lending.client.post(
        f"/v1/loans/{fresh['id']}/write-off", json={"reason": "early"}, headers=idem(manager)
    )
    assert not_due.status_code == 409
    assert not_due.json()["type"] == "/problems/loan-write-off-not-due"

    officer = lending.staff(Role.LOAN_OFFICER)
    owed = lending.client.get(f"/v1/loans/{overdue}", headers=officer.headers).json()
    assert owed["outstanding"]["principal"] == gbp("300.00")  # never paid

    # A manager asks; nothing posts until a different manager approves.
    journal = lending.bank.journal_count()
    asked = lending.client.post(
        f"/v1/loans/{overdue}/write-off", json={"reason": "no contact"}, headers=idem(manager)
    )
    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert (request["kind"], request["status"], request["loan_id"], request["reason"]) == (
        "loan_write_off",
        "pending",
        overdue,
        "no contact",
    )
    assert lending.bank.journal_count() == journal
    again = lending.client.post(
        f"/v1/loans/{overdue}/write-off", json={"reason": "no contact"}, headers=idem(manager)
    )
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/write-off-already-pending"
    approve = f"/v1/approvals/{request['id']}/approve"
    own = lending.client.post(approve, headers=idem(manager))
    assert own.status_code == 403, own.text
    assert lending.bank.journal_count() == journal
    second = lending.staff(Role.MANAGER)
    approved = lending.client.post(approve, headers=idem(second))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["journal_entry_id"] is not None
    assert lending.bank.journal_count() == journal + 1
    loan = lending.client.get(f"/v1/loans/{overdue}", headers=officer.headers).json()
    assert loan["status"] == "written_off"
    assert loan["arrears"]["days_past_due"] >= 180
    # Everything owed is written off (principal, interest and fees), and nothing is left.
    assert loan["written_off"] == owed["outstanding"]["total"]
    assert loan["outstanding"]["total"] == gbp("0.00")
    total = Decimal(loan["written_off"]["amount"])

    too_much = lending.client.post(
        f"/v1/loans/{overdue}/recoveries",
        json={"amount": gbp(f"{total + Decimal('0.01')}"), "source": "external"},
        headers=idem(manager),
    )
    assert too_much.status_code == 422
    assert too_much.json()["type"] == "/problems/recovery-exceeds-written-off"
    recovered = lending.client.post(
        f"/v1/loans/{overdue}/recoveries",
        json={"amount": gbp("25.00"), "source": "cash"},
        headers=idem(manager),
    )
    assert recovered.status_code == 201, recovered.text
    assert recovered.json()["recovered_to_date"] == gbp("25.00")
    entries = lending.client.get(f"/v1/loans/{overdue}/ledger-entries", headers=officer.headers)
    kinds = [entry["kind"] for entry in entries.json()["items"]]
    assert kinds[0] == "loan.disbursement" and "loan.write_off" in kinds
    assert lending.bank.audit_actions("loan", overdue) == [
        "loan.write_off_request",
        "loan.recovery",
    ]
    assert lending.bank.audit_actions("approval", request["id"]) == ["approval.approve"]
    lending.invariants_hold()


def test_the_write_off_candidates_are_the_loans_past_the_threshold(lending: Lending) -> None:
    builders = Builders(lending.bank)
    manager = lending.staff(Role.MANAGER)
    overdue = builders.overdue_loan(days=400)
    # The list is of arrears as last aged, which close of business does every day.
    with unit_of_work(lending.bank.engine) as session:
        age_loan(session, loan_id=overdue, business_date=lending.bank.today)
    url = "/v1/loans/write-off-candidates?limit=100"
    found: list[dict[str, Any]] = []
    for _ in range(100):
        page = lending.client.get(url, headers=manager.headers).json()
        found += page["items"]
        if page["next_cursor"] is None:
            break
        url = f"/v1/loans/write-off-candidates?limit=100&cursor={page['next_cursor']}"
    mine = [c for c in found if c["loan_id"] == overdue]
    assert len(mine) == 1 and mine[0]["days_past_due"] >= 180
    assert all(c["days_past_due"] >= 180 for c in found)


def test_the_mandate_moves_to_another_of_the_members_accounts(lending: Lending) -> None:
    member = lending.borrower(accounts=2)
    offered = lending.offer(member, amount="300.00")
    accepted = lending.client.post(
        f"/v1/me/loan-applications/{offered['id']}/accept",
        json={"share_account_id": member.shares, "collection_account_id": member.accounts[1]},
        headers=idem(member.login),
    ).json()
    assert accepted["paid_into_account_id"] == member.shares
    assert accepted["collection_account_id"] == member.accounts[1]
    account = lending.client.get(f"/v1/me/accounts/{member.accounts[1]}", headers=member.headers)
    assert account.json()["repayment_mandate"] is True
    stopped = lending.client.put(
        f"/v1/me/loans/{accepted['id']}/collection-mandate",
        json={"share_account_id": None},
        headers=member.headers,
    )
    assert stopped.status_code == 200 and stopped.json()["collection_account_id"] is None


def test_a_member_who_owes_or_waits_cannot_be_closed(lending: Lending) -> None:
    teller = lending.staff(Role.TELLER)
    borrower = lending.borrower()
    lending.loan(borrower, amount="200.00")
    applicant = lending.borrower()
    lending.offer(applicant, amount="200.00")
    for who, reason in ((borrower, "loan(s) still owed"), (applicant, "still open")):
        refused = lending.client.post(
            f"/v1/members/{who.member_id}/status", json={"status": "closed"}, headers=teller.headers
        )
        assert refused.status_code == 409
        assert refused.json()["type"] == "/problems/member-closure-refused"
        assert reason in refused.json()["detail"]
