"""Direct debits under concurrency: two collection runs at once collect each item once, the
same unpaid report imported twice at once is applied once, and a member paying the loan
off while it is collected keeps every penny (what the loan no longer owes reaches shares)."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, func, select

from creditunion.errors import DomainError
from creditunion.payments.collections.collect import collect_due
from creditunion.payments.collections.models import Collection, CollectionStatus
from creditunion.payments.inbound_files import FileAlreadyImported
from creditunion.platform.database import unit_of_work
from ledger.money import Money
from ledger.ownership import STAFF
from loans.models import LoanRow, LoanStatus, LoanTransactionRow, TransactionKind
from loans.services.repayments import RepaymentSource, settle
from tests.factories_loans import shares_balance
from tests.integration.payments.collection_world import UK, books_agree, borrower
from tests.integration.payments.test_collection_files import (
    _first,
    _import,
    _send,
    _unpaid_report,
)
from tests.share_account_helpers import run_threads


def test_two_collection_runs_at_once_collect_each_item_once(fresh_engine: Engine) -> None:
    b = borrower(fresh_engine)
    first = _first(b)
    _send(b, UK, first.collection_date)
    b.accrue_to(first.collection_date)
    counts: list[int] = []
    lock = threading.Lock()

    def run(_: int) -> None:
        with unit_of_work(fresh_engine) as s:
            collected = collect_due(s, business_date=first.collection_date, actor="system:cob")
        with lock:
            counts.append(collected)

    run_threads(run, 2)
    assert sorted(counts) == [0, 1]
    with unit_of_work(fresh_engine) as s:
        collections = s.scalar(
            select(func.count()).where(
                LoanTransactionRow.loan_id == b.loan_id,
                LoanTransactionRow.kind == TransactionKind.COLLECTION,
            )
        )
    assert collections == 1
    books_agree(fresh_engine, first.collection_date)


def test_the_same_unpaid_report_twice_at_once_is_applied_once(fresh_engine: Engine) -> None:
    b = borrower(fresh_engine)
    first = _first(b)
    file = _send(b, UK, first.collection_date)
    b.collect(first.collection_date)
    report = _unpaid_report(file, (first.end_to_end_id, "AM04"), message_id="ARUDDRACE")
    day = first.collection_date + dt.timedelta(days=1)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(_: int) -> None:
        try:
            result = _import(fresh_engine, UK, report, day)
            outcome = f"unpaid {result.unpaid}"
        except FileAlreadyImported:
            outcome = "already imported"
        with lock:
            outcomes.append(outcome)

    run_threads(run, 3)
    assert sorted(outcomes) == ["already imported", "already imported", "unpaid 1"]
    with unit_of_work(fresh_engine) as s:
        unpaid = s.scalar(
            select(func.count()).where(
                LoanTransactionRow.loan_id == b.loan_id,
                LoanTransactionRow.kind == TransactionKind.UNPAID,
            )
        )
    assert unpaid == 1
    books_agree(fresh_engine, day)


def test_paying_off_while_the_collection_runs_loses_nothing(fresh_engine: Engine) -> None:
    b = borrower(fresh_engine)
    first = _first(b)
    _send(b, UK, first.collection_date)
    day = first.collection_date
    b.accrue_to(day)
    with unit_of_work(fresh_engine) as s:
        shares_before = shares_balance(s, b.share_account_id)
    done: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            with unit_of_work(fresh_engine) as s:
                if n == 0:
                    collect_due(s, business_date=day, actor="system:cob")
                else:
                    # The member pays the loan off in cash at the branch.
                    settle(
                        s,
                        loan_id=b.loan_id,
                        source=RepaymentSource.cash(),
                        idempotency_key="pay-off-race",
                        business_date=day,
                        actor="user:teller-1",
                        scope=STAFF,
                    )
            outcome = "collected" if n == 0 else "paid off"
        except DomainError as exc:
            outcome = type(exc).__name__
        with lock:
            done.append(outcome)

    run_threads(run, 2)
    assert "collected" in done
    # Paid off first, or refused because the collection had just changed what is owed.
    assert set(done) - {"collected"} <= {"paid off", "PaymentExceedsBalance"}
    with unit_of_work(fresh_engine) as s:
        row = s.scalar(select(Collection).where(Collection.id == first.id))
        assert row is not None and row.status is CollectionStatus.COLLECTED
        loan = s.get(LoanRow, b.loan_id)
        assert loan is not None
        shares_after = shares_balance(s, b.share_account_id)
        if "paid off" in done:
            # Whichever ran first, the loan is cleared and the collection's part it no
            # longer needed is in the member's shares.
            assert loan.status is LoanStatus.SETTLED
            assert row.excess_minor + row.principal_minor + row.interest_minor + row.fees_minor == (
                first.amount_minor
            )
            assert shares_after - shares_before == Money.from_minor(row.excess_minor, "GBP")
    books_agree(fresh_engine, day)
