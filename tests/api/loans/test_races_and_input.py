"""Loans under concurrency and hostile input, through the API (a client per thread)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from creditunion.auth.roles import Role
from tests.api.banking.bank import gbp, idem, run_threads
from tests.api.loans.lending import Lending, application

WORKERS = 8


def test_an_offer_accepted_at_once_from_several_devices_makes_one_loan(
    lending: Lending, app: FastAPI
) -> None:
    member = lending.borrower(balance="100.00")
    offer = lending.offer(member, amount="300.00")
    journal = lending.bank.journal_count()
    answers: dict[int, Any] = {}

    def accept(n: int) -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            answers[n] = client.post(
                f"/v1/me/loan-applications/{offer['id']}/accept",
                json={"share_account_id": member.shares},
                headers=idem(member.login),
            )

    run_threads(accept, WORKERS)

    made = [r for r in answers.values() if r.status_code == 201]
    assert len(made) == 1, [r.text for r in answers.values()]
    assert {r.json()["type"] for r in answers.values() if r.status_code != 201} == {
        "/problems/loan-application-state"
    }
    assert lending.bank.balance(member.shares) == "400.00"
    assert lending.bank.journal_count() == journal + 1
    lending.invariants_hold()


def test_repayments_at_once_never_take_more_than_is_available(
    lending: Lending, app: FastAPI
) -> None:
    member = lending.borrower(balance="1.00")  # the minimum share: nothing of it can leave
    loan = lending.loan(member, amount="100.00")  # paid into the same account: 100.00 free
    answers: dict[int, Any] = {}

    def repay(n: int) -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            answers[n] = client.post(
                f"/v1/me/loans/{loan['id']}/repayments",
                json={"from_account_id": member.shares, "amount": gbp("30.00")},
                headers=idem(member.login),
            )

    run_threads(repay, WORKERS)

    paid = [r for r in answers.values() if r.status_code == 201]
    assert len(paid) == 3, [r.text for r in answers.values()]  # 3 x 30.00 of the 100.00
    assert {r.status_code for r in answers.values()} == {201, 409}
    assert lending.bank.balance(member.shares) == "11.00"
    officer = lending.staff(Role.LOAN_OFFICER)
    after = lending.client.get(f"/v1/loans/{loan['id']}", headers=officer.headers).json()
    assert after["outstanding"]["principal"] == gbp("10.00")
    lending.invariants_hold()


def test_two_applications_at_once_get_at_most_one_loan(lending: Lending, app: FastAPI) -> None:
    member = lending.borrower(balance="50.00")
    first = lending.offer(member, amount="200.00")
    # A second offer for the same member while the first is open (no loan yet).
    second = lending.offer(member, amount="250.00")
    answers: dict[int, Any] = {}

    def accept(n: int) -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            offer = (first, second)[n % 2]
            answers[n] = client.post(
                f"/v1/me/loan-applications/{offer['id']}/accept",
                json={"share_account_id": member.shares},
                headers=idem(member.login),
            )

    run_threads(accept, 2)

    codes = sorted(r.status_code for r in answers.values())
    assert codes == [201, 422], [r.text for r in answers.values()]
    refused = next(r for r in answers.values() if r.status_code == 422).json()
    assert refused["type"] == "/problems/loan-acceptance-refused"
    assert refused["codes"] == ["eligibility.outstanding_loans"]
    mine = lending.client.get("/v1/me/loans", headers=member.headers).json()["items"]
    assert len(mine) == 1


HOSTILE = {
    "a JSON number": {"amount": {"amount": 500, "currency": "GBP"}},
    "too many decimals": {"amount": {"amount": "500.001", "currency": "GBP"}},
    "a negative amount": {"amount": {"amount": "-5.00", "currency": "GBP"}},
    "no term": {"term": 0},
    "an unknown frequency": {"frequency": "daily"},
    "a malformed product code": {"product_code": "gb payday"},
    "an extra field": {"member_id": 1},
    "a control character": {"purpose": "rent\x00"},
    "a negative income": {
        "statement": {"monthly_net_income": gbp("-1.00"), "outgoings": [], "dependants": 0}
    },
    "too many dependants": {
        "statement": {"monthly_net_income": gbp("100.00"), "outgoings": [], "dependants": 31}
    },
}


@pytest.mark.parametrize("changes", HOSTILE.values(), ids=list(HOSTILE))
def test_malformed_applications_are_refused_and_nothing_is_recorded(
    lending: Lending, changes: dict[str, Any]
) -> None:
    member = lending.borrower()
    response = lending.client.post(
        "/v1/me/loan-applications", json=application() | changes, headers=member.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"]
    mine = lending.client.get("/v1/me/loan-applications", headers=member.headers).json()
    assert mine["items"] == []


def test_amounts_in_another_currency_are_refused(lending: Lending) -> None:
    member = lending.borrower()
    euros = {"amount": "500.00", "currency": "EUR"}
    quote = lending.client.post(
        "/v1/me/loan-quotes",
        json={"product_code": "GB-PAYDAY-ALT", "amount": euros, "term": 6, "frequency": "monthly"},
        headers=member.headers,
    )
    assert quote.status_code == 422
    assert quote.json()["codes"] == ["product.currency"]
    assert quote.json()["errors"][0]["pointer"] == "#/amount/currency"
    applied = lending.client.post(
        "/v1/me/loan-applications", json=application() | {"amount": euros}, headers=member.headers
    )
    assert applied.status_code == 422
    assert applied.json()["type"] == "/problems/loan-application-invalid"
    mixed = application()
    mixed["statement"]["outgoings"].append(
        {"category": "phone", "amount": {"amount": "20.00", "currency": "EUR"}}
    )
    refused = lending.client.post("/v1/me/loan-applications", json=mixed, headers=member.headers)
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/statement-invalid"
    assert Decimal(lending.bank.balance(member.shares)) == Decimal("300.00")
