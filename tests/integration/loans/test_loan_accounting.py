"""Loan accounting in close of business: provisions, non-accrual, deferred fees, write-offs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine, func, select

from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account_by_code
from ledger.chart import (
    ALLOWANCE_FOR_LOAN_LOSSES,
    DEFERRED_LOAN_FEE_INCOME,
    FEE_INCOME,
    IMPAIRMENT_EXPENSE,
    INTEREST_IN_SUSPENSE,
    LOAN_INTEREST_INCOME,
)
from ledger.entry import EntryRequest, Line
from ledger.invariants import check_invariants
from ledger.models import JournalEntry, Posting
from ledger.ownership import STAFF
from ledger.posting import post_entry
from loans.frequency import Frequency
from loans.models import LoanFeeRecognitionRow
from loans.product import AmountRange, Fee, FeeKind, FeeTreatment, TermRange
from loans.rate import InterestRate
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import accrue_interest
from loans.services.fee_recognition import recognise_fees
from loans.services.non_accrual import apply_non_accrual
from loans.services.provisioning import provide_for_losses
from loans.services.repayments import RepaymentSource, repay, settle
from loans.services.withdrawal import withdraw_loan
from loans.services.writeoff import write_off_loan
from tests.factories_loans import account_minor, gb_product, gbp, loan_row, make_loan

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
            scope=STAFF,
        )
    # 30 Jun: a settled loan needs no provision: the 140.00 is released against expense.
    assert provide(fresh_engine, dt.date(2026, 6, 30)) == (0, 0)
    assert provision_entries(fresh_engine) == 2
    with unit_of_work(fresh_engine) as s:
        assert loan_row(s, loan_id).provision_minor == 0
        assert check_invariants(s).ok


def fee_loan(engine: Engine, *, term: int) -> int:
    """400.00 at 1% a month with a 10.00 arrangement fee deducted, nothing ever collected."""
    product = gb_product(
        rate=InterestRate.monthly(Decimal("0.01")),
        amounts=AmountRange(gbp("400"), gbp("2000")),
        terms=TermRange(3, 24),
        frequencies=frozenset({Frequency.MONTHLY}),
        fees=(Fee(FeeKind.ARRANGEMENT, gbp("10"), FeeTreatment.DEDUCTED),),
    )
    loan_id, _, _ = make_loan(engine, product=product, amount="400", term=term, mandate=False)
    return loan_id


def close(engine: Engine, day: dt.date) -> None:
    """The loan steps of close of business for `day`, in the plan's order."""
    with unit_of_work(engine) as s:
        accrue_interest(s, business_date=day)
        recognise_fees(s, business_date=day)
        age_arrears(s, business_date=day, write_off_after_days=120)
        apply_non_accrual(s, business_date=day)
        if day.month != (day + dt.timedelta(days=1)).month:
            provide_for_losses(s, business_date=day)


def balances_of(engine: Engine, *codes: str) -> list[int]:
    with unit_of_work(engine) as s:
        return [account_minor(s, get_account_by_code(s, code).id) for code in codes]


def fee_rows(engine: Engine, loan_id: int) -> list[tuple[int, dt.date | None]]:
    with unit_of_work(engine) as s:
        rows = s.execute(
            select(LoanFeeRecognitionRow.amount_minor, LoanFeeRecognitionRow.recognised_on)
            .where(LoanFeeRecognitionRow.loan_id == loan_id)
            .order_by(LoanFeeRecognitionRow.number)
        ).all()
        return [(int(amount), on) for amount, on in rows]


