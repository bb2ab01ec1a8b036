"""Cash withdrawals split under the approval limit add up: past the daily limit per account
or per member in one business date, a withdrawal needs a checker like a large one."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import Engine

from creditunion.platform.database import run_command, unit_of_work
from creditunion.shares.movement_rules import DailyCashLimits, above_daily_limits
from creditunion.shares.movements import WithdrawalResult, withdraw_cash
from creditunion.shares.service import get_share_account
from ledger import ownership
from ledger.money import Money
from tests.factories import STAFF, TODAY, ShareAccountFactory
from tests.share_account_helpers import LIMIT, assert_invariants, deposit, gbp, key, run_threads

ROUNDS = 3


def _withdraw(
    books: Engine, account_id: int, amount: str, limits: DailyCashLimits | None = None
) -> WithdrawalResult:
    return run_command(
        books,
        lambda s: withdraw_cash(
            s,
            share_account_id=account_id,
            amount=gbp(amount),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            approval_limit=LIMIT,
            daily_limits=limits,
        ),
    )


def _member_with_accounts(books: Engine, count: int, balance: str) -> list[int]:
    with unit_of_work(books) as s:
        first = ShareAccountFactory.create(session=s)
        accounts = [first] + [
            ShareAccountFactory.create(session=s, member_id=first.member_id)
            for _ in range(count - 1)
        ]
        for account in accounts:
            deposit(s, account.id, balance)
    return [account.id for account in accounts]


def test_two_withdrawals_under_the_limit_that_add_up_past_it_need_a_checker(
    books: Engine,
) -> None:
    (account_id,) = _member_with_accounts(books, 1, "3000.00")
    first = _withdraw(books, account_id, "570.00")
    second = _withdraw(books, account_id, "570.00")
    assert (first.status, second.status) == ("posted", "pending_approval")
    assert second.approval is not None
    assert second.approval.payload["amount"] == "570.00"
    with unit_of_work(books) as s:
        view = get_share_account(s, share_account_id=account_id, scope=ownership.STAFF)
    assert view.balance == gbp("2430.00")
    assert view.available == gbp("1859.00")  # less the £1 share and the £570 reserved
    # Up to the limit exactly is still one teller's decision.
    (other,) = _member_with_accounts(books, 1, "3000.00")
    assert [_withdraw(books, other, a).status for a in ("600.00", "400.00", "0.01")] == [
        "posted",
        "posted",
        "pending_approval",
    ]
    assert_invariants(books)


def test_withdrawals_from_two_accounts_of_one_member_add_up(books: Engine) -> None:
    first, second = _member_with_accounts(books, 2, "1000.00")
    assert _withdraw(books, first, "570.00").status == "posted"
    assert _withdraw(books, second, "570.00").status == "pending_approval"
    # Another member's account is not counted.
    (stranger,) = _member_with_accounts(books, 1, "1000.00")
    assert _withdraw(books, stranger, "570.00").status == "posted"


def test_the_limits_come_from_the_caller(books: Engine) -> None:
    first, second = _member_with_accounts(books, 2, "3000.00")
    limits = DailyCashLimits(per_account=gbp("1500.00"), per_member=gbp("2000.00"))
    statuses = [
        _withdraw(books, first, "700.00", limits).status,
        _withdraw(books, first, "700.00", limits).status,  # 1400 from the account
        _withdraw(books, first, "200.00", limits).status,  # 1600: above the account's 1500
        _withdraw(books, second, "500.00", limits).status,  # member 1900
        _withdraw(books, second, "200.00", limits).status,  # member 2100: above 2000
    ]
    assert statuses == ["posted", "posted", "pending_approval", "posted", "pending_approval"]


def test_a_concurrent_pair_on_one_account_posts_one_and_holds_the_other(books: Engine) -> None:
    for _ in range(ROUNDS):
        _concurrent_pair(books, _member_with_accounts(books, 1, "2000.00") * 2)


def test_a_concurrent_pair_on_two_accounts_of_one_member_posts_one(books: Engine) -> None:
    for _ in range(ROUNDS):
        _concurrent_pair(books, _member_with_accounts(books, 2, "1000.00"))


def _concurrent_pair(books: Engine, account_ids: list[int]) -> None:
    """Two tellers at once, one withdrawal of 570 each from `account_ids[0]` and `[1]`."""
    statuses: Counter[str] = Counter()
    errors: list[BaseException] = []
    guard = threading.Lock()

    def teller(n: int) -> None:
        try:
            status = _withdraw(books, account_ids[n], "570.00").status
        except BaseException as exc:
            with guard:
                errors.append(exc)
            return
        with guard:
            statuses[status] += 1

    run_threads(teller, 2)
    assert errors == []
    assert statuses == Counter(posted=1, pending_approval=1)
    assert_invariants(books)


def test_above_daily_limits_counts_the_account_and_the_member() -> None:
    limits = DailyCashLimits(per_account=gbp("1000.00"), per_member=gbp("1500.00"))

    def above(amount: str, account: int, member: int) -> bool:
        return above_daily_limits(
            gbp(amount), account_today_minor=account, member_today_minor=member, limits=limits
        )

    assert not above("430.00", 57_000, 57_000)  # exactly 1000.00
    assert above("430.01", 57_000, 57_000)
    assert not above("500.00", 0, 100_000)  # exactly 1500.00 for the member
    assert above("500.01", 0, 100_000)
    usd = above_daily_limits(
        Money("1.00", "USD"),
        account_today_minor=0,
        member_today_minor=0,
        limits=limits,
    )
    assert usd  # no exchange rates to compare by: a checker decides
