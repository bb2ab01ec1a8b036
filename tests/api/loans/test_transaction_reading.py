"""A loan's payments and history read right without the schema: a payment's parts sum to
it, the disbursement names the account it paid into, and one member is one actor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from creditunion.auth.roles import Role
from tests.api.banking.bank import gbp, idem
from tests.api.loans.conftest import FreshLending
from tests.api.loans.lending import Lending, close_days


def _sum(parts: dict[str, Any]) -> dict[str, str]:
    total = sum(Decimal(part["amount"]) for part in parts.values())
    return gbp(f"{total:.2f}")


def test_an_early_payment_reads_once_as_principal_and_once_as_in_advance(
    lending: Lending,
) -> None:
    member = lending.borrower()
    loan = lending.loan(member, amount="400.00", mandate=False)
    paid = lending.client.post(
        f"/v1/me/loans/{loan['id']}/repayments",
        json={"from_account_id": member.shares, "amount": gbp("60.00")},
        headers=idem(member.login),
    )
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert body["amount"] == gbp("60.00")
    # What it paid off and how it met the schedule: two views of the same 60.00.
    assert body["allocation"] == {
        "fees": gbp("0.00"),
        "interest": gbp("0.00"),
        "principal": gbp("60.00"),
    }
    assert body["applied"] == {
        "due": gbp("0.00"),
        "in_advance": gbp("60.00"),
        "balance_reduction": gbp("0.00"),
    }
    assert "overpayment" not in body and "principal" not in body
    assert _sum(body["allocation"]) == _sum(body["applied"]) == body["amount"]


def test_the_history_names_accounts_and_actors_the_same_way_for_everyone(
    lending: Lending,
) -> None:
    member = lending.borrower()
    loan = lending.loan(member, amount="400.00", mandate=False)
    teller = lending.staff(Role.TELLER)
    officer = lending.staff(Role.LOAN_OFFICER)
    from_app = lending.client.post(
        f"/v1/me/loans/{loan['id']}/repayments",
        json={"from_account_id": member.shares, "amount": gbp("30.00")},
        headers=idem(member.login),
    )
    at_till = lending.client.post(
        f"/v1/loans/{loan['id']}/repayments/cash",
        json={"amount": gbp("25.00")},
        headers=idem(teller),
    )
    by_bank = lending.client.post(
        f"/v1/loans/{loan['id']}/repayments/external",
        json={"amount": gbp("20.00"), "reduce_balance": True},
        headers=idem(officer),
    )
    assert {r.status_code for r in (from_app, at_till, by_bank)} == {201}, by_bank.text

    mine = lending.client.get(f"/v1/me/loans/{loan['id']}/transactions", headers=member.headers)
    staff_view = lending.client.get(f"/v1/loans/{loan['id']}/transactions", headers=teller.headers)
    assert mine.status_code == staff_view.status_code == 200, mine.text
    assert mine.json()["items"] == staff_view.json()["items"]
    disbursed, app, till, bank = mine.json()["items"]

    the_member = {"kind": "member", "id": member.member_id}
    assert disbursed["kind"] == "disbursement" and disbursed["amount"] == gbp("400.00")
    assert disbursed["paid_to"] == {"kind": "share_account", "share_account_id": member.shares}
    assert disbursed["paid_from"] is None and disbursed["allocation"] is None
    # Accepting the offer is recorded by member, paying in the app by login: one member.
    assert disbursed["actor"] == {**the_member, "recorded_as": f"member:{member.member_id}"}
    assert app["actor"] == {**the_member, "recorded_as": f"user:{member.login.user.id}"}
    assert app["paid_from"] == {"kind": "share_account", "share_account_id": member.shares}
    assert till["actor"] == {
        "kind": "staff",
        "id": teller.user.id,
        "recorded_as": f"user:{teller.user.id}",
    }
    assert till["paid_from"] == {"kind": "cash", "share_account_id": None}
    assert bank["actor"]["kind"] == "staff" and bank["actor"]["id"] == officer.user.id
    assert bank["paid_from"] == {"kind": "external", "share_account_id": None}
    # Nothing was due yet: the first two paid the first instalment in advance, the third
    # asked to reduce the balance. The history shows what each answer showed.
    assert [
        (p["applied"]["in_advance"], p["applied"]["balance_reduction"]) for p in (app, till, bank)
    ] == [
        (gbp("30.00"), gbp("0.00")),
        (gbp("25.00"), gbp("0.00")),
        (gbp("0.00"), gbp("20.00")),
    ]
    assert bank["applied"] == by_bank.json()["applied"]
    assert disbursed["applied"] is None
    for payment, amount in ((app, "30.00"), (till, "25.00"), (bank, "20.00")):
        assert payment["kind"] == "repayment" and payment["paid_to"] is None
        assert payment["applied"]["due"] == gbp("0.00")
        assert _sum(payment["applied"]) == payment["amount"]
        assert payment["amount"] == gbp(amount)
        assert payment["allocation"] == {
            "fees": gbp("0.00"),
            "interest": gbp("0.00"),  # all paid on the day of the loan: no interest yet
            "principal": gbp(amount),
        }
        assert _sum(payment["allocation"]) == payment["amount"]


def test_a_collection_by_close_of_business_is_the_system_and_sums_to_its_amount(
    fresh_lending: FreshLending,
) -> None:
    start = dt.date(2026, 3, 2)
    lending = fresh_lending(start)
    member = lending.borrower(balance="200.00")
    loan = lending.loan(member, amount="300.00", term=3)
    schedule = lending.client.get(f"/v1/me/loans/{loan['id']}/schedule", headers=member.headers)
    first = schedule.json()[0]
    close_days(lending, until=dt.date.fromisoformat(first["due_date"]))

    history = lending.client.get(
        f"/v1/me/loans/{loan['id']}/transactions", headers=member.headers
    ).json()["items"]
    [collected] = [t for t in history if t["kind"] == "collection"]
    assert collected["actor"] == {"kind": "system", "id": None, "recorded_as": "system:cob"}
    assert collected["paid_from"] == {"kind": "share_account", "share_account_id": member.shares}
    assert collected["amount"] == first["amount"]
    assert collected["allocation"]["interest"] == first["interest"]
    assert collected["allocation"]["principal"] == first["principal"]
    assert _sum(collected["allocation"]) == collected["amount"]
    assert collected["applied"] == {
        "due": first["amount"],
        "in_advance": gbp("0.00"),
        "balance_reduction": gbp("0.00"),
    }
