"""Payments under concurrency: payouts racing for one balance never overdraw it, and file
producers racing never put a payment in two files."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, func, select

from creditunion.errors import DomainError
from creditunion.payments.models import OutboundPayment, PaymentStatus
from creditunion.payments.outbound import PayoutRequest, pay_out
from creditunion.payments.outbound_files import NothingToSend, produce_outbound_file
from creditunion.platform.database import unit_of_work
from ledger.ownership import STAFF
from tests.integration.payments.books_check import assert_books
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
