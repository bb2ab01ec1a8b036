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


def test_notice_first_then_repayment_within_thirty_days(fresh_lending: FreshLending) -> None:
    lending = fresh_lending(START)
    manager = lending.staff(Role.MANAGER)
    assert (
        lending.client.post("/v1/loan-products", json=WITH_FEE, headers=manager.headers).status_code
        == 201
    )
    member = lending.borrower(balance="100.00")
    loan = lending.loan(member, product="GB-FEE", amount="500.00", term=6)
    assert loan["withdrawal_notice"] is None
    close_days(lending, until=START + dt.timedelta(days=3))
    notice_day = START + dt.timedelta(days=4)

    given = lending.client.post(
        f"/v1/me/loans/{loan['id']}/withdrawal-notice", headers=idem(member.login)
    )
    assert given.status_code == 201, given.text
    body = given.json()
    repay_by = (notice_day + dt.timedelta(days=30)).isoformat()
    assert (body["given_on"], body["repay_by"]) == (notice_day.isoformat(), repay_by)
    assert body["fees_refunded"] == gbp("10.00")
    shown = body["loan"]
    assert shown["status"] == "active"
    assert shown["withdrawal_notice"] == {"given_on": notice_day.isoformat(), "repay_by": repay_by}
    # The deducted fee is out of what is owed; everything is due on the repay-by date.
    assert shown["outstanding"]["principal"] == gbp("490.00")
    assert shown["outstanding"]["fees"] == gbp("0.00")
    assert shown["next_payment"]["due_date"] == repay_by

    again = lending.client.post(
        f"/v1/me/loans/{loan['id']}/withdrawal-notice", headers=idem(member.login)
    )
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/loan-withdrawal-notice-given"

    # Past the 14 days, inside the 30: the repayment completes the withdrawal.
    close_days(lending, until=START + dt.timedelta(days=20))
    repaid = lending.client.post(
        f"/v1/me/loans/{loan['id']}/withdraw",
        json={"from_account_id": member.shares},
        headers=idem(member.login),
    )
    assert repaid.status_code == 201, repaid.text
    result = repaid.json()
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
        through=START + dt.timedelta(days=21),
        closing=True,
    )
    assert result["credit"] == gbp("490.00")
    assert result["interest"] == gbp(f"{Decimal(interest) / 100:.2f}")
    assert result["paid"] == gbp(f"{Decimal(49_000 + interest) / 100:.2f}")
    assert result["fees_refunded"] == gbp("10.00")
    assert result["loan"]["status"] == "withdrawn"
    assert result["loan"]["withdrawn_on"] == (START + dt.timedelta(days=21)).isoformat()
    assert Decimal(lending.bank.balance(member.shares)) == Decimal("100.00") - Decimal(
        interest
    ) / Decimal(100)
    assert lending.bank.audit_actions("loan", loan["id"]) == [
        "loan.disburse",
        "loan.withdrawal_notice",
        "loan.withdraw",
    ]
    lending.invariants_hold()


def test_staff_record_the_notice_and_a_payment_at_the_till_completes_it(
    fresh_lending: FreshLending,
) -> None:
    lending = fresh_lending(START)
    member = lending.borrower(balance="50.00")
    loan = lending.loan(member, amount="300.00")
    officer = lending.staff(Role.LOAN_OFFICER)
    teller = lending.staff(Role.TELLER)
    refused = lending.client.post(f"/v1/loans/{loan['id']}/withdrawal-notice", headers=idem(teller))
    assert refused.status_code == 403
    recorded = lending.client.post(
        f"/v1/loans/{loan['id']}/withdrawal-notice", headers=idem(officer)
    )
    assert recorded.status_code == 201, recorded.text
    settlement = recorded.json()["loan"]["settlement_today"]["total"]
    # No fee on this product and nothing accrued yet: the credit itself clears it today.
    assert settlement == gbp("300.00")
    paid = lending.client.post(
        f"/v1/loans/{loan['id']}/repayments/cash", json={"amount": settlement}, headers=idem(teller)
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["settled"] is True
    mine = lending.client.get(f"/v1/me/loans/{loan['id']}", headers=member.headers).json()
    assert (mine["status"], mine["withdrawn_on"]) == ("withdrawn", START.isoformat())
    assert mine["withdrawal_notice"]["repay_by"] == (START + dt.timedelta(days=30)).isoformat()
    lending.invariants_hold()
