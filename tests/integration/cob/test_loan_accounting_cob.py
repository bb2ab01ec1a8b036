"""Half a year of close of business on a loan that is never paid: arrears, non-accrual,
the month-end provision, write-off against the allowance, a recovery; invariants hold."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from creditunion.cob.plan import run_close_of_business
from creditunion.database import unit_of_work
from creditunion.settings import Settings
from creditunion.setup import initialise
from ledger.accounts import get_account_by_code
from ledger.chart import (
    ALLOWANCE_FOR_LOAN_LOSSES,
    IMPAIRMENT_EXPENSE,
    INTEREST_IN_SUSPENSE,
    LOAN_INTEREST_INCOME,
)
from ledger.invariants import check_invariants
from ledger.money import Money
from ledger.verify import verify
from loans.services.repayments import RepaymentSource
from loans.services.writeoff import record_recovery, write_off_loan
from tests.factories_loans import TODAY, account_minor, loan_row, make_loan


def _entries(engine: Engine, kind: str) -> list[tuple[dt.date, int]]:
    """(business date, amount debited) of each entry of `kind`, in order."""
    with unit_of_work(engine) as s:
        rows = s.execute(
            text(
                "SELECT e.business_date, sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0) "
                "FROM journal_entries e JOIN postings p ON p.entry_id = e.id "
                "WHERE e.kind = :k GROUP BY e.id, e.business_date ORDER BY e.business_date"
            ),
            {"k": kind},
        ).all()
    return [(day, int(amount)) for day, amount in rows]


def _balances(engine: Engine, *codes: str) -> list[int]:
    with unit_of_work(engine) as s:
        return [account_minor(s, get_account_by_code(s, code).id) for code in codes]


def test_a_loan_never_paid_through_half_a_year_of_close_of_business(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
    # 600.00 over six months at 2% a month, no collection mandate, nothing ever paid.
    loan_id, _, _ = make_loan(fresh_engine, amount="600", term=6, on=TODAY, mandate=False)

    run_close_of_business(fresh_engine, until=dt.date(2026, 6, 30))

    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        assert loan.days_past_due == 135  # unpaid since 15 Feb
        assert loan.non_accrual_since == dt.date(2026, 5, 16)  # 90 days past due
        assert loan.suspended_interest_minor == account_minor(s, loan.interest_account_id) > 0
        assert loan.provision_minor == 21_000  # 35% of 600.00, more than 3 months in arrears
        assert check_invariants(s).ok
        assert verify(s).ok
    # The allowance moved once, on 31 May; 31 Jan to 30 Apr needed nothing, and on 30 Jun
    # the carrying amount (600.00, the interest being in suspense) had not changed.
    assert _entries(fresh_engine, "loan.provision") == [(dt.date(2026, 5, 31), 21_000)]
    suspended = _entries(fresh_engine, "loan.non_accrual")
    assert suspended[0][0] == dt.date(2026, 5, 16) and len(suspended) == 46  # one a day
    income, suspense, allowance = _balances(
        fresh_engine, LOAN_INTEREST_INCOME, INTEREST_IN_SUSPENSE, ALLOWANCE_FOR_LOAN_LOSSES
    )
    assert (income, allowance) == (0, -21_000)  # nothing was ever paid

    # The next day a manager writes the loan off; the allowance bears 210.00 of it.
    day = dt.date(2026, 7, 1)
    with unit_of_work(fresh_engine) as s:
        result = write_off_loan(
            s,
            loan_id=loan_id,
            business_date=day,
            actor="user:manager-1",
            reason="no contact since February",
            min_days_past_due=120,
        )
        assert result.from_suspense.minor_units == -suspense
        assert result.from_allowance == Money("210.00", "GBP")
        assert result.to_expense == Money("390.00", "GBP")
        record_recovery(
            s,
            loan_id=loan_id,
            amount=Money("50.00", "GBP"),
            source=RepaymentSource.cash(),
            idempotency_key="recovered-1",
            business_date=day,
            actor="user:teller-1",
        )
    run_close_of_business(fresh_engine, until=dt.date(2026, 7, 31))
    again = run_close_of_business(fresh_engine, until=dt.date(2026, 7, 31))

    assert again == []
    assert _entries(fresh_engine, "loan.provision") == [(dt.date(2026, 5, 31), 21_000)]
    assert _balances(
        fresh_engine,
        LOAN_INTEREST_INCOME,
        INTEREST_IN_SUSPENSE,
        ALLOWANCE_FOR_LOAN_LOSSES,
        IMPAIRMENT_EXPENSE,
    ) == [0, 0, 0, 60_000]
    with unit_of_work(fresh_engine) as s:
        assert check_invariants(s).ok
        assert verify(s).ok