def test_a_deferred_fee_is_earned_period_by_period_and_the_rest_on_settlement(
    fresh_engine: Engine,
) -> None:
    loan_id = fee_loan(fresh_engine, term=3)
    rows = fee_rows(fresh_engine, loan_id)
    # The effective-rate shares of 10.00 over three months: exactly 4.9377, 3.3556 and
    # 1.7067, cumulative half-even to whole pence (docs/calculations.md).
    assert [amount for amount, _ in rows] == [494, 335, 171]
    assert sum(amount for amount, _ in rows) == 1_000
    assert balances_of(fresh_engine, DEFERRED_LOAN_FEE_INCOME, FEE_INCOME) == [1_000, 0]
    with unit_of_work(fresh_engine) as s:
        assert recognise_fees(s, business_date=dt.date(2026, 2, 14)).earned == {}
        assert recognise_fees(s, business_date=FIRST_DUE).earned == {"GBP": 494}
        assert recognise_fees(s, business_date=FIRST_DUE).earned == {}  # a rerun: nothing
    assert balances_of(fresh_engine, DEFERRED_LOAN_FEE_INCOME, FEE_INCOME) == [506, 494]
    settled_on = dt.date(2026, 3, 1)
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=settled_on)
        settle(
            s,
            loan_id=loan_id,
            source=RepaymentSource.cash(),
            idempotency_key="settle",
            business_date=settled_on,
            actor="user:teller-1",
            scope=STAFF,
        )
        assert recognise_fees(s, business_date=settled_on).earned == {"GBP": 506}
        assert check_invariants(s).ok
    assert balances_of(fresh_engine, DEFERRED_LOAN_FEE_INCOME, FEE_INCOME) == [0, 1_000]
    assert [on for _, on in fee_rows(fresh_engine, loan_id)] == [FIRST_DUE, settled_on, settled_on]


def test_a_loan_far_overdue_goes_on_non_accrual_is_provided_for_and_written_off(
    fresh_engine: Engine,
) -> None:
    loan_id = fee_loan(fresh_engine, term=6)
    day = dt.date(2026, 1, 16)
    while day <= dt.date(2026, 5, 15):
        close(fresh_engine, day)
        day += dt.timedelta(days=1)
    # 15 May: 89 days past due, still accruing into income.
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        assert (loan.days_past_due, loan.non_accrual_since) == (89, None)
        receivable = account_minor(s, loan.interest_account_id)
    income_before = balances_of(fresh_engine, LOAN_INTEREST_INCOME)[0]
    assert receivable == income_before == 1_600  # four months at 1% on 400.00
    # 16 May: 90 days past due. The interest accrued and unpaid leaves income.
    close(fresh_engine, dt.date(2026, 5, 16))
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        receivable = account_minor(s, loan.interest_account_id)
        assert loan.non_accrual_since == dt.date(2026, 5, 16)
        assert loan.suspended_interest_minor == receivable > income_before
        # Four whole months at 1% on 400.00 (4.00 each) and the day to 16 May,
        # 400.00 x (1.01 ** (12/365) - 1) = 0.1309 truncated to 0.13: 16.13 reversed.
        assert receivable == 1_613
    assert balances_of(fresh_engine, LOAN_INTEREST_INCOME, INTEREST_IN_SUSPENSE) == [
        0,
        -receivable,
    ]
    with unit_of_work(fresh_engine) as s:  # a rerun for the date changes and posts nothing
        rerun = apply_non_accrual(s, business_date=dt.date(2026, 5, 16))
        assert (rerun.changed, rerun.entry_ids) == (0, ())
    # Interest keeps accruing on the member's debt, into suspense, never income.
    for offset in range(1, 16):
        close(fresh_engine, dt.date(2026, 5, 16) + dt.timedelta(days=offset))
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        receivable = account_minor(s, loan.interest_account_id)
        assert loan.suspended_interest_minor == receivable
        # 31 May: 105 days past due, more than three months in arrears: 35% of the
        # carrying amount, the principal (the interest is all in suspense).
        assert (loan.provision_minor, loan.provisioned_on) == (14_000, dt.date(2026, 5, 31))
    assert balances_of(fresh_engine, LOAN_INTEREST_INCOME, ALLOWANCE_FOR_LOAN_LOSSES) == [
        0,
        -14_000,
    ]
    # 1 Jun: 15.00 paid in cash; the part that paid interest is income (cash basis).
    with unit_of_work(fresh_engine) as s:
        paid = repay(
            s,
            loan_id=loan_id,
            amount=gbp("15"),
            source=RepaymentSource.cash(),
            idempotency_key="cash-1",
            business_date=dt.date(2026, 6, 1),
            actor="user:teller-1",
            scope=STAFF,
        )
    assert paid.interest.is_positive()
    close(fresh_engine, dt.date(2026, 6, 1))
    assert balances_of(fresh_engine, LOAN_INTEREST_INCOME) == [paid.interest.minor_units]
    for offset in range(1, 15):
        close(fresh_engine, dt.date(2026, 6, 1) + dt.timedelta(days=offset))
    # 15 Jun, 120 days past due: written off. Suspended interest and the fee not yet
    # earned come off first: on non-accrual since 16 May, the loan earned no more of its
    # fee, so the 15 Jun and 15 Jul periods' shares are released. The allowance bears the rest.
    rows = fee_rows(fresh_engine, loan_id)
    unearned = rows[-2][0] + rows[-1][0]
    assert [on is None for _, on in rows] == [False] * 4 + [True] * 2
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        suspended = loan.suspended_interest_minor
        assert suspended == account_minor(s, loan.interest_account_id)
        principal = account_minor(s, loan.principal_account_id)
        result = write_off_loan(
            s,
            loan_id=loan_id,
            business_date=dt.date(2026, 6, 15),
            actor="user:manager-1",
            reason="no contact",
            min_days_past_due=120,
        )
        assert result.from_suspense.minor_units == suspended
        assert result.from_deferred_fees.minor_units == unearned
        assert result.from_allowance.minor_units == 14_000
        assert result.to_expense.minor_units == principal - unearned - 14_000
        loan = loan_row(s, loan_id)
        assert (loan.provision_minor, loan.suspended_interest_minor) == (0, 0)
        assert check_invariants(s).ok
    assert balances_of(
        fresh_engine,
        INTEREST_IN_SUSPENSE,
        DEFERRED_LOAN_FEE_INCOME,
        ALLOWANCE_FOR_LOAN_LOSSES,
        FEE_INCOME,
    ) == [0, 0, 0, 1_000 - unearned]
    # 30 Jun: nothing left to provide for or suspend; nothing posts.
    close(fresh_engine, dt.date(2026, 6, 30))
    assert provision_entries(fresh_engine) == 1
    assert balances_of(fresh_engine, LOAN_INTEREST_INCOME) == [paid.interest.minor_units]


