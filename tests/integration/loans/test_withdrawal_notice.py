"""Notice of withdrawal (CCA s.66A) and the 30 days to repay the credit and interest.

1,000.00 lent on 15 Jan 2026 at 1% a month (ACT/365, interest rounded down) with a 10.00
arrangement fee financed in the principal (1,010.00 owed, 1,000.00 credit). Interest on
the credit for d days inside a period is 1000 x (1.01 ** (12d/365) - 1); a whole month
is 10.00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account_by_code
from ledger.chart import LOAN_INTEREST_INCOME
from ledger.invariants import check_invariants
from ledger.models import Posting
from ledger.ownership import STAFF
from loans.frequency import Frequency
from loans.models import LoanRow, LoanStatus, TransactionKind
from loans.product import AmountRange, Fee, FeeKind, FeeTreatment, TermRange
from loans.rate import InterestRate
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import accrue_interest
from loans.services.collection import collect_due_instalments
from loans.services.queries import get_loan, loan_schedule, loan_transactions
from loans.services.repayments import RepaymentSource
from loans.services.withdrawal import (
    WithdrawalNoticeGiven,
    WithdrawalPeriodOver,
    give_withdrawal_notice,
    withdraw_loan,
)
from tests.factories_loans import TODAY, account_minor, gb_product, gbp, make_loan, shares_balance

FIRST_DUE = dt.date(2026, 2, 15)


def financed_fee_loan(engine: Engine) -> tuple[int, int]:
    product = gb_product(
        rate=InterestRate.monthly(Decimal("0.01")),
        amounts=AmountRange(gbp("500"), gbp("2000")),
        terms=TermRange(6, 24),
        frequencies=frozenset({Frequency.MONTHLY}),
        fees=(Fee(FeeKind.ARRANGEMENT, gbp("10"), FeeTreatment.ADDED),),
    )
    loan_id, shares, _ = make_loan(engine, product=product, amount="1000", term=12, shares="100")
    return loan_id, shares


def _fee_accounts(s: Session, loan_id: int) -> list[int]:
    """The accounts the loan's disbursement credited with its fee."""
    loan = s.get(LoanRow, loan_id)
    assert loan is not None
    return list(
        s.scalars(
            select(Posting.account_id).where(
                Posting.entry_id == loan.disbursement_entry_id,
                Posting.account_id.not_in(
                    (loan.principal_account_id, loan.disbursement_account_id)
                ),
            )
        )
    )


def cob(engine: Engine, first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        with unit_of_work(engine) as s:
            accrue_interest(s, business_date=day)
            collect_due_instalments(s, business_date=day)
            age_arrears(s, business_date=day, write_off_after_days=120)
        day += dt.timedelta(days=1)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_notice_then_repayment_within_thirty_days_completes_the_withdrawal(
    fresh_engine: Engine,
) -> None:
    loan_id, shares = financed_fee_loan(fresh_engine)
    notice_day = TODAY + dt.timedelta(days=5)
    cob(fresh_engine, TODAY + dt.timedelta(days=1), notice_day - dt.timedelta(days=1))
    with unit_of_work(fresh_engine) as s:
        fee_accounts = _fee_accounts(s, loan_id)
        interest_income = get_account_by_code(s, LOAN_INTEREST_INCOME).id
        income_before = account_minor(s, interest_income)  # 4 days on 1,010.00
        notice = give_withdrawal_notice(
            s, loan_id=loan_id, business_date=notice_day, actor="member:1", scope=STAFF
        )
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        schedule = loan_schedule(s, loan_id=loan_id, scope=STAFF)
    # The repay-by date is the 30th day after the day notice was given.
    assert (notice.given_on, notice.repay_by) == (notice_day, dt.date(2026, 2, 19))
    # The fee is reversed; 5 days' interest on 1,010.00 (1.65) less on 1,000.00 (1.63).
    assert (notice.fees_refunded, notice.interest_given_back) == (gbp("10"), gbp("0.02"))
    assert (loan.status, loan.withdrawal_notice_on, loan.withdrawal_repay_by) == (
        LoanStatus.ACTIVE,
        notice_day,
        dt.date(2026, 2, 19),
    )
    assert (loan.principal_outstanding, loan.interest_receivable, loan.fees_receivable) == (
        gbp("1000"),
        gbp("1.63"),
        gbp("0"),
    )
    # One amount, everything owed, due on the repay-by date; no instalment before it.
    assert [(r.due_date, r.principal) for r in schedule] == [(dt.date(2026, 2, 19), gbp("1000"))]
    assert loan.maturity_date == dt.date(2026, 2, 19)

    # Interest keeps accruing on the credit; the mandate collects nothing on 15 Feb.
    cob(fresh_engine, notice_day, dt.date(2026, 2, 16))
    repaid_on = dt.date(2026, 2, 16)
    with unit_of_work(fresh_engine) as s:
        assert get_loan(s, loan_id=loan_id, scope=STAFF).interest_receivable == gbp("10.32")
        result = withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="repay",
            business_date=repaid_on,
            actor="member:1",
            scope=STAFF,
        )
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        kinds = [t.kind for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)]
        # A month on 1,000.00 (10.00) and a day of the next (0.3275, rounded down: 0.32).
        assert (result.credit, result.interest, result.paid) == (
            gbp("1000"),
            gbp("10.32"),
            gbp("1010.32"),
        )
        assert result.fees_refunded == gbp("10")
        assert (loan.status, loan.withdrawn_on, loan.outstanding) == (
            LoanStatus.WITHDRAWN,
            repaid_on,
            gbp("0"),
        )
        assert kinds == [
            TransactionKind.DISBURSEMENT,
            TransactionKind.WITHDRAWAL,
            TransactionKind.REPAYMENT,
        ]
        # The member paid the credit and the interest on it, nothing else.
        assert shares_balance(s, shares) == gbp("1100") - gbp("1010.32")
        # The fee the disbursement credited (to income or deferred income) is reversed;
        # this database holds no other loan.
        assert {account: account_minor(s, account) for account in fee_accounts} == dict.fromkeys(
            fee_accounts, 0
        )
        # Interest income from the loan is the interest on the credit, 10.32, and no more.
        assert (income_before, account_minor(s, interest_income)) == (132, 1_032)
        assert check_invariants(s).ok


