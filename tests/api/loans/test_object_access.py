"""Object-level access for loans: member A's token never reads or moves member B's
application, offer or loan, nor pays with B's shares. Every attempt is a 404 exactly like
an id that does not exist, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.domain import ID_MAX
from creditunion.auth.roles import Role
from tests.api.banking.bank import gbp, idem
from tests.api.loans.lending import Borrower, Lending, application

NOWHERE = ID_MAX


@dataclass
class Pair:
    a: Borrower
    a_loan: int
    a_offer: int
    b: Borrower
    b_loan: int
    b_offer: int
    b_offerer: Borrower  # B's offer is a second member's (one with a loan gets no offer)


@pytest.fixture
def pair(lending: Lending) -> Pair:
    a, b = lending.borrower(accounts=2), lending.borrower(balance="900.00")
    a_loan = lending.loan(a, amount="200.00")["id"]
    b_loan = lending.loan(b, amount="300.00")["id"]
    # No offer is made while a loan is outstanding: the offers are other members'.
    a_offer = lending.offer(lending.borrower(), amount="200.00")["id"]
    b_offerer = lending.borrower()
    b_offer = lending.offer(b_offerer, amount="200.00")["id"]
    return Pair(a, a_loan, a_offer, b, b_loan, b_offer, b_offerer)


def _same_not_found(theirs: Any, missing: Any) -> None:
    assert theirs.status_code == missing.status_code == 404, (theirs.text, missing.text)
    t, m = theirs.json(), missing.json()
    assert (t["type"], t["title"]) == (m["type"], m["title"])
    assert set(t) == set(m)


def _snapshot(lending: Lending, pair: Pair) -> tuple[Any, ...]:
    officer = lending.staff(Role.LOAN_OFFICER)
    loan = lending.client.get(f"/v1/loans/{pair.b_loan}", headers=officer.headers).json()
    return (
        lending.bank.balance(pair.b.shares),
        lending.bank.journal_count(),
        loan["outstanding"],
        loan["status"],
    )


READS = ("", "/schedule", "/transactions", "/settlement")


def test_another_members_loan_is_not_found_like_a_missing_one(
    lending: Lending, client: TestClient, pair: Pair
) -> None:
    before = _snapshot(lending, pair)
    headers = pair.a.headers
    for tail in READS:
        _same_not_found(
            client.get(f"/v1/me/loans/{pair.b_loan}{tail}", headers=headers),
            client.get(f"/v1/me/loans/{NOWHERE}{tail}", headers=headers),
        )
    moves: list[Callable[[int], Any]] = [
        lambda loan: client.post(
            f"/v1/me/loans/{loan}/repayments",
            json={"from_account_id": pair.a.shares, "amount": gbp("5.00")},
            headers=idem(pair.a.login),
        ),
        lambda loan: client.post(
            f"/v1/me/loans/{loan}/settle",
            json={"from_account_id": pair.a.shares},
            headers=idem(pair.a.login),
        ),
        lambda loan: client.post(
            f"/v1/me/loans/{loan}/withdraw",
            json={"from_account_id": pair.a.shares},
            headers=idem(pair.a.login),
        ),
        lambda loan: client.put(
            f"/v1/me/loans/{loan}/collection-mandate",
            json={"share_account_id": pair.a.shares},
            headers=headers,
        ),
    ]
    for move in moves:
        _same_not_found(move(pair.b_loan), move(NOWHERE))
    listed = client.get("/v1/me/loans", headers=headers).json()["items"]
    assert [loan["id"] for loan in listed] == [pair.a_loan]
    assert _snapshot(lending, pair) == before


def test_another_members_application_and_offer_are_not_found(
    lending: Lending, client: TestClient, pair: Pair
) -> None:
    before = _snapshot(lending, pair)
    headers = pair.a.headers
    calls: list[Callable[[int], Any]] = [
        lambda app_id: client.get(f"/v1/me/loan-applications/{app_id}", headers=headers),
        lambda app_id: client.post(f"/v1/me/loan-applications/{app_id}/withdraw", headers=headers),
        lambda app_id: client.post(
            f"/v1/me/loan-applications/{app_id}/accept",
            json={"share_account_id": pair.a.shares},
            headers=idem(pair.a.login),
        ),
    ]
    for call in calls:
        _same_not_found(call(pair.b_offer), call(NOWHERE))
    mine = client.get("/v1/me/loan-applications?limit=100", headers=headers).json()["items"]
    assert {item["member_id"] for item in mine} == {pair.a.member_id}
    theirs = client.get(f"/v1/me/loan-applications/{pair.b_offer}", headers=pair.b_offerer.headers)
    assert theirs.json()["status"] == "offered"
    assert _snapshot(lending, pair) == before


def test_another_members_shares_cannot_pay_or_be_paid_into(
    lending: Lending, client: TestClient, pair: Pair
) -> None:
    member = lending.borrower()
    offer = lending.offer(member, amount="200.00")["id"]
    before = _snapshot(lending, pair)
    repay_from_b = client.post(
        f"/v1/me/loans/{pair.a_loan}/repayments",
        json={"from_account_id": pair.b.shares, "amount": gbp("5.00")},
        headers=idem(pair.a.login),
    )
    repay_from_nowhere = client.post(
        f"/v1/me/loans/{pair.a_loan}/repayments",
        json={"from_account_id": NOWHERE, "amount": gbp("5.00")},
        headers=idem(pair.a.login),
    )
    _same_not_found(repay_from_b, repay_from_nowhere)
    into_b = client.post(
        f"/v1/me/loan-applications/{offer}/accept",
        json={"share_account_id": pair.b.shares},
        headers=idem(member.login),
    )
    collect_from_b = client.post(
        f"/v1/me/loan-applications/{offer}/accept",
        json={"share_account_id": member.shares, "collection_account_id": pair.b.shares},
        headers=idem(member.login),
    )
    into_nowhere = client.post(
        f"/v1/me/loan-applications/{offer}/accept",
        json={"share_account_id": NOWHERE},
        headers=idem(member.login),
    )
    _same_not_found(into_b, into_nowhere)
    _same_not_found(collect_from_b, into_nowhere)
    mandate = client.put(
        f"/v1/me/loans/{pair.a_loan}/collection-mandate",
        json={"share_account_id": pair.b.shares},
        headers=pair.a.headers,
    )
    assert mandate.status_code == 404
    assert (
        client.get(f"/v1/me/loan-applications/{offer}", headers=member.headers).json()["status"]
        == "offered"
    )
    assert _snapshot(lending, pair) == before


def test_a_member_quotes_only_for_themselves_and_reaches_no_staff_endpoint(
    client: TestClient, pair: Pair
) -> None:
    headers = pair.a.headers
    staff_quote = client.post(
        "/v1/loan-quotes",
        json={
            "member_id": pair.b.member_id,
            "product_code": "GB-PAYDAY-ALT",
            "amount": gbp("300.00"),
            "term": 6,
            "frequency": "monthly",
        },
        headers=headers,
    )
    assert staff_quote.status_code == 403
    own = application()
    own["member_id"] = pair.b.member_id  # no such field: a member cannot apply for another
    assert client.post("/v1/me/loan-applications", json=own, headers=headers).status_code == 422
    for url in (
        f"/v1/loans/{pair.b_loan}",
        f"/v1/loans/{pair.b_loan}/ledger-entries",
        f"/v1/loan-applications/{pair.b_offer}",
        f"/v1/members/{pair.b.member_id}/loans",
        "/v1/loan-applications?status=referred",
        "/v1/loan-products",
    ):
        assert client.get(url, headers=headers).status_code == 403, url
