"""The 14-day right to withdraw, through the API: the member repays the credit and the
interest on it to that day, and nothing else (the fee comes back); after the 14th day it
is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from creditunion.auth.roles import Role
from loans.accrual import AccrualTerms, replay
from loans.daycount import DayCount
from loans.frequency import Frequency
from loans.rate import InterestRate
from tests.api.banking.bank import gbp, idem
from tests.api.loans.conftest import FreshLending
from tests.api.loans.lending import close_days

START = dt.date(2026, 4, 6)
WITH_FEE = {
    "code": "GB-FEE",
    "name": "Loan with an arrangement fee",
    "currency": "GBP",
    "amounts": {"minimum": gbp("500.00"), "maximum": gbp("1000.00")},
    "terms": {"minimum": 6, "maximum": 12, "unit": "instalments"},
    "frequencies": ["monthly"],
    "rate": {"value": "0.02", "basis": "monthly"},
    "rule_set": "gb",
    "fees": [{"kind": "arrangement", "amount": gbp("10.00"), "treatment": "deducted"}],
}


def test_withdrawing_repays_the_credit_and_interest_to_the_day(fresh_lending: FreshLending) -> None:
    lending = fresh_lending(START)
    manager = lending.staff(Role.MANAGER)
    assert (
        lending.client.post("/v1/loan-products", json=WITH_FEE, headers=manager.headers).status_code
        == 201
    )
    member = lending.borrower(balance="100.00")
    loan = lending.loan(member, product="GB-FEE", amount="500.00", term=6)
    assert loan["withdrawal_until"] == (START + dt.timedelta(days=14)).isoformat()
    assert lending.bank.balance(member.shares) == "590.00"

    close_days(lending, until=START + dt.timedelta(days=4))  # five days' interest accrued
    withdrawn = lending.client.post(
        f"/v1/me/loans/{loan['id']}/withdraw",
        json={"from_account_id": member.shares},
        headers=idem(member.login),
    )
    assert withdrawn.status_code == 201, withdrawn.text
    body = withdrawn.json()
    terms = AccrualTerms(
        InterestRate.monthly(Decimal("0.02")),
        DayCount.ACT_365_FIXED,
        Frequency.MONTHLY,
        START,
        "ROUND_DOWN",
    )
    interest = replay(
        terms,
        principal_changes=[(START, 49_000)],
        through=START + dt.timedelta(days=5),
        closing=True,
    )
    assert interest > 0
    assert body["credit"] == gbp("490.00") and body["fees_refunded"] == gbp("10.00")
    assert body["interest"] == gbp(f"{Decimal(interest) / 100:.2f}")
    assert body["paid"] == gbp(f"{Decimal(49_000 + interest) / 100:.2f}")
    assert body["loan"]["status"] == "withdrawn"
    assert body["loan"]["outstanding"]["total"] == gbp("0.00")
    # The member is out of pocket by the interest on the credit, nothing more.
    assert (
        Decimal(lending.bank.balance(member.shares)) == Decimal("100.00") - Decimal(interest) / 100
    )
    lending.invariants_hold()

    # A withdrawn loan counts as never made: the member may borrow again; not withdraw late.
    second = lending.loan(member, amount="300.00")
    close_days(lending, until=START + dt.timedelta(days=20))
    late = lending.client.post(
        f"/v1/me/loans/{second['id']}/withdraw",
        json={"from_account_id": member.shares},
        headers=idem(member.login),
    )
    assert late.status_code == 409
    assert late.json()["type"] == "/problems/loan-withdrawal-period-over"
    assert (
        lending.client.get(f"/v1/me/loans/{second['id']}", headers=member.headers).json()["status"]
        == "active"
    )


def test_a_withdrawal_must_fit_what_the_account_has_available(fresh_lending: FreshLending) -> None:
    lending = fresh_lending(START)
    member = lending.borrower(balance="100.00", accounts=2)
    loan = lending.loan(member, amount="300.00")
    empty = member.accounts[1]
    refused = lending.client.post(
        f"/v1/me/loans/{loan['id']}/withdraw",
        json={"from_account_id": empty},
        headers=idem(member.login),
    )
    assert refused.status_code == 409
    assert refused.json()["type"] in (
        "/problems/insufficient-available-balance",
        "/problems/insufficient-funds",
    )
    assert (
        lending.client.get(f"/v1/me/loans/{loan['id']}", headers=member.headers).json()["status"]
        == "active"
    )
    lending.invariants_hold()
