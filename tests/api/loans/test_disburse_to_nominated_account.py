"""A member who accepts a loan can have it paid straight on to their nominated bank
account: the loan is made into the shares and the same amount leaves them for the bank in
one step. Without a nominated account nothing is made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from creditunion.auth.roles import Role
from creditunion.payments.iso20022.pain002 import TransactionStatus
from creditunion.payments.models import OutboundPayment, PaymentPurpose, PaymentStatus, Scheme
from creditunion.payments.nominations import BankDetails, destination_of, nominate
from creditunion.platform.database import unit_of_work
from creditunion.shares.service import get_share_account
from ledger.ownership import STAFF
from tests.api.banking.bank import idem, new_key
from tests.api.loans.conftest import FreshLending
from tests.api.loans.lending import Borrower, Lending
from tests.api.payments.builders import status_report

START = dt.date(2026, 3, 2)
PAYMENTS = {
    "payment_settlement_bank_id": "400000",
    "payment_settlement_account_number": "11112222",
}


def _accept(lending: Lending, who: Borrower, application_id: int) -> object:
    return lending.client.post(
        f"/v1/me/loan-applications/{application_id}/accept",
        json={
            "share_account_id": who.shares,
            "collection_mandate": False,
            "to_nominated_account": True,
        },
        headers=idem(who.login),
    )


def _shares(lending: Lending, who: Borrower) -> str:
    with unit_of_work(lending.bank.engine) as s:
        view = get_share_account(s, share_account_id=who.shares, scope=STAFF)
        return str(view.balance.amount)


def _nominated(lending: Lending, member: Borrower) -> None:
    with unit_of_work(lending.bank.engine) as s:
        nominate(
            s,
            member_id=member.member_id,
            scope=STAFF,
            destination=destination_of(
                BankDetails("A Borrower", "55779911", sort_code="200000"), Scheme.UK
            ),
            by_member=False,
            cooling_off_days=2,
            actor="user:teller",
            business_date=START,
        )


def test_the_loan_goes_on_to_the_nominated_account(fresh_lending: FreshLending) -> None:
    lending = fresh_lending(START, **PAYMENTS)
    member = lending.borrower(balance="300.00")
    _nominated(lending, member)
    offered = lending.offer(member, amount="200.00")
    accepted = _accept(lending, member, offered["id"])
    assert accepted.status_code == 201, accepted.text  # type: ignore[attr-defined]
    loan_id = accepted.json()["id"]  # type: ignore[attr-defined]
    assert _shares(lending, member) == "300.00"
    with unit_of_work(lending.bank.engine) as s:
        payment = s.scalars(select(OutboundPayment).where(OutboundPayment.loan_id == loan_id)).one()
        assert (payment.purpose, payment.status) == (
            PaymentPurpose.LOAN_DISBURSEMENT,
            PaymentStatus.PENDING,
        )
        assert (payment.amount_minor, payment.account_number) == (20_000, "55779911")
        assert payment.approval_id is None  # the lending decision is the control
    lending.invariants_hold()


def test_without_a_nominated_account_no_loan_is_made(fresh_lending: FreshLending) -> None:
    lending = fresh_lending(START, **PAYMENTS)
    member = lending.borrower(balance="300.00")
    offered = lending.offer(member, amount="200.00")
    refused = _accept(lending, member, offered["id"])
    assert refused.status_code == 404, refused.text  # type: ignore[attr-defined]
    mine = lending.client.get("/v1/me/loans", headers=member.headers).json()
    assert mine["items"] == []
    assert _shares(lending, member) == "300.00"


def test_a_rejected_loan_payment_comes_back_to_the_shares_and_the_loan_stands(
    fresh_lending: FreshLending,
) -> None:
    """The loan was made; only its journey to the bank failed. The money lands where a loan
    paid into shares would have (the member may repay it within the withdrawal period), and
    the loan is untouched: cancelling it would be the member's choice, not the bank's."""
    lending = fresh_lending(START, **PAYMENTS)
    member = lending.borrower(balance="300.00")
    _nominated(lending, member)
    accepted = _accept(lending, member, lending.offer(member, amount="200.00")["id"])
    loan_id = accepted.json()["id"]  # type: ignore[attr-defined]
    manager = lending.staff(Role.MANAGER)
    made = lending.client.post(
        "/v1/payment-files", headers={**manager.headers, "Idempotency-Key": new_key()}
    ).json()
    with unit_of_work(lending.bank.engine) as s:
        payment = s.scalars(select(OutboundPayment).where(OutboundPayment.loan_id == loan_id)).one()
        end_to_end = payment.end_to_end_id
    report = status_report(
        made["message_id"], TransactionStatus(end_to_end, None, "RJCT", "AC04", "account closed")
    )
    imported = lending.client.post(
        "/v1/payment-files/imports",
        content=report,
        headers={
            **manager.headers,
            "Idempotency-Key": new_key(),
            "Content-Type": "application/xml",
        },
    )
    assert imported.status_code == 201, imported.text
    assert _shares(lending, member) == "500.00"
    loan = lending.client.get(f"/v1/me/loans/{loan_id}", headers=member.headers).json()
    assert (loan["status"], loan["outstanding"]["principal"]["amount"]) == ("active", "200.00")
    with unit_of_work(lending.bank.engine) as s:
        payment = s.scalars(select(OutboundPayment).where(OutboundPayment.loan_id == loan_id)).one()
        assert (payment.status, payment.reason_code) == (PaymentStatus.REJECTED, "AC04")
    lending.invariants_hold()
