"""Read models for staff and members, and commands racing each other."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from creditunion.platform.database import run_command, unit_of_work
from ledger.checks import InsufficientFunds
from ledger.invariants import check_invariants
from ledger.models import JournalEntry
from ledger.ownership import STAFF, MemberScope
from loans.accrual import replay
from loans.errors import LoansConflict
from loans.frequency import Frequency
from loans.models import LoanTransactionRow
from loans.services.applications import decide_application, submit_application
from loans.services.cob_accrual import accrue_interest
from loans.services.collection import collect_due_instalments
from loans.services.origination import AcceptanceRefused, accept_offer
from loans.services.queries import (
    get_loan,
    loan_ledger_entries,
    loan_schedule,
    loan_transactions,
    member_loans,
)
from loans.services.repayments import RepaymentResult, RepaymentSource, repay
from loans.services.seed import PAL_II_EXAMPLE
from loans.services.state import LoanNotFound, catch_up, terms_of
from tests.factories_loans import (
    TODAY,
    account_minor,
    accrual_of,
    books,
    gbp,
    loan_row,
    make_loan,
    make_product,
    member,
    policy,
    share_account,
    shares_balance,
    statement,
    usd,
    withdraw,
)

T = TypeVar("T")


def together(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run `work(i)` on `count` threads released at the same moment."""
    start = threading.Barrier(count)

    def one(index: int) -> T | BaseException:
        start.wait()
        try:
            return work(index)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_staff_and_member_views(engine: Engine) -> None:
    loan_id, shares, facts = make_loan(engine, amount="1000", term=12, shares="200")
    with unit_of_work(engine) as s:
        repay(
            s,
            loan_id=loan_id,
            amount=gbp("94.56"),
            source=RepaymentSource.shares(shares),
            idempotency_key="a",
            business_date=dt.date(2026, 2, 15),
            actor="member",
            scope=STAFF,
        )
    with unit_of_work(engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=MemberScope(facts.member_id))
        schedule = loan_schedule(s, loan_id=loan_id, scope=STAFF)
        page = loan_transactions(s, loan_id=loan_id, limit=1, scope=STAFF)
        rest = loan_transactions(s, loan_id=loan_id, after_id=page[-1].id, scope=STAFF)
        entries = loan_ledger_entries(s, loan_id=loan_id)
        mine = member_loans(s, member_id=facts.member_id, business_date=dt.date(2026, 2, 20))
        with pytest.raises(LoanNotFound):
            get_loan(s, loan_id=loan_id, scope=MemberScope(facts.member_id + 1))
        with pytest.raises(LoanNotFound):
            loan_schedule(s, loan_id=loan_id, scope=MemberScope(facts.member_id + 1))
    assert loan.next_payment is not None
    assert (loan.next_payment.number, loan.next_payment.due_date, loan.next_payment.amount) == (
        2,
        dt.date(2026, 3, 15),
        gbp("94.56"),
    )
    assert (loan.principal_outstanding, loan.interest_receivable) == (gbp("925.44"), gbp("0"))
    assert (schedule[0].paid, schedule[0].paid_on, len(schedule)) == (
        gbp("94.56"),
        dt.date(2026, 2, 15),
        12,
    )
    assert [t.kind.value for t in page + rest] == ["disbursement", "repayment"]
    assert [e.kind for e in entries] == ["loan.disbursement", "loan.accrual", "loan.repayment"]
    assert {line.role for line in entries[-1].lines} == {"other", "interest", "principal"}
    assert [m.loan.id for m in mine] == [loan_id]
    # Five days of 2% a month on 925.44 since 15 Feb: 3.01 (925.44 x 0.0032605).
    assert mine[0].settlement.total == gbp("925.44") + gbp("3.01")


def test_a_repayment_retried_at_once_posts_once(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(engine, shares="100")

    def pay(_: int) -> RepaymentResult:
        return run_command(
            engine,
            lambda s: repay(
                s,
                loan_id=loan_id,
                amount=gbp("25"),
                source=RepaymentSource.shares(shares),
                idempotency_key="tap-twice",
                business_date=TODAY,
                actor="member",
                scope=STAFF,
            ),
        )

    results = together(6, pay)
    assert not [r for r in results if isinstance(r, BaseException)]
    with unit_of_work(engine) as s:
        assert (
            s.scalar(
                select(func.count()).where(
                    LoanTransactionRow.loan_id == loan_id, LoanTransactionRow.kind == "repayment"
                )
            )
            == 1
        )
        assert shares_balance(s, shares) == gbp("1075")
        assert len({r.transaction_id for r in results if isinstance(r, RepaymentResult)}) == 1


def test_two_pal_offers_accepted_at_once_make_one_loan(fresh_engine: Engine) -> None:
    facts = member(fresh_engine, net_worth=usd("10000000"))
    applications = []
    with unit_of_work(fresh_engine) as s:
        books(s, "USD")
        code = make_product(s, PAL_II_EXAMPLE)
        shares = share_account(s, usd("100"))
        for _ in range(2):
            application = submit_application(
                s,
                member_id=facts.member_id,
                product_code=code,
                amount=usd("300"),
                term=3,
                frequency=Frequency.MONTHLY,
                purpose="car",
                statement=statement("4000", "USD"),
                business_date=TODAY,
            )
            decide_application(
                s,
                application_id=application.id,
                member=facts,
                policy=policy("USD"),
                business_date=TODAY,
            )
            applications.append(application.id)

    def accept(index: int) -> int:
        return run_command(
            fresh_engine,
            lambda s: accept_offer(
                s,
                application_id=applications[index],
                member=facts,
                share_account_id=shares,
                policy=policy("USD"),
                business_date=TODAY,
            ),
        )

    results = together(2, accept)
    made = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, AcceptanceRefused)]
    assert (len(made), len(refused)) == (1, 1)
    assert "pal.one_outstanding" in [r.code for r in refused[0].reasons]