def test_not_repaid_by_the_thirtieth_day_the_debt_stays_owed_and_ages_without_fees(
    fresh_engine: Engine,
) -> None:
    loan_id, shares = financed_fee_loan(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        # A late fee on the loan's terms: under notice it is never charged.
        s.execute(update(LoanRow).where(LoanRow.id == loan_id).values(late_fee_minor=500))
        give_withdrawal_notice(
            s,
            loan_id=loan_id,
            business_date=TODAY + dt.timedelta(days=2),
            actor="user:officer-1",
            scope=STAFF,
        )
    cob(fresh_engine, TODAY + dt.timedelta(days=1), dt.date(2026, 2, 20))
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        kinds = [t.kind for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)]
        assert loan.withdrawal_repay_by == dt.date(2026, 2, 16)
        # Past due from the repay-by date, all of it; no collection, no fee.
        assert (loan.status, loan.days_past_due, loan.arrears_bucket) == (
            LoanStatus.ACTIVE,
            4,
            "1-30",
        )
        assert loan.arrears == loan.outstanding
        assert kinds == [TransactionKind.DISBURSEMENT, TransactionKind.WITHDRAWAL]
        # Interest on the credit to the day: a month (10.00), 5 days (1.637, down: 1.63).
        assert (loan.principal_outstanding, loan.interest_receivable, loan.fees_receivable) == (
            gbp("1000"),
            gbp("11.63"),
            gbp("0"),
        )
        result = withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="late",
            business_date=dt.date(2026, 2, 20),
            actor="member:1",
            scope=STAFF,
        )
        assert (result.paid, result.interest) == (gbp("1011.63"), gbp("11.63"))
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        assert (loan.status, loan.withdrawn_on) == (LoanStatus.WITHDRAWN, dt.date(2026, 2, 20))
        assert check_invariants(s).ok


def test_notice_only_within_fourteen_days_and_only_once(fresh_engine: Engine) -> None:
    loan_id, _ = financed_fee_loan(fresh_engine)
    with unit_of_work(fresh_engine) as s, pytest.raises(WithdrawalPeriodOver):
        give_withdrawal_notice(
            s,
            loan_id=loan_id,
            business_date=TODAY + dt.timedelta(days=15),
            actor="member:1",
            scope=STAFF,
        )
    with unit_of_work(fresh_engine) as s:
        give_withdrawal_notice(
            s,
            loan_id=loan_id,
            business_date=TODAY + dt.timedelta(days=14),
            actor="member:1",
            scope=STAFF,
        )
    with unit_of_work(fresh_engine) as s:
        with pytest.raises(WithdrawalNoticeGiven):
            give_withdrawal_notice(
                s,
                loan_id=loan_id,
                business_date=TODAY + dt.timedelta(days=14),
                actor="member:1",
                scope=STAFF,
            )
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        assert loan.withdrawal_repay_by == TODAY + dt.timedelta(days=44)
