"""Loan accounting in close of business: provisions, the allowance, write-offs against it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from creditunion.database import unit_of_work
from ledger.accounts import get_account_by_code
from ledger.chart import ALLOWANCE_FOR_LOAN_LOSSES, IMPAIRMENT_EXPENSE
from ledger.invariants import check_invariants
from ledger.models import JournalEntry
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import accrue_interest
from loans.services.provisioning import provide_for_losses
from loans.services.repayments import RepaymentSource, settle
from loans.services.writeoff import write_off_loan
from tests.factories_loans import account_minor, loan_row, make_loan

FIRST_DUE = dt.date(2026, 2, 15)  # of a loan made on 15 Jan 2026


def provide(engine: Engine, day: dt.date) -> tuple[int, int]:
    """Age arrears and provide at `day`; (allowance credit, impairment expense) after."""
    with unit_of_work(engine) as s:
        age_arrears(s, business_date=day, write_off_after_days=120)
        provide_for_losses(s, business_date=day)
        allowance = get_account_by_code(s, ALLOWANCE_FOR_LOAN_LOSSES).id
        expense = get_account_by_code(s, IMPAIRMENT_EXPENSE).id
        return -account_minor(s, allowance), account_minor(s, expense)


def provision_entries(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(JournalEntry)
                .where(JournalEntry.kind == "loan.provision")
            )
            or 0
        )


def test_a_loan_in_arrears_is_provided_for_and_its_write_off_uses_the_allowance(
    fresh_engine: Engine,
) -> None:
    # 400.00 over two months, nothing ever paid (no interest accrued in this test, so the
    # amount outstanding is the principal). Oldest unpaid due date: 15 Feb.
    loan_id, _, _ = make_loan(fresh_engine, amount="400", term=2, mandate=False)
    # 30 Apr: 74 days past due, not more than three months in arrears: nothing under CREDS.
    assert provide(fresh_engine, dt.date(2026, 4, 30)) == (0, 0)
    assert provision_entries(fresh_engine) == 0
    # 31 May: 15 Feb + 3 months = 15 May, before 31 May: 35% of 400.00 = 140.00.
    assert provide(fresh_engine, dt.date(2026, 5, 31)) == (14_000, 14_000)
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        assert (loan.provision_minor, loan.provisioned_on) == (14_000, dt.date(2026, 5, 31))
    # A rerun for the same month end moves nothing.
    assert provide(fresh_engine, dt.date(2026, 5, 31)) == (14_000, 14_000)
    assert provision_entries(fresh_engine) == 1
    # Written off at 120 days past due (15 Jun): the allowance bears 140.00, expense 260.00.
    with unit_of_work(fresh_engine) as s:
        result = write_off_loan(
            s,
            loan_id=loan_id,
            business_date=dt.date(2026, 6, 15),
            actor="user:manager-1",
            reason="no contact",
            min_days_past_due=120,
        )
        assert (result.from_allowance.minor_units, result.to_expense.minor_units) == (
            14_000,
            26_000,
        )
        assert loan_row(s, loan_id).provision_minor == 0
    # 30 Jun: nothing left to provide for, the allowance already empty: no entry.
    assert provide(fresh_engine, dt.date(2026, 6, 30)) == (0, 40_000)
    assert provision_entries(fresh_engine) == 1
    with unit_of_work(fresh_engine) as s:
        assert check_invariants(s).ok


def test_the_allowance_is_released_when_the_loan_is_settled(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="400", term=2, mandate=False)
    assert provide(fresh_engine, dt.date(2026, 5, 31)) == (14_000, 14_000)
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=dt.date(2026, 6, 10))
        settle(
            s,
            loan_id=loan_id,
            source=RepaymentSource.cash(),
            idempotency_key="settle-1",
            business_date=dt.date(2026, 6, 10),
            actor="user:teller-1",
        )
    # 30 Jun: a settled loan needs no provision: the 140.00 is released against expense.
    assert provide(fresh_engine, dt.date(2026, 6, 30)) == (0, 0)
    assert provision_entries(fresh_engine) == 2
    with unit_of_work(fresh_engine) as s:
        assert loan_row(s, loan_id).provision_minor == 0
        assert check_invariants(s).ok