def test_collection_racing_a_withdrawal_never_breaks_the_floor(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    due = dt.date(2026, 2, 15)
    for offset in range(1, 32):
        with unit_of_work(fresh_engine) as s:
            accrue_interest(s, business_date=TODAY + dt.timedelta(days=offset))

    def work(index: int) -> object:
        if index == 0:
            return run_command(
                fresh_engine, lambda s: collect_due_instalments(s, business_date=due)
            )

        return run_command(
            fresh_engine,
            lambda s: withdraw(s, shares, gbp("950"), on=due, key="withdraw-all-but-50"),
        )

    results = together(2, work)
    assert all(
        not isinstance(r, BaseException) or isinstance(r, InsufficientFunds) for r in results
    )
    with unit_of_work(fresh_engine) as s:
        assert shares_balance(s, shares) >= gbp("0")
        collected = s.scalar(
            select(func.coalesce(func.sum(LoanTransactionRow.amount_minor), 0)).where(
                LoanTransactionRow.loan_id == loan_id, LoanTransactionRow.kind == "collection"
            )
        )
        # Either the collection went first (94.56 taken; 950.00 no longer fits in 905.44
        # and the withdrawal is refused) or the withdrawal did (50.00 left to collect).
        assert collected in (9_456, 5_000)
        assert check_invariants(s).ok


def _blocked_on_a_lock(engine: Engine, pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            waiting = conn.scalar(
                text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            )
        if waiting:
            return True
        time.sleep(0.02)
    return False


def test_a_collection_that_waits_for_a_withdrawal_collects_what_it_left(
    fresh_engine: Engine,
) -> None:
    """The collection starts while a withdrawal of all but 50.00 is posted but not yet
    committed: it must wait, then take the 50.00 (not plan on the old balance and then
    be refused for all of it)."""
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    due = dt.date(2026, 2, 15)
    for offset in range(1, 32):
        with unit_of_work(fresh_engine) as s:
            accrue_interest(s, business_date=TODAY + dt.timedelta(days=offset))
    pid: list[int] = []

    def collect(s: Session) -> object:
        pid.append(int(s.scalar(text("SELECT pg_backend_pid()")) or 0))
        return collect_due_instalments(s, business_date=due)

    with ThreadPoolExecutor(1) as pool:
        with unit_of_work(fresh_engine) as uncommitted:
            withdraw(uncommitted, shares, gbp("950"), on=due, key="withdraw-all-but-50-first")
            running = pool.submit(run_command, fresh_engine, collect)
            while not pid:
                time.sleep(0.01)
            assert _blocked_on_a_lock(fresh_engine, pid[0])
        run = running.result(timeout=30)
    assert (run.collected_in_part, run.not_collected, run.collected) == (1, 0, {"GBP": 5_000})
    with unit_of_work(fresh_engine) as s:
        assert shares_balance(s, shares) == gbp("0")
        assert [
            t.amount
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind == "collection"
        ] == [gbp("50.00")]
        assert check_invariants(s).ok


def test_a_payment_racing_the_accrual_accrues_each_day_once(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12, shares="100")
    day = TODAY + dt.timedelta(days=1)

    def work(index: int) -> object:
        if index == 0:
            return run_command(fresh_engine, lambda s: accrue_interest(s, business_date=day))
        return run_command(
            fresh_engine,
            lambda s: repay(
                s,
                loan_id=loan_id,
                amount=gbp("100"),
                source=RepaymentSource.shares(shares),
                idempotency_key="race",
                business_date=day,
                actor="member",
                scope=STAFF,
            ),
        )

    results = together(2, work)
    assert not [r for r in results if isinstance(r, BaseException)]
    with unit_of_work(fresh_engine) as s:
        row = loan_row(s, loan_id)
        accrued = s.scalar(
            select(func.count()).where(
                JournalEntry.reference == f"loan:{loan_id}", JournalEntry.kind == "loan.accrual"
            )
        )
        assert accrued == 1
        expected = replay(terms_of(row), principal_changes=[(TODAY, 100_000)], through=day)
        interest_paid = sum(
            t.interest.minor_units for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
        )
        assert account_minor(s, row.interest_account_id) + interest_paid == expected == 65
        assert accrual_of(s, loan_id).accrued_through == day
        with pytest.raises(LoansConflict):  # accrual never runs backwards
            catch_up(s, row, through=TODAY, actor="x", interest_income_id=1)