def test_a_loan_brought_up_to_date_returns_to_accrual_and_its_interest_to_income(
    fresh_engine: Engine,
) -> None:
    loan_id = fee_loan(fresh_engine, term=6)
    day = dt.date(2026, 1, 16)
    while day <= dt.date(2026, 5, 16):
        close(fresh_engine, day)
        day += dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        assert loan.non_accrual_since == dt.date(2026, 5, 16)
        arrears = loan.arrears_minor
    assert balances_of(fresh_engine, LOAN_INTEREST_INCOME) == [0]
    # 17 May: the member pays every instalment past due; the loan is current again.
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=dt.date(2026, 5, 17))
        repay(
            s,
            loan_id=loan_id,
            amount=gbp("0.01") * arrears,
            source=RepaymentSource.cash(),
            idempotency_key="catch-up",
            business_date=dt.date(2026, 5, 17),
            actor="user:teller-1",
            scope=STAFF,
        )
    close(fresh_engine, dt.date(2026, 5, 17))
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, loan_id)
        assert (loan.days_past_due, loan.non_accrual_since) == (0, None)
        assert loan.suspended_interest_minor == 0
        accrued = s.scalar(
            select(func.sum(Posting.amount_minor))
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(
                Posting.account_id == loan.interest_account_id,
                JournalEntry.kind == "loan.accrual",
            )
        )
        assert check_invariants(s).ok
    # Everything accrued is income again: what was paid, and what is accruing for the
    # period not yet due.
    assert balances_of(fresh_engine, LOAN_INTEREST_INCOME, INTEREST_IN_SUSPENSE) == [
        int(accrued or 0),
        0,
    ]


def test_a_withdrawal_cancels_the_deferred_fee(fresh_engine: Engine) -> None:
    product = gb_product(
        rate=InterestRate.monthly(Decimal("0.01")),
        amounts=AmountRange(gbp("400"), gbp("2000")),
        terms=TermRange(3, 24),
        frequencies=frozenset({Frequency.MONTHLY}),
        fees=(Fee(FeeKind.ARRANGEMENT, gbp("10"), FeeTreatment.DEDUCTED),),
    )
    loan_id, shares, _ = make_loan(fresh_engine, product=product, amount="400", term=3, shares="20")
    day = dt.date(2026, 1, 25)
    with unit_of_work(fresh_engine) as s:
        withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="w",
            business_date=day,
            actor="member:1",
            scope=STAFF,
        )
        run = recognise_fees(s, business_date=day)
        assert (run.loans, run.earned, run.given_back, run.entry_ids) == (1, {}, {}, ())
        assert recognise_fees(s, business_date=dt.date(2026, 2, 15)).earned == {}
        cancelled = s.scalars(
            select(LoanFeeRecognitionRow.cancelled_on).where(
                LoanFeeRecognitionRow.loan_id == loan_id
            )
        ).all()
        assert cancelled == [day, day, day]
        assert check_invariants(s).ok
    # The fee was refunded out of deferred income: nothing was ever earned.
    assert balances_of(fresh_engine, DEFERRED_LOAN_FEE_INCOME, FEE_INCOME) == [0, 0]


