"""Many tellers at once on one account, over real PostgreSQL: no floor or maximum broken."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import Engine

from creditunion.platform.database import run_command, unit_of_work
from creditunion.shares.movement_rules import (
    AboveMaximumBalance,
    InsufficientAvailableBalance,
)
from creditunion.shares.movements import (
    deposit_cash,
    transfer_to_member,
    withdraw_cash,
)
from creditunion.shares.service import get_share_account
from ledger import ownership
from ledger.checks import InsufficientFunds
from tests.factories import STAFF, TODAY, ShareAccountFactory, ShareProductFactory
from tests.share_account_helpers import LIMIT, assert_invariants, deposit, gbp, key, run_threads

THREADS = 8
ATTEMPTS = 6


def test_concurrent_withdrawals_never_go_below_the_floor(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "101.00")  # £100 above the £1 minimum share
    outcomes: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    guard = threading.Lock()

    def teller(n: int) -> None:
        for _ in range(ATTEMPTS):
            try:
                run_command(
                    books,
                    lambda s: withdraw_cash(
                        s,
                        share_account_id=account.id,
                        amount=gbp("7.00"),
                        actor=f"user:teller-{n}",
                        idempotency_key=key(),
                        business_date=TODAY,
                        approval_limit=LIMIT,
                    ),
                )
                result = "paid"
            except (InsufficientAvailableBalance, InsufficientFunds):
                result = "refused"
            except BaseException as exc:
                with guard:
                    unexpected.append(exc)
                continue
            with guard:
                outcomes[result] += 1

    run_threads(teller, THREADS)
    assert unexpected == []
    # 14 withdrawals of £7 fit in £100; the other 34 are refused.
    assert outcomes == Counter(paid=14, refused=THREADS * ATTEMPTS - 14)
    with unit_of_work(books) as s:
        view = get_share_account(s, share_account_id=account.id, scope=ownership.STAFF)
    assert view.balance == gbp("3.00") and view.floor == gbp("1.00")
    assert_invariants(books)


def test_concurrent_deposits_never_exceed_the_product_maximum(books: Engine) -> None:
    with unit_of_work(books) as s:
        product = ShareProductFactory.create(session=s, maximum_balance="100.00")
        account = ShareAccountFactory.create(session=s, product_code=product.code)
    outcomes: Counter[str] = Counter()
    guard = threading.Lock()

    def teller(n: int) -> None:
        for _ in range(ATTEMPTS):
            try:
                run_command(
                    books,
                    lambda s: deposit_cash(
                        s,
                        share_account_id=account.id,
                        amount=gbp("9.00"),
                        actor=f"user:teller-{n}",
                        idempotency_key=key(),
                        business_date=TODAY,
                    ),
                )
                result = "accepted"
            except AboveMaximumBalance:
                result = "refused"
            with guard:
                outcomes[result] += 1

    run_threads(teller, THREADS)
    assert outcomes["accepted"] == 11  # 11 x £9 = £99; a twelfth would make £108
    with unit_of_work(books) as s:
        assert get_share_account(
            s, share_account_id=account.id, scope=ownership.STAFF
        ).balance == gbp("99.00")


def test_crossing_transfers_do_not_deadlock(books: Engine) -> None:
    with unit_of_work(books) as s:
        a = ShareAccountFactory.create(session=s)
        b = ShareAccountFactory.create(session=s)
        deposit(s, a.id, "500.00")
        deposit(s, b.id, "500.00")
    pairs = [(a, b), (b, a)]
    failures: list[BaseException] = []
    guard = threading.Lock()

    def member(n: int) -> None:
        source, target = pairs[n % 2]
        for _ in range(ATTEMPTS):
            try:
                run_command(
                    books,
                    lambda s: transfer_to_member(
                        s,
                        from_share_account_id=source.id,
                        amount=gbp("3.00"),
                        actor=STAFF,
                        idempotency_key=key(),
                        business_date=TODAY,
                        scope=ownership.MemberScope(source.member_id),
                        to_account_number=target.account_number,
                    ),
                )
            except BaseException as exc:
                with guard:
                    failures.append(exc)

    run_threads(member, THREADS)
    assert failures == []
    with unit_of_work(books) as s:
        total = sum(
            (
                get_share_account(s, share_account_id=x.id, scope=ownership.STAFF).balance
                for x in (a, b)
            ),
            gbp("0.00"),
        )
    assert total == gbp("1000.00")
    assert_invariants(books)


def test_the_same_deposit_retried_concurrently_posts_once(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
    same_key = key()
    replays: list[bool] = []
    guard = threading.Lock()

    def client(_: int) -> None:
        movement = run_command(
            books,
            lambda s: deposit_cash(
                s,
                share_account_id=account.id,
                amount=gbp("12.34"),
                actor=STAFF,
                idempotency_key=same_key,
                business_date=TODAY,
            ),
        )
        with guard:
            replays.append(movement.replayed)

    run_threads(client, 6)
    assert sorted(replays) == [False] + [True] * 5
    with unit_of_work(books) as s:
        assert get_share_account(
            s, share_account_id=account.id, scope=ownership.STAFF
        ).balance == gbp("12.34")
