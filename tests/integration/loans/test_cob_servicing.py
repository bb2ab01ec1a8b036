"""Close of business servicing: collection by mandate, arrears and buckets, late fees, write-off."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, update

from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account_by_code
from ledger.chart import (
    ALLOWANCE_FOR_LOAN_LOSSES,
    IMPAIRMENT_EXPENSE,
    LOAN_INTEREST_INCOME,
    RECOVERIES_INCOME,
)
from ledger.entry import EntryRequest, Line
from ledger.invariants import check_invariants
from ledger.models import JournalEntry
from ledger.money import Money
from ledger.ownership import STAFF
from ledger.posting import post_entry
from loans import registry
from loans.facts import LoanFacts
from loans.frequency import Frequency
from loans.models import LoanRow, LoanStatus, LoanTransactionRow, TransactionKind
from loans.product import AmountRange, LoanProduct, TermRange
from loans.quote import quote
from loans.services.arrears import age_arrears, write_off_candidates
from loans.services.cob_accrual import accrue_interest
from loans.services.collection import AccrualNotRun, collect_due_instalments
from loans.services.mandates import set_collection_mandate
from loans.services.queries import get_loan, loan_schedule, loan_transactions
from loans.services.repayments import RepaymentSource
from loans.services.state import LoanNotActive
from loans.services.writeoff import (
    RecoveryExceedsWrittenOff,
    WriteOffNotDue,
    record_recovery,
    write_off_loan,
)
from tests.factories_loans import (
    TODAY,
    account_minor,
    deposit,
    gb_product,
    gbp,
    make_loan,
    share_account,
    shares_balance,
    withdraw,
)

FIRST_DUE = dt.date(2026, 2, 15)
WRITE_OFF_DAYS = 120


def charging(*, low: str = "1000", most: int = 12, **fees: Money) -> LoanProduct:
    """A 2% product with default charges, narrowed so that the worst case of them (one late
    fee and one failed-payment fee on every instalment) stays inside the 3% cap."""
    return gb_product(
        amounts=AmountRange(gbp(low), gbp("2000")),
        terms=TermRange(1, most),
        frequencies=frozenset({Frequency.MONTHLY}),
        **fees,
    )


def cob(engine: Engine, day: dt.date) -> None:
    with unit_of_work(engine) as s:
        accrue_interest(s, business_date=day)
        collect_due_instalments(s, business_date=day)
        age_arrears(s, business_date=day, write_off_after_days=WRITE_OFF_DAYS)


def days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_paid_by_mandate_the_ledger_matches_the_quote_to_the_penny(fresh_engine: Engine) -> None:
    # Six months of close of business: every instalment is collected on its day, each
    # period's posted interest is the schedule's, and the loan settles on its last due
    # date having taken exactly the quote's total amount payable from the shares.
    loan_id, shares, _ = make_loan(fresh_engine, amount="600", term=6, shares="700")
    priced = quote(
        gb_product(), gbp("600"), 6, Frequency.MONTHLY, TODAY, LoanFacts(dt.date(2020, 1, 1))
    )
    for day in days(TODAY + dt.timedelta(days=1), dt.date(2026, 7, 16)):
        cob(fresh_engine, day)
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        collected = [
            t
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind is TransactionKind.COLLECTION
        ]
        assert (loan.status, loan.settled_on) == (LoanStatus.SETTLED, dt.date(2026, 7, 15))
        assert [t.business_date for t in collected] == [
            row.due_date for row in priced.schedule.rows
        ]
        assert [t.amount for t in collected] == [row.instalment for row in priced.schedule.rows]
        assert [t.interest for t in collected] == [row.interest for row in priced.schedule.rows]
        assert sum((t.amount for t in collected), gbp("0")) == priced.total_amount_payable
        assert shares_balance(s, shares) == gbp("1300") - priced.total_amount_payable
        assert loan.outstanding == gbp("0")
        assert check_invariants(s).ok


def test_partial_collection_keeps_the_floor_and_leaves_arrears(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    with unit_of_work(fresh_engine) as s:
        # Spend the advance but 50.00 (the member needs the money, after all).
        withdraw(s, shares, gbp("950"), on=TODAY, key="spend")
    for day in days(TODAY + dt.timedelta(days=1), FIRST_DUE):
        cob(fresh_engine, day)
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        first = loan_schedule(s, loan_id=loan_id, scope=STAFF)[0]
        assert shares_balance(s, shares) == gbp("0")  # at the floor, never below
        assert (first.paid, first.paid_on) == (gbp("50.00"), None)
        # Due today is not yet past due.
        assert (loan.days_past_due, loan.arrears_bucket, loan.arrears) == (0, "current", gbp("0"))
    cob(fresh_engine, FIRST_DUE + dt.timedelta(days=1))
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        assert (loan.days_past_due, loan.arrears_bucket, loan.arrears) == (1, "1-30", gbp("44.56"))
        deposit(s, shares, gbp("100"), on=FIRST_DUE + dt.timedelta(days=2))
    cob(fresh_engine, FIRST_DUE + dt.timedelta(days=2))
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        assert (loan.days_past_due, loan.arrears) == (0, gbp("0"))
        assert shares_balance(s, shares) == gbp("55.44")
        assert check_invariants(s).ok


def test_one_account_serves_its_loans_in_order_and_a_rerun_takes_nothing(
    fresh_engine: Engine,
) -> None:
    first, shares, facts = make_loan(fresh_engine, amount="1000", term=12)
    second, _, _ = make_loan(fresh_engine, amount="1000", term=12, facts=facts)
    with unit_of_work(fresh_engine) as s:
        set_collection_mandate(
            s, loan_id=second, share_account_id=shares, actor="member:1", scope=STAFF
        )
        withdraw(s, shares, gbp("900"), on=TODAY, key="spend-2")
    for day in days(TODAY + dt.timedelta(days=1), FIRST_DUE - dt.timedelta(days=1)):
        with unit_of_work(fresh_engine) as s:
            accrue_interest(s, business_date=day)
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=FIRST_DUE)
        run = collect_due_instalments(s, business_date=FIRST_DUE)
    with unit_of_work(fresh_engine) as s:
        again = collect_due_instalments(s, business_date=FIRST_DUE)
        entries = s.scalar(select(func.count()).where(JournalEntry.kind == "loan.collection"))
    # 100.00 left: 94.56 for the first loan in full, 5.44 towards the second.
    assert (run.loans_due, run.collected_in_full, run.collected_in_part, run.not_collected) == (
        2,
        1,
        1,
        0,
    )
    assert run.collected == {"GBP": 10_000}
    assert (again.loans_due, again.collected) == (0, {})
    assert entries == 2
    with unit_of_work(fresh_engine) as s:
        assert shares_balance(s, shares) == gbp("0")
        assert get_loan(s, loan_id=first, scope=STAFF).next_payment.number == 2  # type: ignore[union-attr]
        assert loan_schedule(s, loan_id=second, scope=STAFF)[0].paid == gbp("5.44")


def test_no_mandate_no_collection_and_accrual_must_run_first(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="500", term=6, shares="500", mandate=False)
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=TODAY + dt.timedelta(days=1))
        assert collect_due_instalments(s, business_date=FIRST_DUE).loans_due == 0
    with unit_of_work(fresh_engine) as s:
        set_collection_mandate(
            s, loan_id=loan_id, share_account_id=shares, actor="member:1", scope=STAFF
        )
    with unit_of_work(fresh_engine) as s, pytest.raises(AccrualNotRun):
        collect_due_instalments(s, business_date=FIRST_DUE)


def test_buckets_move_with_days_past_due_and_then_everything_is_due(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="300", term=2, mandate=False)
    seen = {}
    for day in (
        FIRST_DUE,
        FIRST_DUE + dt.timedelta(days=1),
        FIRST_DUE + dt.timedelta(days=30),
        FIRST_DUE + dt.timedelta(days=31),
        FIRST_DUE + dt.timedelta(days=61),
        FIRST_DUE + dt.timedelta(days=91),
    ):
        with unit_of_work(fresh_engine) as s:
            run = age_arrears(s, business_date=day, write_off_after_days=90)
            loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        seen[(day - FIRST_DUE).days] = (loan.days_past_due, loan.arrears_bucket, loan.arrears)
        assert sum(run.buckets.values()) == 1
    # 300.00 over 2 months at 2%: 154.51 a month; from 15 Mar (the last due date) on,
    # everything owed is in arrears (the principal: nothing was accrued in this test).
    assert seen == {
        0: (0, "current", gbp("0")),
        1: (1, "1-30", gbp("154.51")),
        30: (30, "1-30", gbp("300.00")),
        31: (31, "31-60", gbp("300.00")),
        61: (61, "61-90", gbp("300.00")),
        91: (91, "90+", gbp("300.00")),
    }
    with unit_of_work(fresh_engine) as s:
        listed = write_off_candidates(s, min_days_past_due=90)
        assert [c.loan_id for c in listed] == [loan_id]
        assert listed[0].outstanding == gbp("300.00")


def test_late_fees_once_per_instalment_and_only_where_allowed(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    loan_id, _, _ = make_loan(fresh_engine, product=charging(late_fee=gbp("5")), mandate=False)
    for day in (FIRST_DUE, FIRST_DUE + dt.timedelta(days=1), FIRST_DUE + dt.timedelta(days=2)):
        with unit_of_work(fresh_engine) as s:
            age_arrears(s, business_date=day, write_off_after_days=90)
    with unit_of_work(fresh_engine) as s:
        assert get_loan(s, loan_id=loan_id, scope=STAFF).fees_receivable == gbp("5")
        first = loan_schedule(s, loan_id=loan_id, scope=STAFF)[0]
        assert (first.fees, first.late_fee_charged) == (gbp("5"), True)
    # The rule set stops allowing late fees (say, a new rule): the next one is not charged.
    monkeypatch.setitem(
        registry.RULE_SETS,
        "gb",
        dataclasses.replace(registry.RULE_SETS["gb"], late_fee_allowed=False),
    )
    with unit_of_work(fresh_engine) as s:
        run = age_arrears(s, business_date=dt.date(2026, 3, 20), write_off_after_days=90)
        assert (run.late_fees, run.late_fees_charged) == (0, {})
        assert get_loan(s, loan_id=loan_id, scope=STAFF).fees_receivable == gbp("5")
    monkeypatch.undo()
    with unit_of_work(fresh_engine) as s:
        run = age_arrears(s, business_date=dt.date(2026, 3, 20), write_off_after_days=90)
        assert (run.late_fees, run.late_fees_charged) == (1, {"GBP": 500})
        fees = [
            t.amount
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind is TransactionKind.LATE_FEE
        ]
        assert fees == [gbp("5"), gbp("5")]
        assert check_invariants(s).ok


def test_a_failed_payment_fee_only_where_the_rule_set_allows(fresh_engine: Engine) -> None:
    charged, _, _ = make_loan(
        fresh_engine, product=charging(nsf_fee=gbp("3"), low="500", most=6), amount="500", term=6
    )
    spared, _, _ = make_loan(fresh_engine, amount="500", term=6)
    with unit_of_work(fresh_engine) as s:
        # As if a PAL II loan had been made with such a fee: its rule set forbids charging it.
        s.execute(
            update(LoanRow).where(LoanRow.id == spared).values(rule_set="pal_ii", nsf_fee_minor=300)
        )
        for loan_id in (charged, spared):
            set_collection_mandate(
                s,
                loan_id=loan_id,
                share_account_id=share_account(s, gbp("0")),
                actor="member:1",
                scope=STAFF,
            )
    for day in days(TODAY + dt.timedelta(days=1), FIRST_DUE):
        with unit_of_work(fresh_engine) as s:
            accrue_interest(s, business_date=day)
            run = collect_due_instalments(s, business_date=day)
    assert (run.not_collected, run.nsf_fees) == (2, 1)
    with unit_of_work(fresh_engine) as s:
        assert get_loan(s, loan_id=charged, scope=STAFF).fees_receivable == gbp("3")
        assert get_loan(s, loan_id=spared, scope=STAFF).fees_receivable == gbp("0")
        assert loan_schedule(s, loan_id=charged, scope=STAFF)[0].fees == gbp("3")
    with unit_of_work(fresh_engine) as s:
        # A rerun of the date charges nothing more.
        again = collect_due_instalments(s, business_date=FIRST_DUE)
        assert (again.not_collected, again.nsf_fees) == (2, 0)


def test_write_off_and_recoveries(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(
        fresh_engine,
        product=charging(late_fee=gbp("2"), low="400", most=2),
        amount="400",
        term=2,
        mandate=False,
    )
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=FIRST_DUE)  # caught up from disbursement: 8.00
        allowance = get_account_by_code(s, ALLOWANCE_FOR_LOAN_LOSSES).id
        expense = get_account_by_code(s, IMPAIRMENT_EXPENSE).id
        # A provision of 100.00 made earlier: Dr impairment expense, Cr allowance.
        post_entry(
            s,
            EntryRequest(
                idempotency_key="provision",
                business_date=FIRST_DUE,
                lines=(Line.debit(expense, gbp("100")), Line.credit(allowance, gbp("100"))),
                description="loan loss provision",
                posted_by="test",
            ),
        )
    early = FIRST_DUE + dt.timedelta(days=30)
    with unit_of_work(fresh_engine) as s, pytest.raises(WriteOffNotDue):
        write_off_loan(
            s,
            loan_id=loan_id,
            business_date=early,
            actor="user:manager-1",
            reason="gone",
            min_days_past_due=WRITE_OFF_DAYS,
        )
    late = FIRST_DUE + dt.timedelta(days=WRITE_OFF_DAYS)
    with unit_of_work(fresh_engine) as s:
        age_arrears(s, business_date=late, write_off_after_days=WRITE_OFF_DAYS)
        expense_before = account_minor(s, expense)
        result = write_off_loan(
            s,
            loan_id=loan_id,
            business_date=late,
            actor="user:manager-1",
            reason="no contact for months",
            min_days_past_due=WRITE_OFF_DAYS,
        )
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        # 400.00 principal, 8.00 interest (a month at 2%), two late fees of 2.00.
        assert (result.principal, result.interest, result.fees) == (gbp("400"), gbp("8"), gbp("4"))
        assert (result.from_allowance, result.to_expense) == (gbp("100"), gbp("312"))
        assert account_minor(s, allowance) == 0
        assert account_minor(s, expense) - expense_before == 31_200
        assert (loan.status, loan.written_off_on, loan.written_off, loan.outstanding) == (
            LoanStatus.WRITTEN_OFF,
            late,
            gbp("412"),
            gbp("0"),
        )
        assert accrue_interest(s, business_date=late + dt.timedelta(days=1)).loans == 0
    with unit_of_work(fresh_engine) as s:
        recoveries = get_account_by_code(s, RECOVERIES_INCOME).id
        got = record_recovery(
            s,
            loan_id=loan_id,
            amount=gbp("150"),
            source=RepaymentSource.cash(),
            idempotency_key="r1",
            business_date=late,
            actor="user:teller-1",
        )
        again = record_recovery(
            s,
            loan_id=loan_id,
            amount=gbp("150"),
            source=RepaymentSource.cash(),
            idempotency_key="r1",
            business_date=late,
            actor="user:teller-1",
        )
        assert (got.recovered_to_date, again.replayed) == (gbp("150"), True)
        assert account_minor(s, recoveries) == 15_000
        with pytest.raises(RecoveryExceedsWrittenOff):
            record_recovery(
                s,
                loan_id=loan_id,
                amount=gbp("262.01"),
                source=RepaymentSource.cash(),
                idempotency_key="r2",
                business_date=late,
                actor="user:teller-1",
            )
        with pytest.raises(LoanNotActive):
            write_off_loan(
                s,
                loan_id=loan_id,
                business_date=late,
                actor="user:manager-1",
                reason="again",
                min_days_past_due=1,
            )
        assert (
            s.scalar(
                select(func.count()).where(
                    LoanTransactionRow.loan_id == loan_id,
                    LoanTransactionRow.kind == TransactionKind.RECOVERY,
                )
            )
            == 1
        )
        assert account_minor(s, get_account_by_code(s, LOAN_INTEREST_INCOME).id) == 800
        assert check_invariants(s).ok


def test_interest_accrues_past_maturity_on_what_is_still_owed(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="100", term=1, mandate=False)
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=dt.date(2026, 3, 15))  # caught up: two whole months
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
    assert loan.interest_receivable == gbp("4.00")  # 2% of 100.00 for each whole month
