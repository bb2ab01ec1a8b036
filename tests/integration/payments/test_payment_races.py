"""Payments under concurrency: payouts racing for one balance never overdraw it, file
producers racing never put a payment in two files, and imports racing post a credit once."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, func, select

from creditunion.errors import DomainError
from creditunion.members.service import get_member
from creditunion.payments.bank_files import BankFileResult
from creditunion.payments.models import IncomingCredit, OutboundPayment, PaymentStatus
from creditunion.payments.outbound import PayoutRequest, pay_out
from creditunion.payments.outbound_files import NothingToSend, produce_outbound_file
from creditunion.platform.database import unit_of_work
from ledger.ownership import STAFF
from tests.integration.payments.books_check import assert_books
from tests.integration.payments.test_bank_files import _entry, _import, _notification
from tests.integration.payments.test_payments_out import CONFIG, TODAY, _balance, _member_with
from tests.share_account_helpers import gbp, key, run_threads

AT = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


def test_racing_payouts_take_no_more_than_is_available(own_books: Engine) -> None:
    _, account_id = _member_with(own_books, "100.00")
    paid: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()

    def attempt(_: int) -> None:
        try:
            with unit_of_work(own_books) as s:
                view = pay_out(
                    s,
                    request=PayoutRequest(account_id, gbp("30.00"), None),
                    scope=STAFF,
                    config=CONFIG,
                    actor="user:teller-1",
                    idempotency_key=key(),
                    business_date=TODAY,
                )
            with lock:
                paid.append(view.id)
        except DomainError as exc:
            with lock:
                refused.append(type(exc).__name__)

    run_threads(attempt, 8)
    available = gbp("100.00") - gbp("1.00")  # the standard product keeps a 1.00 minimum share
    assert len(paid) == int(available.amount // 30)
    assert set(refused) == {"InsufficientAvailableBalance"}
    assert _balance(own_books, account_id) == gbp("100.00") - gbp("30.00") * len(paid)
    assert_books(own_books)


def test_racing_producers_put_each_payment_in_one_file(own_books: Engine) -> None:
    _, account_id = _member_with(own_books, "1000.00")
    for _ in range(40):
        with unit_of_work(own_books) as s:
            pay_out(
                s,
                request=PayoutRequest(account_id, gbp("5.00"), None),
                scope=STAFF,
                config=CONFIG,
                actor="user:teller-1",
                idempotency_key=key(),
                business_date=TODAY,
            )
    counts: list[int] = []
    lock = threading.Lock()

    def produce(_: int) -> None:
        try:
            with unit_of_work(own_books) as s:
                view = produce_outbound_file(
                    s, config=CONFIG, actor="user:m", business_date=TODAY, created_at=AT, limit=7
                )
            with lock:
                counts.append(view.item_count)
        except NothingToSend:
            pass

    for _ in range(3):
        run_threads(produce, 4)
    with unit_of_work(own_books) as s:
        sent = s.scalar(select(func.count()).where(OutboundPayment.status == PaymentStatus.SENT))
        files = s.scalar(select(func.count(func.distinct(OutboundPayment.file_id))))
    assert sum(counts) == sent == 40
    assert files == len(counts)


def test_the_same_key_sent_twice_at_once_pays_once(own_books: Engine) -> None:
    _, account_id = _member_with(own_books, "100.00")
    idem = key()
    answers: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def attempt(_: int) -> None:
        with unit_of_work(own_books) as s:
            view = pay_out(
                s,
                request=PayoutRequest(account_id, gbp("40.00"), None),
                scope=STAFF,
                config=CONFIG,
                actor="user:teller-1",
                idempotency_key=idem,
                business_date=TODAY,
            )
        with lock:
            answers.append((view.id, view.replayed))

    run_threads(attempt, 4)
    assert len({payment_id for payment_id, _ in answers}) == 1
    assert sorted(replayed for _, replayed in answers) == [False, True, True, True]
    assert _balance(own_books, account_id) == gbp("60.00")
    assert_books(own_books)


def test_one_credit_in_two_files_imported_at_once_posts_once(own_books: Engine) -> None:
    """A bank resending a notification under a new message id while the first is being
    imported: one credit, one posting; the other import tells it was already there."""
    member_id, account_id = _member_with(own_books, "10.00")
    with unit_of_work(own_books) as s:
        membership = get_member(s, member_id=member_id).membership_number
    salary = _entry("RACE1", "250.00", remittance=f"SALARY {membership}")
    files = [_notification(salary), _notification(salary)]
    results: list[BankFileResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            result = _import(own_books, files[n])
            with lock:
                results.append(result)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    run_threads(attempt, 2)
    assert errors == []
    assert sorted(r.credits_applied for r in results) == [0, 1]
    assert sum(len(r.notices) for r in results) == 1
    assert _balance(own_books, account_id) == gbp("260.00")
    with unit_of_work(own_books) as s:
        assert s.scalar(select(func.count()).select_from(IncomingCredit)) == 1
    assert_books(own_books)


def test_one_file_imported_twice_at_once_is_taken_once(own_books: Engine) -> None:
    content = _notification(_entry("RACE2", "40.00", remittance="nobody"))
    refused: list[str] = []
    lock = threading.Lock()

    def attempt(_: int) -> None:
        try:
            _import(own_books, content)
        except DomainError as exc:
            with lock:
                refused.append(type(exc).__name__)

    run_threads(attempt, 3)
    assert refused == ["FileAlreadyImported", "FileAlreadyImported"]
    with unit_of_work(own_books) as s:
        assert s.scalar(select(func.count()).select_from(IncomingCredit)) == 1
    assert_books(own_books)
