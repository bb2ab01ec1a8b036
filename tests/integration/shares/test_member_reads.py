"""What a member sees on the app: profile, accounts with balances, transactions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from creditunion.field_problems import ValidationProblem
from creditunion.members.service import get_member
from creditunion.platform.database import unit_of_work
from creditunion.shares.movements import withdraw_cash
from creditunion.shares.service import (
    ShareAccountNotFound,
    close_share_account,
    list_member_share_accounts,
    open_share_account,
)
from creditunion.shares.statements import decode_cursor, encode_cursor, member_transactions
from ledger import ownership
from tests.factories import STAFF, TODAY, MemberFactory, ShareAccountFactory
from tests.share_account_helpers import LIMIT, deposit, gbp, key

START = dt.date(2026, 11, 1)


def test_my_accounts_show_ledger_and_available_balances(books: Engine) -> None:
    with unit_of_work(books) as s:
        member = MemberFactory.create(session=s)
        instant = open_share_account(
            s, member_id=member.id, product_code="INSTANT", actor=STAFF, business_date=TODAY
        )
        spare = open_share_account(
            s, member_id=member.id, product_code="XMAS", actor=STAFF, business_date=TODAY
        )
        deposit(s, instant.id, "2500.00")
        withdraw_cash(
            s,
            share_account_id=instant.id,
            amount=gbp("1200.00"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            approval_limit=LIMIT,
        )
        close_share_account(
            s, share_account_id=spare.id, actor=STAFF, business_date=TODAY, scope=ownership.STAFF
        )
        mine = list_member_share_accounts(s, member_id=member.id)
        open_only = list_member_share_accounts(s, member_id=member.id, include_closed=False)
        profile = get_member(s, member_id=member.id)
    assert [a.id for a in mine] == [instant.id, spare.id]
    assert [a.id for a in open_only] == [instant.id]
    first = mine[0]
    assert first.balance == gbp("2500.00")
    assert first.pending_withdrawals == gbp("1200.00")
    assert first.floor == gbp("1.00")
    assert first.available == gbp("1299.00")
    assert profile.ni_number is not None and "******" in profile.ni_number


def test_available_is_never_negative(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "0.50")
        (view,) = list_member_share_accounts(s, member_id=account.member_id)
    assert view.balance == gbp("0.50") and view.floor == gbp("0.00")
    assert view.available == gbp("0.50")


def test_my_transactions_page_with_a_running_balance(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s, business_date=START)
        for day, amount in enumerate(["10.00", "20.00", "30.00", "40.00", "50.00"]):
            deposit(s, account.id, amount, business_date=START + dt.timedelta(days=day))
        withdraw_cash(
            s,
            share_account_id=account.id,
            amount=gbp("25.00"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=START + dt.timedelta(days=5),
            approval_limit=LIMIT,
        )
    seen = []
    cursor = None
    with unit_of_work(books) as s:
        for _ in range(10):
            page = member_transactions(
                s,
                share_account_id=account.id,
                scope=ownership.MemberScope(account.member_id),
                from_date=START,
                to_date=TODAY,
                after=cursor,
                limit=4,
            )
            seen.extend(page.lines)
            cursor = page.next_cursor
            if cursor is None:
                break
        window = member_transactions(
            s,
            share_account_id=account.id,
            scope=ownership.STAFF,
            from_date=START + dt.timedelta(days=2),
            to_date=START + dt.timedelta(days=3),
        )
    assert [line.amount for line in seen] == [
        gbp(a) for a in ["10.00", "20.00", "30.00", "40.00", "50.00", "-25.00"]
    ]
    assert [line.running_balance for line in seen] == [
        gbp(a) for a in ["10.00", "30.00", "60.00", "100.00", "150.00", "125.00"]
    ]
    assert page.closing_balance == gbp("125.00")
    assert window.opening_balance == gbp("30.00") and window.closing_balance == gbp("100.00")
    assert [line.running_balance for line in window.lines] == [gbp("60.00"), gbp("100.00")]


def test_another_members_transactions_are_not_found(books: Engine) -> None:
    with unit_of_work(books) as s:
        mine = ShareAccountFactory.create(session=s)
        theirs = ShareAccountFactory.create(session=s)
        deposit(s, theirs.id, "5.00")
        with pytest.raises(ShareAccountNotFound):
            member_transactions(
                s,
                share_account_id=theirs.id,
                scope=ownership.MemberScope(mine.member_id),
                from_date=START,
                to_date=TODAY,
            )


@pytest.mark.parametrize(
    ("options", "fields"),
    [
        ({"from_date": TODAY, "to_date": START}, {"from_date"}),
        ({"limit": 0}, {"limit"}),
        ({"limit": 201}, {"limit"}),
        ({"after": "nonsense"}, {"after"}),
        ({"after": "2026-02-30.1.1"}, {"after"}),
        ({"after": "2026-01-01.1.1; DROP TABLE postings"}, {"after"}),
    ],
)
def test_bad_paging_input(books: Engine, options: dict[str, object], fields: set[str]) -> None:
    request: dict[str, object] = {"from_date": START, "to_date": TODAY} | options
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        with pytest.raises(ValidationProblem) as caught:
            member_transactions(s, share_account_id=account.id, scope=ownership.STAFF, **request)  # type: ignore[arg-type]
    assert {p.field for p in caught.value.problems} == fields


def test_cursor_round_trip() -> None:
    position = (dt.date(2026, 11, 5), 123, 456)
    assert decode_cursor(encode_cursor(position)) == position
