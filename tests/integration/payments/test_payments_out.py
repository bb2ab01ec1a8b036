"""Paying out to a member's nominated account: the money leaves the share account at once,
waits in outbound clearing, and comes back whole if the payment is cancelled or a checker
refuses it. Every refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from creditunion.approvals.service import approve, reject
from creditunion.payments.bank_accounts import InvalidBankAccount
from creditunion.payments.config import PaymentConfig
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import OutboundPayment, PaymentStatus, Scheme
from creditunion.payments.nominations import (
    BankDetails,
    NoNominatedAccount,
    destination_of,
    nominate,
)
from creditunion.payments.outbound import (
    PaymentKeyReused,
    PaymentNotCancellable,
    PayoutRequest,
    cancel_payment,
    pay_out,
)
from creditunion.payments.settlement_calendar import Rail
from creditunion.platform.database import unit_of_work
from creditunion.shares.movement_rules import InsufficientAvailableBalance
from creditunion.shares.service import PaymentsInFlight, close_share_account, get_share_account
from ledger.accounts import get_account
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope
from tests.factories import ShareAccountFactory
from tests.integration.payments.books_check import assert_books
from tests.share_account_helpers import (
    MANAGER,
    OTHER_MANAGER,
    deposit,
    gbp,
    key,
)

TODAY = dt.date(2026, 1, 15)
TELLER = "user:teller-1"
CONFIG = PaymentConfig(
    rail=Rail.FASTER_PAYMENTS,
    currency="GBP",
    settlement_bank_id="400000",
    settlement_account_number="11112222",
    originator_name="PRESTON CU",
    cooling_off_days=2,
    approval_limit=gbp("1000.00"),
    ach=None,
)
DETAILS = BankDetails(holder_name="Ann Member", sort_code="20-00-00", account_number="55779911")


def _member_with(engine: Engine, amount: str, *, nominate_by_staff: bool = True) -> tuple[int, int]:
    with unit_of_work(engine) as s:
        account = ShareAccountFactory.create(session=s, business_date=TODAY)
        deposit(s, account.id, amount, business_date=TODAY)
        if nominate_by_staff:
            nominate(
                s,
                member_id=account.member_id,
                scope=STAFF,
                destination=destination_of(DETAILS, Scheme.UK),
                by_member=False,
                cooling_off_days=CONFIG.cooling_off_days,
                actor=TELLER,
                business_date=TODAY,
            )
        return account.member_id, account.id


def _balance(engine: Engine, share_account_id: int) -> Money:
    with unit_of_work(engine) as s:
        return get_share_account(s, share_account_id=share_account_id, scope=STAFF).balance


def _clearing(engine: Engine) -> Money:
    with unit_of_work(engine) as s:
        return get_account(s, payment_accounts(s).outbound_clearing).balance


def _pay(engine: Engine, account_id: int, amount: str, idem: str | None = None):  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        return pay_out(
            s,
            request=PayoutRequest(account_id, gbp(amount), "RENT"),
            scope=STAFF,
            config=CONFIG,
            actor=TELLER,
            idempotency_key=idem or key(),
            business_date=TODAY,
        )


def test_a_payout_moves_the_money_to_clearing_and_a_cancel_brings_it_back(books: Engine) -> None:
    _, account_id = _member_with(books, "500.00")
    clearing_before = _clearing(books)
    payment = _pay(books, account_id, "120.50")
    assert payment.status is PaymentStatus.PENDING
    assert payment.not_before == TODAY  # a first nomination by staff is usable at once
    assert _balance(books, account_id) == gbp("379.50")
    assert _clearing(books) - clearing_before == gbp("120.50")
    with unit_of_work(books) as s:
        cancelled = cancel_payment(
            s,
            payment_id=payment.id,
            reason="member changed mind",
            actor=TELLER,
            business_date=TODAY,
        )
    assert cancelled.status is PaymentStatus.CANCELLED
    assert _balance(books, account_id) == gbp("500.00")
    assert _clearing(books) == clearing_before
    with unit_of_work(books) as s, pytest.raises(PaymentNotCancellable):
        cancel_payment(s, payment_id=payment.id, reason="again", actor=TELLER, business_date=TODAY)
    assert _balance(books, account_id) == gbp("500.00")
    assert_books(books)


def test_the_same_key_pays_once_and_another_request_under_it_is_refused(books: Engine) -> None:
    _, account_id = _member_with(books, "300.00")
    idem = key()
    first = _pay(books, account_id, "100.00", idem)
    again = _pay(books, account_id, "100.00", idem)
    assert (again.id, again.replayed, first.replayed) == (first.id, True, False)
    assert _balance(books, account_id) == gbp("200.00")
    with pytest.raises(PaymentKeyReused):
        _pay(books, account_id, "99.00", idem)
    assert _balance(books, account_id) == gbp("200.00")


def test_more_than_is_available_is_refused_and_writes_nothing(books: Engine) -> None:
    _, account_id = _member_with(books, "50.00")
    with unit_of_work(books) as s:
        before = s.scalar(select(func.count()).select_from(OutboundPayment))
    with pytest.raises(InsufficientAvailableBalance):
        _pay(books, account_id, "50.01")
    with unit_of_work(books) as s:
        assert s.scalar(select(func.count()).select_from(OutboundPayment)) == before
    assert _balance(books, account_id) == gbp("50.00")


def test_without_a_nominated_account_nothing_is_paid(books: Engine) -> None:
    _, account_id = _member_with(books, "80.00", nominate_by_staff=False)
    with pytest.raises(NoNominatedAccount):
        _pay(books, account_id, "10.00")
    assert _balance(books, account_id) == gbp("80.00")


def test_a_member_cannot_pay_from_another_members_account(books: Engine) -> None:
    other_member, _ = _member_with(books, "10.00")
    _, account_id = _member_with(books, "80.00")
    with unit_of_work(books) as s, pytest.raises(LookupError):
        pay_out(
            s,
            request=PayoutRequest(account_id, gbp("10.00"), None),
            scope=MemberScope(other_member),
            config=CONFIG,
            actor="user:member",
            idempotency_key=key(),
            business_date=TODAY,
        )
    assert _balance(books, account_id) == gbp("80.00")


def test_a_changed_nomination_holds_payments_for_the_cooling_off_period(books: Engine) -> None:
    member_id, account_id = _member_with(books, "200.00")
    with unit_of_work(books) as s:
        changed = nominate(
            s,
            member_id=member_id,
            scope=MemberScope(member_id),
            destination=destination_of(
                BankDetails("Ann Member", "99887766", sort_code="309634"), Scheme.UK
            ),
            by_member=True,
            cooling_off_days=CONFIG.cooling_off_days,
            actor="user:member",
            business_date=TODAY,
        )
    assert changed.usable_on == TODAY + dt.timedelta(days=2)
    payment = _pay(books, account_id, "20.00")
    assert (payment.not_before, payment.account_number_masked) == (changed.usable_on, "****7766")


@pytest.mark.parametrize(
    ("sort_code", "account_number", "field"),
    [
        ("12345", "12345678", "sort_code"),
        ("123456", "1234567", "account_number"),
        ("12a456", "12345678", "sort_code"),
        ("123456", "\uff11" * 8, "account_number"),  # full-width digits,
    ],
)
def test_malformed_uk_accounts_are_refused(sort_code: str, account_number: str, field: str) -> None:
    with pytest.raises(InvalidBankAccount) as refused:
        destination_of(BankDetails("Ann", account_number, sort_code=sort_code), Scheme.UK)
    assert refused.value.field == field


def test_us_routing_numbers_need_their_check_digit() -> None:
    good = destination_of(
        BankDetails("Al", "000123456789", routing_number="011000015", account_kind="checking"),
        Scheme.US,
    )
    assert (good.bank_id, good.account_kind) == ("011000015", "checking")
    with pytest.raises(InvalidBankAccount, match="check digit"):
        destination_of(
            BankDetails("Al", "1", routing_number="011000016", account_kind="checking"),
            Scheme.US,
        )


def test_above_the_limit_a_second_manager_decides(books: Engine) -> None:
    _, account_id = _member_with(books, "5000.00")
    payment = _pay(books, account_id, "1500.00")
    assert payment.status is PaymentStatus.AWAITING_APPROVAL
    assert payment.approval_id is not None
    assert _balance(books, account_id) == gbp("3500.00")  # held while the checker decides
    with unit_of_work(books) as s:
        approve(
            s,
            approval_id=payment.approval_id,
            checker=OTHER_MANAGER,
            checker_role="manager",
            business_date=TODAY,
        )
        row = s.get(OutboundPayment, payment.id)
        assert row is not None and row.status is PaymentStatus.PENDING
    refused = _pay(books, account_id, "2000.00")
    assert refused.approval_id is not None
    with unit_of_work(books) as s:
        reject(
            s,
            approval_id=refused.approval_id,
            checker=MANAGER,
            checker_role="manager",
            business_date=TODAY,
            note="not the member's usual pattern",
        )
        row = s.get(OutboundPayment, refused.id)
        assert row is not None and row.status is PaymentStatus.CANCELLED
    assert _balance(books, account_id) == gbp("3500.00")
    assert_books(books)


def test_an_account_with_a_payment_in_flight_cannot_be_closed(books: Engine) -> None:
    _, account_id = _member_with(books, "60.00")
    payment = _pay(books, account_id, "50.00")
    with unit_of_work(books) as s, pytest.raises(PaymentsInFlight):
        close_share_account(
            s, share_account_id=account_id, actor=TELLER, business_date=TODAY, scope=STAFF
        )
    with unit_of_work(books) as s:
        cancel_payment(s, payment_id=payment.id, reason="kept", actor=TELLER, business_date=TODAY)
    assert _balance(books, account_id) == gbp("60.00")
