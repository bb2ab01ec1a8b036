"""The referral queue: what the automated decision referred, a loan officer approves (an
offer follows) or declines, with a note; an approval the checks now decline is refused."""

from __future__ import annotations

from typing import Any

from creditunion.auth.roles import Role
from tests.api.conftest import LoggedIn
from tests.api.loans.lending import Lending

# 80.74 a month left after a 500.00 loan's 89.26: within 50.00 of the 50.00 margin.
NEAR_MARGIN = {"income": "1000.00", "rent": "830.00"}


def _in_queue(lending: Lending, officer: LoggedIn, application_id: int) -> bool:
    """Pages through the referral queue (a page of 2 at a time) looking for the application."""
    url = "/v1/loan-applications?status=referred&limit=2"
    for _ in range(500):
        page = lending.client.get(url, headers=officer.headers).json()
        if any(item["id"] == application_id for item in page["items"]):
            return True
        assert all(item["status"] == "referred" for item in page["items"])
        if page["next_cursor"] is None:
            return False
        url = f"/v1/loan-applications?status=referred&limit=2&cursor={page['next_cursor']}"
    raise AssertionError("the queue did not end")


def _decide(lending: Lending, officer: LoggedIn, application_id: int, action: str) -> Any:
    return lending.client.post(
        f"/v1/loan-applications/{application_id}/{action}",
        json={"note": "  payslips and bank statements seen  "},
        headers=officer.headers,
    )


def test_an_officer_approves_a_referral_and_the_member_accepts(lending: Lending) -> None:
    member = lending.borrower()
    officer = lending.staff(Role.LOAN_OFFICER)
    referred = lending.apply(member, **NEAR_MARGIN).json()
    assert referred["status"] == "referred" and referred["offer"] is None
    assert [r["code"] for r in referred["reasons"]] == ["affordability.near_margin"]
    assert _in_queue(lending, officer, referred["id"])

    approved = _decide(lending, officer, referred["id"], "approve")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["decision_kind"], body["decided_by"]) == (
        "offered",
        "officer",
        f"user:{officer.user.id}",
    )
    assert body["decision_note"] == "payslips and bank statements seen"
    assert body["offer"]["instalment"] == {"amount": "89.26", "currency": "GBP"}
    assert not _in_queue(lending, officer, referred["id"])
    events = lending.client.get(
        f"/v1/loan-applications/{referred['id']}/events", headers=officer.headers
    ).json()
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "submitted"),
        ("submitted", "referred"),
        ("referred", "approved"),
        ("approved", "offered"),
    ]
    assert events[2]["actor"] == f"user:{officer.user.id}"
    loan = lending.accept(member, referred["id"])
    assert loan.status_code == 201 and loan.json()["application_id"] == referred["id"]
    again = _decide(lending, officer, referred["id"], "approve")
    assert again.status_code == 409 and again.json()["type"] == "/problems/loan-application-state"
    assert lending.bank.audit_actions("loan_application", referred["id"]) == [
        "loan_application.submit",
        "loan_application.approve",
    ]


def test_an_officer_declines_a_referral_with_a_note(lending: Lending) -> None:
    member = lending.borrower()
    manager = lending.staff(Role.MANAGER)  # managers work the queue too
    referred = lending.apply(member, **NEAR_MARGIN).json()
    declined = _decide(lending, manager, referred["id"], "decline").json()
    assert declined["status"] == "declined" and declined["closed_on"] is not None
    assert declined["reasons"] == [
        {"code": "officer.declined", "message": "payslips and bank statements seen"}
    ]
    mine = lending.client.get(
        f"/v1/me/loan-applications/{referred['id']}", headers=member.headers
    ).json()
    assert mine["status"] == "declined"


def test_an_officer_cannot_approve_what_the_checks_now_decline(lending: Lending) -> None:
    member = lending.borrower()
    officer = lending.staff(Role.LOAN_OFFICER)
    referred = lending.apply(member, **NEAR_MARGIN).json()
    lending.loan(member, amount="200.00")  # meanwhile, another application is offered and taken
    refused = _decide(lending, officer, referred["id"], "approve")
    assert refused.status_code == 422
    body = refused.json()
    assert body["type"] == "/problems/loan-approval-refused"
    # The new loan is one too many, and its instalment now counts against what was near the
    # margin already: both reasons are given.
    assert body["codes"] == ["eligibility.outstanding_loans", "affordability.insufficient"]
    still = lending.client.get(f"/v1/loan-applications/{referred['id']}", headers=officer.headers)
    assert still.json()["status"] == "referred"


def test_a_note_is_text_a_person_types(lending: Lending) -> None:
    member = lending.borrower()
    officer = lending.staff(Role.LOAN_OFFICER)
    referred = lending.apply(member, **NEAR_MARGIN).json()
    for note in ("", "   ", "seen\x00", "x" * 2001, "\u202eevil"):
        response = lending.client.post(
            f"/v1/loan-applications/{referred['id']}/approve",
            json={"note": note},
            headers=officer.headers,
        )
        assert response.status_code == 422, note
        assert response.json()["errors"][0]["pointer"] == "#/note"
