"""Over HTTP: an offer is never accepted at a worse price (409 `loan-offer-repriced`), and a
loan above 42.6% APR is referred, flagged on the offer and the loan, and listed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from creditunion.auth.roles import Role
from creditunion.platform.database import unit_of_work
from loans.rate import InterestRate
from loans.services.products import create_product
from tests.api.loans.conftest import FreshLending
from tests.api.loans.lending import Lending, close_days
from tests.factories_loans import gb_product

AT_THE_CAP = "GB-AT-THE-CAP"  # 3% a month; a quote above 42.6% APR is flagged, not refused


def _at_the_cap(lending: Lending) -> None:
    with unit_of_work(lending.bank.engine) as session:
        create_product(
            session,
            code=AT_THE_CAP,
            product=gb_product(rate=InterestRate.monthly(Decimal("0.03"))),
            active=True,
            actor="user:tests",
            business_date=lending.bank.today,
        )


ONE_MONTH = {"product": AT_THE_CAP, "amount": "500.00", "term": 1}


def test_an_offer_made_dearer_by_the_day_is_refused_with_both_prices(
    fresh_lending: FreshLending,
) -> None:
    lending = fresh_lending(start=dt.date(2026, 1, 16))
    _at_the_cap(lending)
    member = lending.borrower()
    offered = lending.offer(member, **ONE_MONTH)
    assert (offered["offer"]["apr"], offered["offer"]["above_exempt_threshold"]) == ("42.6", False)
    close_days(lending, until=dt.date(2026, 1, 29))  # the business date is now 30 January
    refused = lending.accept(member, offered["id"])
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["type"] == "/problems/loan-offer-repriced"
    assert body["application_id"] == offered["id"]
    assert body["offered"] == {
        "apr": "42.6",
        "instalment": {"amount": "515.00", "currency": "GBP"},
        "total_payable": {"amount": "515.00", "currency": "GBP"},
    }
    assert body["today"]["apr"] == "45.1"
    assert "apply again" in body["detail"]
    mine = lending.client.get(
        f"/v1/me/loan-applications/{offered['id']}", headers=member.headers
    ).json()
    assert (mine["status"], mine["loan_id"]) == ("offered", None)


def test_above_the_exempt_line_an_officer_decides_and_the_loan_is_flagged(
    fresh_lending: FreshLending,
) -> None:
    lending = fresh_lending(start=dt.date(2026, 1, 30))
    _at_the_cap(lending)
    member = lending.borrower()
    officer = lending.staff(Role.LOAN_OFFICER)
    referred = lending.apply(member, **ONE_MONTH).json()
    assert referred["status"] == "referred"
    assert [r["code"] for r in referred["reasons"]] == ["referral.above_exempt_threshold"]
    approved = lending.client.post(
        f"/v1/loan-applications/{referred['id']}/approve",
        json={"note": "regulated agreement: CONC disclosures given"},
        headers=officer.headers,
    ).json()
    assert (approved["offer"]["apr"], approved["offer"]["above_exempt_threshold"]) == (
        "45.1",
        True,
    )
    accepted = lending.accept(member, referred["id"])
    assert accepted.status_code == 201, accepted.text
    loan = accepted.json()
    assert (loan["apr"], loan["above_exempt_threshold"]) == ("45.1", True)
    listed = lending.client.get(
        "/v1/loans",
        params={"member_id": member.member_id, "above_exempt_threshold": "true"},
        headers=officer.headers,
    ).json()
    assert [item["id"] for item in listed["items"]] == [loan["id"]]
    within = lending.client.get(
        "/v1/loans",
        params={"member_id": member.member_id, "above_exempt_threshold": "false"},
        headers=officer.headers,
    ).json()
    assert within["items"] == []
