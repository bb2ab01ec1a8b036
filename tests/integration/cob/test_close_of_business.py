"""Close of business over real days: savings interest exact to the penny, invariants daily,
one posting per day however often COB runs, catch-up in order, seals that verify."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import Engine, text

from creditunion.business_date.service import current_business_date
from creditunion.cob.plan import STEPS, dates_to_close, run_close_of_business
from creditunion.cob.runner import run_steps_for_date
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.savings.accrual import daily_accrual_units, daily_factor
from creditunion.savings.dividends import declare_dividend
from creditunion.shares.movement_rules import InsufficientAvailableBalance
from creditunion.shares.movements import deposit_cash, withdraw_cash
from creditunion.shares.product_service import create_share_product
from creditunion.shares.products import ProductDefinition
from ledger.invariants import check_invariants
from ledger.money import Money
from ledger.verify import verify
from loans.daycount import DayCount, year_fraction_ratio
from tests.factories import MemberFactory, ShareAccountFactory
from tests.factories_loans import TODAY as LOAN_DAY
from tests.factories_loans import account_minor, loan_row, make_loan
from tests.integration.cob.steps_for_tests import STEP_BUDGET_S

START = dt.date(2026, 1, 1)
STAFF = "user:teller-1"
LIMIT = Money("100000.00", "GBP")
PRODUCTS = (
    ("SAV_M365", "0.02", DayCount.ACT_365_FIXED),
    ("SAV_M360", "0.035", DayCount.ACT_360),
    ("SAV_MAA", "0.0125", DayCount.ACT_ACT_ISDA),
    ("SAV_M30", "0.05", DayCount.THIRTY_360),
)


def _setup(engine: Engine, accounts_per_product: int) -> dict[int, tuple[Decimal, DayCount]]:
    with unit_of_work(engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=START)
        for code, rate, day_count in PRODUCTS:
            create_share_product(
                s,
                definition=ProductDefinition(
                    code=code,
                    name=f"Saver {code}",
                    kind="instant_access",
                    currency="GBP",
                    minimum_balance="0.00",
                    maximum_balance="100000.00",
                    return_basis="interest",
                    posting_frequency="monthly",
                    annual_rate=rate,
                    day_count=day_count,
                ),
                actor="user:manager-1",
            )
    terms: dict[int, tuple[Decimal, DayCount]] = {}
    with unit_of_work(engine) as s:
        for code, rate, day_count in PRODUCTS:
            for _ in range(accounts_per_product):
                member = MemberFactory.create(session=s, business_date=START)
                account = ShareAccountFactory.create(
                    session=s, member_id=member.id, product_code=code, business_date=START
                )
                deposit_cash(
                    s,
                    share_account_id=account.id,
                    amount=Money.from_minor(100 + 97 * len(terms), "GBP"),
                    actor=STAFF,
                    idempotency_key=f"open-{account.id}",
                    business_date=START,
                )
                terms[account.id] = (Decimal(rate), day_count)
    return terms


def _day_of_activity(engine: Engine, rng: random.Random, ids: list[int]) -> None:
    with unit_of_work(engine) as s:
        today = current_business_date(s)
        for account_id in rng.sample(ids, len(ids) // 3):
            amount = Money.from_minor(rng.randint(100, 500_000), "GBP")
            if rng.random() < 0.75:
                deposit_cash(
                    s,
                    share_account_id=account_id,
                    amount=amount,
                    actor=STAFF,
                    idempotency_key=f"t-{uuid.uuid4()}",
                    business_date=today,
                )
                continue
            with contextlib.suppress(InsufficientAvailableBalance):
                withdraw_cash(
                    s,
                    share_account_id=account_id,
                    amount=amount,
                    actor=STAFF,
                    idempotency_key=f"t-{uuid.uuid4()}",
                    business_date=today,
                    approval_limit=LIMIT,
                )


def _ledger_id(engine: Engine, share_account_id: int) -> int:
    with unit_of_work(engine) as s:
        return int(
            s.scalar(
                text("SELECT ledger_account_id FROM share_accounts WHERE id = :i"),
                {"i": share_account_id},
            )
        )


def _end_of_day_balances(engine: Engine, ledger_id: int, days: list[dt.date]) -> list[int]:
    with unit_of_work(engine) as s:
        rows = {
            d: int(v)
            for d, v in s.execute(
                text(
                    "SELECT p.business_date, -sum(p.amount_minor) FROM postings p "
                    "JOIN journal_entries e ON e.id = p.entry_id "
                    "WHERE p.account_id = :a AND e.kind <> 'savings_interest' "
                    "GROUP BY p.business_date"
                ),
                {"a": ledger_id},
            )
        }
    balances, running = [], 0
    for day in days:
        running += rows.get(day, 0)
        balances.append(running)
    return balances


@pytest.mark.slow
def test_a_month_of_close_of_business_pays_exact_interest(fresh_engine: Engine) -> None:
    terms = _setup(fresh_engine, accounts_per_product=50)
    ids = list(terms)
    rng = random.Random(31)
    days = [START + dt.timedelta(days=n) for n in range(31)]

    for day in days:
        _day_of_activity(fresh_engine, rng, ids)
        reports = run_close_of_business(fresh_engine)
        assert {r.business_date for r in reports} == {day}
        assert [r.status for r in reports] == ["completed"] * len(reports)
        with unit_of_work(fresh_engine) as s:
            assert check_invariants(s).ok
            assert current_business_date(s) == day + dt.timedelta(days=1)

    with unit_of_work(fresh_engine) as s:
        posted = dict(
            s.execute(
                text(
                    "SELECT sa.id, -sum(p.amount_minor) FROM share_accounts sa "
                    "JOIN postings p ON p.account_id = sa.ledger_account_id "
                    "JOIN journal_entries e ON e.id = p.entry_id AND e.kind = 'savings_interest' "
                    "GROUP BY sa.id"
                )
            ).all()
        )
        assert verify(s).ok
    checked = 0
    for account_id, (rate, day_count) in terms.items():
        balances = _end_of_day_balances(fresh_engine, _ledger_id(fresh_engine, account_id), days)
        exact = sum(
            (
                Fraction(max(b, 0))
                * Fraction(rate)
                * year_fraction_ratio(d - dt.timedelta(1), d, convention=day_count)
                for b, d in zip(balances, days, strict=True)
            ),
            Fraction(0),
        )
        paid = int(posted.get(account_id, 0))
        assert paid <= exact < paid + 1, (account_id, paid, float(exact))
        checked += exact >= 1
    assert checked > 150  # most accounts earned at least a penny


def test_running_close_of_business_again_posts_nothing(fresh_engine: Engine) -> None:
    _setup(fresh_engine, accounts_per_product=3)
    first = run_close_of_business(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        entries = s.scalar(text("SELECT count(*) FROM journal_entries"))

    again = run_close_of_business(fresh_engine, until=START)

    assert {r.business_date for r in first} == {START}
    assert again == []
    with unit_of_work(fresh_engine) as s:
        assert s.scalar(text("SELECT count(*) FROM journal_entries")) == entries


def test_missed_days_are_caught_up_in_order(fresh_engine: Engine) -> None:
    _setup(fresh_engine, accounts_per_product=2)
    until = START + dt.timedelta(days=4)

    assert dates_to_close(fresh_engine, until=until) == [START + dt.timedelta(n) for n in range(5)]
    reports = run_close_of_business(fresh_engine, until=until)

    closed_dates = [r.business_date for r in reports if r.step == "close_and_seal"]
    assert closed_dates == [START + dt.timedelta(n) for n in range(5)]
    order = [(r.business_date, r.step) for r in reports]
    assert order == sorted(order, key=lambda x: (x[0], [r.step for r in reports].index(x[1])))
    with unit_of_work(fresh_engine) as s:
        assert current_business_date(s) == until + dt.timedelta(days=1)
        assert verify(s).ok


def test_an_interrupted_close_is_finished_before_anything_else(fresh_engine: Engine) -> None:
    terms = _setup(fresh_engine, accounts_per_product=2)
    run_steps_for_date(
        fresh_engine, steps=STEPS[:2], business_date=START, step_budget_s=STEP_BUDGET_S
    )  # killed after accrual

    assert dates_to_close(fresh_engine, until=None) == [START]
    reports = run_close_of_business(fresh_engine)

    assert [r.status for r in reports[:2]] == ["skipped", "skipped"]
    assert {r.business_date for r in reports} == {START}
    with unit_of_work(fresh_engine) as s:
        assert current_business_date(s) == START + dt.timedelta(days=1)
        accrued = {
            r[0]: (int(r[1]), int(r[2]))
            for r in s.execute(
                text(
                    "SELECT a.share_account_id, a.accrued_units, -la.balance_minor "
                    "FROM share_accruals a JOIN share_accounts sa ON sa.id = a.share_account_id "
                    "JOIN ledger_accounts la ON la.id = sa.ledger_account_id"
                )
            )
        }
    assert set(accrued) == set(terms)
    for account_id, (units, balance) in accrued.items():
        rate, day_count = terms[account_id]
        factor = daily_factor(annual_rate=rate, day_count=day_count, on=START)
        assert units == daily_accrual_units(balance, factor)  # one day's accrual, not two


def test_loans_accrue_and_collect_through_close_of_business(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=LOAN_DAY)
    loan_id, shares_id, _ = make_loan(
        fresh_engine, amount="600", term=6, shares="1000", on=LOAN_DAY
    )
    with unit_of_work(fresh_engine) as s:
        shares_before = account_minor(s, shares_id)
        first_due = s.scalar(
            text("SELECT min(due_date) FROM loan_instalments WHERE loan_id = :l"), {"l": loan_id}
        )
        instalment = s.scalar(
            text(
                "SELECT principal_minor + interest_minor FROM loan_instalments "
                "WHERE loan_id = :l AND due_date = :d"
            ),
            {"l": loan_id, "d": first_due},
        )

    reports = run_close_of_business(fresh_engine, until=first_due)
    again = run_close_of_business(fresh_engine, until=first_due)

    assert again == []
    steps = {r.step for r in reports}
    assert {"loan_accrual", "loan_collection", "loan_arrears", "loan_offer_expiry"} <= steps
    with unit_of_work(fresh_engine) as s:
        assert account_minor(s, shares_id) == shares_before - int(instalment)
        row = loan_row(s, loan_id)
        assert row.days_past_due == 0
        interest_posted = s.scalar(
            text(
                "SELECT sum(p.amount_minor) FROM postings p JOIN loans l "
                "ON p.account_id = l.interest_account_id JOIN journal_entries e "
                "ON e.id = p.entry_id WHERE l.id = :l AND e.kind LIKE 'loan.accrual%'"
            ),
            {"l": loan_id},
        )
        assert interest_posted and interest_posted > 0
        assert check_invariants(s).ok
        assert verify(s).ok


def test_a_declared_dividend_is_paid_once_on_average_daily_balances(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=START)
        accounts = [
            ShareAccountFactory.create(session=s, business_date=START).id for _ in range(12)
        ]
    rng = random.Random(7)
    for day in range(10):
        with unit_of_work(fresh_engine) as s:
            today = current_business_date(s)
            for account_id in rng.sample(accounts, 6):
                deposit_cash(
                    s,
                    share_account_id=account_id,
                    amount=Money.from_minor(rng.randint(100, 90_000), "GBP"),
                    actor=STAFF,
                    idempotency_key=f"div-{day}-{account_id}",
                    business_date=today,
                )
        run_close_of_business(fresh_engine)
    period_end = START + dt.timedelta(days=9)
    pay_on = period_end + dt.timedelta(days=2)
    with unit_of_work(fresh_engine) as s:
        declare_dividend(
            s,
            product_code="INSTANT",
            period_start=START,
            period_end=period_end,
            pay_on=pay_on,
            annual_rate="0.03",
            declared_by="user:manager-1",
            business_date=current_business_date(s),
        )

    run_close_of_business(fresh_engine, until=pay_on)
    run_close_of_business(fresh_engine, until=pay_on + dt.timedelta(days=1))

    days = [START + dt.timedelta(days=n) for n in range(10)]
    with unit_of_work(fresh_engine) as s:
        paid = {
            int(account): int(amount)
            for account, amount in s.execute(
                text(
                    "SELECT sa.id, -sum(p.amount_minor) FROM share_accounts sa "
                    "JOIN postings p ON p.account_id = sa.ledger_account_id "
                    "JOIN journal_entries e ON e.id = p.entry_id AND e.kind = 'dividend' "
                    "GROUP BY sa.id"
                )
            )
        }
        status = s.scalar(text("SELECT status FROM dividend_declarations"))
        assert check_invariants(s).ok
    assert status == "paid"
    for account_id in accounts:
        balances = _end_of_day_balances(fresh_engine, _ledger_id(fresh_engine, account_id), days)
        expected = int(Fraction(sum(balances)) * Fraction(3, 100) / 365)
        assert paid.get(account_id, 0) == expected
    assert sum(paid.values()) > 0


def test_the_first_close_seals_history_posted_before_it(fresh_engine: Engine) -> None:
    today = START + dt.timedelta(days=5)
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=today)
        account = ShareAccountFactory.create(session=s, business_date=START).id
        for day in range(5):  # migrated history, dated before the first close of business
            deposit_cash(
                s,
                share_account_id=account,
                amount=Money("10.00", "GBP"),
                actor=STAFF,
                idempotency_key=f"history-{day}",
                business_date=START + dt.timedelta(days=day),
            )

    reports = run_close_of_business(fresh_engine)

    seal = next(r for r in reports if r.step == "close_and_seal")
    assert seal.business_date == today and seal.items == 5
    with unit_of_work(fresh_engine) as s:
        sealed = s.scalars(
            text("SELECT business_date FROM ledger_day_seals ORDER BY business_date")
        ).all()
        assert sealed == [START + dt.timedelta(days=n) for n in range(6)]
        assert verify(s).ok
