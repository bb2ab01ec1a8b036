"""Savings interest and declared dividends owed are on the books at every close of business."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from creditunion.business_date.service import current_business_date
from creditunion.cob.plan import run_close_of_business
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.savings.accrual import UNITS_PER_MINOR
from creditunion.savings.dividends import declare_dividend
from creditunion.savings.payable import accrue_interest_payable
from creditunion.shares.movements import deposit_cash
from creditunion.shares.product_service import create_share_product
from creditunion.shares.products import ProductDefinition
from ledger.accounts import get_account_by_code
from ledger.chart import DIVIDEND_AND_INTEREST_EXPENSE, INTEREST_AND_DIVIDENDS_PAYABLE
from ledger.invariants import check_invariants
from ledger.money import Money
from loans.daycount import DayCount
from tests.factories import MemberFactory, ShareAccountFactory
from tests.factories_loans import account_minor

START = dt.date(2026, 1, 1)
STAFF = "user:teller-1"


def _open(engine: Engine, product_code: str, amounts: list[str]) -> None:
    with unit_of_work(engine) as s:
        for n, amount in enumerate(amounts):
            member = MemberFactory.create(session=s, business_date=START)
            account = ShareAccountFactory.create(
                session=s, member_id=member.id, product_code=product_code, business_date=START
            )
            deposit_cash(
                s,
                share_account_id=account.id,
                amount=Money(amount, "GBP"),
                actor=STAFF,
                idempotency_key=f"open-{product_code}-{n}",
                business_date=START,
            )


def _books(engine: Engine) -> tuple[int, int, int, int]:
    """(payable, expense, interest owed in share_accruals, interest posted to members)."""
    with unit_of_work(engine) as s:
        payable = account_minor(s, get_account_by_code(s, INTEREST_AND_DIVIDENDS_PAYABLE).id)
        expense = account_minor(s, get_account_by_code(s, DIVIDEND_AND_INTEREST_EXPENSE).id)
        owed = s.scalar(
            text("SELECT coalesce(sum(div(accrued_units, :u)), 0) FROM share_accruals"),
            {"u": UNITS_PER_MINOR},
        )
        posted = s.scalar(
            text(
                "SELECT coalesce(-sum(p.amount_minor), 0) FROM postings p JOIN journal_entries e "
                "ON e.id = p.entry_id JOIN share_accounts sa ON sa.ledger_account_id = p.account_id "
                "WHERE e.kind IN ('savings_interest', 'dividend')"
            )
        )
        assert check_invariants(s).ok
        return payable, expense, int(owed or 0), int(posted or 0)


def test_savings_interest_is_owed_daily_and_the_expense_never_counts_twice(
    fresh_engine: Engine,
) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=START)
        create_share_product(
            s,
            definition=ProductDefinition(
                code="SAVER",
                name="Saver",
                kind="instant_access",
                currency="GBP",
                minimum_balance="0.00",
                maximum_balance="100000.00",
                return_basis="interest",
                posting_frequency="monthly",
                annual_rate="0.0365",
                day_count=DayCount.ACT_365_FIXED,
            ),
            actor="user:manager-1",
        )
    # 10,000.00 at 3.65% on ACT/365F earns exactly 1.00 a day; 5,000.00 earns 0.50.
    _open(fresh_engine, "SAVER", ["10000.00", "5000.00"])
    run_close_of_business(fresh_engine, until=dt.date(2026, 1, 10))
    # Ten days: 15.00 owed, on the books as a liability and an expense; nothing posted.
    assert _books(fresh_engine) == (1_500, 1_500, 1_500, 0)
    with unit_of_work(fresh_engine) as s:  # the step again for the same date: nothing moves
        again = accrue_interest_payable(s, dt.date(2026, 1, 10), lambda done, total: None)
        assert (again.items, again.totals["movement_GBP"]) == (0, "0.00")
    run_close_of_business(fresh_engine, until=dt.date(2026, 1, 31))
    # The month posted to the members (15.50 + 15.50 a day x 31 days = 46.50): nothing is
    # owed any more and the expense is what was posted, once.
    assert _books(fresh_engine) == (0, 4_650, 0, 4_650)
    entries_before = _entry_count(fresh_engine)
    run_close_of_business(fresh_engine, until=dt.date(2026, 1, 31))  # nothing left to close
    assert _entry_count(fresh_engine) == entries_before
    run_close_of_business(fresh_engine, until=dt.date(2026, 2, 3))
    assert _books(fresh_engine) == (450, 5_100, 450, 4_650)


def _entry_count(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(text("SELECT count(*) FROM journal_entries")) or 0)


def test_a_declared_dividend_is_owed_from_declaration_to_payment(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=START)
    _open(fresh_engine, "INSTANT", ["3650.00", "7300.00"])
    run_close_of_business(fresh_engine, until=dt.date(2026, 1, 10))
    assert _books(fresh_engine)[:2] == (0, 0)  # the instant-access product pays no interest
    with unit_of_work(fresh_engine) as s:
        declare_dividend(
            s,
            product_code="INSTANT",
            period_start=START,
            period_end=dt.date(2026, 1, 10),
            pay_on=dt.date(2026, 1, 15),
            annual_rate="0.0365",
            declared_by="user:manager-1",
            business_date=current_business_date(s),
        )
    # 10,950.00 for ten days at 3.65% a year: 10.95 owed from the declaration's day on.
    run_close_of_business(fresh_engine, until=dt.date(2026, 1, 11))
    assert _books(fresh_engine) == (1_095, 1_095, 0, 0)
    run_close_of_business(fresh_engine, until=dt.date(2026, 1, 14))
    assert _books(fresh_engine) == (1_095, 1_095, 0, 0)
    # Paid on 15 Jan: owed no more, the expense is the dividend paid.
    run_close_of_business(fresh_engine, until=dt.date(2026, 1, 15))
    assert _books(fresh_engine) == (0, 1_095, 0, 1_095)