def test_each_rule_set_posts_its_own_entry_and_a_write_off_takes_only_its_loans_provision(
    fresh_engine: Engine,
) -> None:
    first, _, _ = make_loan(fresh_engine, amount="400", term=2, mandate=False)
    second, _, _ = make_loan(fresh_engine, amount="400", term=2, mandate=False)
    assert provide(fresh_engine, dt.date(2026, 5, 31)) == (28_000, 28_000)  # 2 x 140.00
    with unit_of_work(fresh_engine) as s:
        keys = s.scalars(
            select(JournalEntry.idempotency_key).where(JournalEntry.kind == "loan.provision")
        ).all()
        assert keys == ["cob:2026-05-31:loan-provision:GBP:gb"]
        # An adjustment of 50.00 posted by hand: the allowance holds it for no loan.
        allowance = get_account_by_code(s, ALLOWANCE_FOR_LOAN_LOSSES).id
        expense = get_account_by_code(s, IMPAIRMENT_EXPENSE).id
        post_entry(
            s,
            EntryRequest(
                idempotency_key="overlay",
                business_date=dt.date(2026, 6, 1),
                lines=(Line.debit(expense, gbp("50")), Line.credit(allowance, gbp("50"))),
                description="management overlay",
                posted_by="user:manager-1",
            ),
        )
        # The first loan's loss of 400.00 takes its own 140.00 and the 50.00 held for no
        # loan from the allowance, never the second loan's 140.00.
        result = write_off_loan(
            s,
            loan_id=first,
            business_date=dt.date(2026, 6, 15),
            actor="user:manager-1",
            reason="no contact",
            min_days_past_due=120,
        )
        assert (result.from_allowance, result.to_expense) == (gbp("190"), gbp("210"))
        assert loan_row(s, second).provision_minor == 14_000
    # 30 Jun: the second loan's provision is unchanged and the allowance holds exactly it.
    # Expense: 280.00 provided, 50.00 by hand, 210.00 of the write-off.
    assert provide(fresh_engine, dt.date(2026, 6, 30)) == (14_000, 54_000)
    assert provision_entries(fresh_engine) == 1
    # Another 20.00 by hand in July: the month end releases what no loan needs.
    with unit_of_work(fresh_engine) as s:
        post_entry(
            s,
            EntryRequest(
                idempotency_key="overlay-2",
                business_date=dt.date(2026, 7, 1),
                lines=(
                    Line.debit(get_account_by_code(s, IMPAIRMENT_EXPENSE).id, gbp("20")),
                    Line.credit(get_account_by_code(s, ALLOWANCE_FOR_LOAN_LOSSES).id, gbp("20")),
                ),
                description="management overlay",
                posted_by="user:manager-1",
            ),
        )
    assert provide(fresh_engine, dt.date(2026, 7, 31)) == (14_000, 54_000)
    with unit_of_work(fresh_engine) as s:
        keys = s.scalars(
            select(JournalEntry.idempotency_key)
            .where(JournalEntry.kind == "loan.provision")
            .order_by(JournalEntry.sequence_no)
        ).all()
        assert keys == [
            "cob:2026-05-31:loan-provision:GBP:gb",
            "cob:2026-07-31:loan-provision:GBP",
        ]
        assert check_invariants(s).ok


def test_a_write_off_on_the_next_online_day_is_not_released_again_by_the_month_end(
    fresh_engine: Engine,
) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="400", term=2, mandate=False)
    assert provide(fresh_engine, dt.date(2026, 5, 31)) == (14_000, 14_000)
    # Close of business for 30 Jun runs while the online day is already 1 Jul, and a
    # manager writes the loan off on 1 Jul before the month end's provision step.
    with unit_of_work(fresh_engine) as s:
        result = write_off_loan(
            s,
            loan_id=loan_id,
            business_date=dt.date(2026, 7, 1),
            actor="user:manager-1",
            reason="no contact",
            min_days_past_due=120,
        )
        assert result.from_allowance == gbp("140")
    assert provide(fresh_engine, dt.date(2026, 6, 30)) == (0, 40_000)
    assert provision_entries(fresh_engine) == 1
