from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from creditunion.platform.database import unit_of_work
from ledger.accounts import AccountView, get_account_by_code
from ledger.balances import balance
from ledger.chart import DEFAULT_CHART, MEMBERS_SHARES, install_chart
from ledger.models import AccountType
from ledger.posting import post_entry
from ledger.statement import account_statement
from ledger.trial_balance import trial_balance
from tests.ledger_helpers import gbp, new_account, transfer

D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def _history(engine: Engine) -> tuple[AccountView, AccountView]:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s, floor=gbp("0"))
        post_entry(s, transfer(cash.id, shares.id, gbp("100"), business_date=D1))
        post_entry(s, transfer(shares.id, cash.id, gbp("30"), business_date=D2))
        post_entry(s, transfer(cash.id, shares.id, gbp("5.55"), business_date=D2))
        post_entry(s, transfer(shares.id, cash.id, gbp("0.55"), business_date=D3))
    return cash, shares


def test_balance_now_and_as_of_a_date(engine: Engine) -> None:
    cash, shares = _history(engine)

    with unit_of_work(engine) as s:
        assert balance(s, account_id=shares.id) == gbp("75.00")
        assert balance(s, account_id=shares.id, as_of=D1 - dt.timedelta(1)) == gbp("0")
        assert balance(s, account_id=shares.id, as_of=D1) == gbp("100")
        assert balance(s, account_id=shares.id, as_of=D2) == gbp("75.55")
        assert balance(s, account_id=cash.id, as_of=D2) == gbp("75.55")


def test_statement_has_opening_running_and_closing_balances(engine: Engine) -> None:
    _, shares = _history(engine)

    with unit_of_work(engine) as s:
        statement = account_statement(s, account_id=shares.id, from_date=D2, to_date=D3)

    assert statement.opening_balance == gbp("100")
    assert [line.amount for line in statement.lines] == [gbp("-30"), gbp("5.55"), gbp("-0.55")]
    assert [line.running_balance for line in statement.lines] == [
        gbp("70"),
        gbp("75.55"),
        gbp("75.00"),
    ]
    assert statement.closing_balance == gbp("75.00")
    assert not statement.has_more


def test_statement_pages_keep_the_running_balance(engine: Engine) -> None:
    _, shares = _history(engine)

    with unit_of_work(engine) as s:
        first = account_statement(s, account_id=shares.id, from_date=D1, to_date=D3, limit=2)
        second = account_statement(
            s, account_id=shares.id, from_date=D1, to_date=D3, after=first.lines[-1].cursor, limit=2
        )

    assert first.has_more and not second.has_more
    assert [line.running_balance for line in first.lines + second.lines] == [
        gbp("100"),
        gbp("70"),
        gbp("75.55"),
        gbp("75.00"),
    ]


def test_statement_refuses_bad_ranges(engine: Engine) -> None:
    _, shares = _history(engine)
    with unit_of_work(engine) as s, pytest.raises(ValueError):
        account_statement(s, account_id=shares.id, from_date=D3, to_date=D1)
    with unit_of_work(engine) as s, pytest.raises(ValueError):
        account_statement(s, account_id=shares.id, from_date=D1, to_date=D3, limit=0)


def test_trial_balance_rolls_members_into_their_control_account(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        assert install_chart(s, currency="GBP") == len(DEFAULT_CHART)
        assert install_chart(s, currency="GBP") == 0
        cash = get_account_by_code(s, "1100")
        control = get_account_by_code(s, MEMBERS_SHARES)
        members = [new_account(s, parent_id=control.id) for _ in range(3)]
        for n, member in enumerate(members, start=1):
            post_entry(s, transfer(cash.id, member.id, gbp(f"{n}0"), business_date=D1))
        post_entry(s, transfer(members[0].id, cash.id, gbp("4"), business_date=D2))

    with unit_of_work(fresh_engine) as s:
        at_d1 = trial_balance(s, as_of=D1)
        now = trial_balance(s)

    assert at_d1.balanced and now.balanced
    liabilities = now.rows_by_type[AccountType.LIABILITY]
    assert [(r.code, r.credit) for r in liabilities] == [(MEMBERS_SHARES, gbp("56"))]
    assert [(r.code, r.debit) for r in now.rows_by_type[AccountType.ASSET]] == [("1100", gbp("56"))]
    assert at_d1.rows_by_type[AccountType.LIABILITY][0].credit == gbp("60")
    assert [(t.currency, t.debits, t.credits) for t in now.totals] == [
        ("GBP", gbp("56"), gbp("56"))
    ]
