"""Money arriving for members: matched by the reference the payer gave, else held in
suspense until staff assign it or send it back. The same credit told twice posts once."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from sqlalchemy import Engine

from creditunion.members.service import get_member
from creditunion.payments.incoming import (
    CreditAlreadyResolved,
    CreditReferenceReused,
    NoPayerAccount,
    ReceivedCredit,
    assign_credit,
    receive_credit,
    receive_credits,
    return_credit,
)
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import (
    CreditStatus,
    FileDirection,
    PaymentFile,
    PaymentPurpose,
    PaymentStatus,
    Scheme,
)
from creditunion.platform.database import unit_of_work
from creditunion.shares.service import get_share_account
from ledger.accounts import get_account
from ledger.money import Money
from ledger.ownership import STAFF
from tests.factories import ShareAccountFactory
from tests.integration.payments.books_check import assert_books
from tests.share_account_helpers import deposit, gbp

TODAY = dt.date(2026, 1, 15)
BANK = "system:bank-import"


def _file(engine: Engine) -> int:
    content = uuid.uuid4().bytes
    with unit_of_work(engine) as s:
        row = PaymentFile(
            direction=FileDirection.INBOUND,
            kind="camt.054.001.08",
            message_id=uuid.uuid4().hex[:35],
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            business_date=TODAY,
            item_count=1,
            created_by=BANK,
        )
        s.add(row)
        s.flush()
        return row.id


def _credit(amount: str, reference: str | None, *, bank_ref: str | None = None) -> ReceivedCredit:
    return ReceivedCredit(
        bank_reference=bank_ref or uuid.uuid4().hex[:20].upper(),
        amount=gbp(amount),
        booking_date=TODAY,
        scheme=Scheme.UK,
        payer_name="ACME PAYROLL",
        payer_bank_id="401276",
        payer_account_number="40404040",
        reference=reference,
    )


def _receive(engine: Engine, credit: ReceivedCredit):  # type: ignore[no-untyped-def]
    file_id = _file(engine)
    with unit_of_work(engine) as s:
        return receive_credit(s, credit=credit, file_id=file_id, actor=BANK, business_date=TODAY)


def _account(engine: Engine) -> tuple[str, str, int]:
    with unit_of_work(engine) as s:
        account = ShareAccountFactory.create(session=s, business_date=TODAY)
        deposit(s, account.id, "10.00", business_date=TODAY)
        number = get_member(s, member_id=account.member_id).membership_number
        return number, account.account_number, account.id


def _balance(engine: Engine, account_id: int) -> Money:
    with unit_of_work(engine) as s:
        return get_share_account(s, share_account_id=account_id, scope=STAFF).balance


def _suspense(engine: Engine) -> Money:
    with unit_of_work(engine) as s:
        return get_account(s, payment_accounts(s).suspense).balance


def test_a_salary_naming_the_membership_number_reaches_the_members_account(books: Engine) -> None:
    membership, _, account_id = _account(books)
    credit = _receive(books, _credit("1234.56", f"SALARY DEC {membership}"))
    assert (credit.status, credit.share_account_id) == (CreditStatus.APPLIED, account_id)
    assert _balance(books, account_id) == gbp("1244.56")


def test_the_share_account_number_also_matches(books: Engine) -> None:
    _, number, account_id = _account(books)
    credit = _receive(books, _credit("5.00", number.lower()))
    assert credit.share_account_id == account_id
    assert _balance(books, account_id) == gbp("15.00")


def test_the_same_credit_twice_posts_once_and_changed_details_are_refused(books: Engine) -> None:
    membership, _, account_id = _account(books)
    first = _credit("40.00", membership)
    assert _receive(books, first).id == _receive(books, first).id
    assert _balance(books, account_id) == gbp("50.00")
    with pytest.raises(CreditReferenceReused):
        _receive(books, _credit("41.00", membership, bank_ref=first.bank_reference))
    assert _balance(books, account_id) == gbp("50.00")


def test_an_unmatched_credit_waits_in_suspense_until_staff_assign_it(books: Engine) -> None:
    _, _, account_id = _account(books)
    before = _suspense(books)
    credit = _receive(books, _credit("75.00", "INVOICE 99"))
    assert (credit.status, credit.share_account_id) == (CreditStatus.UNMATCHED, None)
    assert _suspense(books) - before == gbp("75.00")
    with unit_of_work(books) as s:
        assigned = assign_credit(
            s,
            credit_id=credit.id,
            share_account_id=account_id,
            note="member phoned: her rent refund",
            actor="user:teller-1",
            business_date=TODAY,
        )
    assert assigned.status is CreditStatus.ASSIGNED
    assert _suspense(books) == before
    assert _balance(books, account_id) == gbp("85.00")
    with unit_of_work(books) as s, pytest.raises(CreditAlreadyResolved):
        assign_credit(
            s,
            credit_id=credit.id,
            share_account_id=account_id,
            note="again",
            actor="user:teller-1",
            business_date=TODAY,
        )
    assert _balance(books, account_id) == gbp("85.00")
    assert_books(books)


def test_an_unmatched_credit_can_be_sent_back_to_the_payer(books: Engine) -> None:
    before = _suspense(books)
    credit = _receive(books, _credit("19.99", None))
    with unit_of_work(books) as s:
        payment = return_credit(
            s,
            credit_id=credit.id,
            note="no such member",
            actor="user:teller-1",
            business_date=TODAY,
        )
    assert (payment.purpose, payment.status) == (
        PaymentPurpose.RETURN_TO_SENDER,
        PaymentStatus.PENDING,
    )
    assert (payment.amount, payment.bank_id) == (gbp("19.99"), "401276")
    assert _suspense(books) == before
    assert_books(books)


def test_a_credit_with_no_payer_account_cannot_be_sent_back(books: Engine) -> None:
    bare = ReceivedCredit(
        bank_reference=uuid.uuid4().hex[:20],
        amount=gbp("3.00"),
        booking_date=TODAY,
        scheme=Scheme.UK,
        payer_name=None,
        payer_bank_id=None,
        payer_account_number=None,
        reference=None,
    )
    credit = _receive(books, bare)
    with unit_of_work(books) as s, pytest.raises(NoPayerAccount):
        return_credit(s, credit_id=credit.id, note="x", actor="user:t", business_date=TODAY)


def _receive_all(engine: Engine, credits: list[ReceivedCredit]):  # type: ignore[no-untyped-def]
    file_id = _file(engine)
    with unit_of_work(engine) as s:
        return receive_credits(s, credits=credits, file_id=file_id, actor=BANK, business_date=TODAY)


def test_credits_in_one_file_count_together_against_the_product_maximum(
    own_books: Engine,
) -> None:
    # Instant access holds at most 50,000.00: the account has 10.00. A database of its
    # own: the test counts what suspense holds.
    membership, _, account_id = _account(own_books)
    views = _receive_all(own_books, [_credit("20000.00", membership) for _ in range(3)])
    assert [v.status for v in views] == [
        CreditStatus.APPLIED,
        CreditStatus.APPLIED,
        CreditStatus.UNMATCHED,
    ]
    assert _balance(own_books, account_id) == gbp("40010.00")
    assert _suspense(own_books) == gbp("20000.00")
    assert_books(own_books)


def test_a_credit_named_twice_in_one_file_posts_once(books: Engine) -> None:
    membership, _, account_id = _account(books)
    credit = _credit("7.00", membership, bank_ref="TWICEINONEFILE")
    first, second = _receive_all(books, [credit, credit])
    assert (first.replayed, second.replayed) == (False, True)
    assert first.id == second.id
    assert _balance(books, account_id) == gbp("17.00")
    changed = _credit("8.00", membership, bank_ref="CHANGEDINONEFILE")
    with pytest.raises(CreditReferenceReused):
        _receive_all(books, [_credit("7.00", membership, bank_ref="CHANGEDINONEFILE"), changed])
    assert _balance(books, account_id) == gbp("17.00")


def test_a_reference_naming_two_accounts_takes_the_first_word_that_matches(
    books: Engine,
) -> None:
    membership_a, _, account_a = _account(books)
    _, number_b, account_b = _account(books)
    views = _receive_all(
        books,
        [
            _credit("1.00", f"{number_b} {membership_a}"),
            _credit("2.00", f"{membership_a} {number_b}"),
        ],
    )
    assert [v.share_account_id for v in views] == [account_b, account_a]
