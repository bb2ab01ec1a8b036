"""A payment before its due date pays the next instalment; it is not collected again.

1,000.00 over 12 months at 2% a month: instalment 94.56, first due 15 Feb 2026. The
member pays 94.56 on 12 Feb, three days early, and close of business runs every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from creditunion.platform.database import unit_of_work
from ledger.invariants import check_invariants
from ledger.ownership import STAFF
from loans.models import LoanRow, TransactionKind
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import accrue_interest
from loans.services.collection import collect_due_instalments
from loans.services.queries import get_loan, loan_schedule, loan_transactions
from loans.services.repayments import (
    RepaymentKeyConflict,
    RepaymentResult,
    RepaymentSource,
    repay,
)
from tests.factories_loans import TODAY, gbp, make_loan, shares_balance, withdraw

FIRST_DUE = dt.date(2026, 2, 15)
SECOND_DUE = dt.date(2026, 3, 15)
EARLY = dt.date(2026, 2, 12)
INSTALMENT = gbp("94.56")


def cob(engine: Engine, first: dt.date, last: dt.date) -> None:
    for day in _days(first, last):
        with unit_of_work(engine) as s:
            accrue_interest(s, business_date=day)
            collect_due_instalments(s, business_date=day)
            age_arrears(s, business_date=day, write_off_after_days=120)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def pay_early_in(s: Session, loan_id: int, shares: int, *, reduce_balance: bool) -> RepaymentResult:
    return repay(
        s,
        loan_id=loan_id,
        amount=INSTALMENT,
        source=RepaymentSource.shares(shares),
        idempotency_key="early",
        business_date=EARLY,
        actor="member:1",
        reduce_balance=reduce_balance,
        scope=STAFF,
    )


def pay_early(
    engine: Engine, loan_id: int, shares: int, *, reduce_balance: bool = False
) -> RepaymentResult:
    with unit_of_work(engine) as s:
        return pay_early_in(s, loan_id, shares, reduce_balance=reduce_balance)


def test_a_payment_before_the_due_date_is_the_instalment_and_is_not_collected_again(
    fresh_engine: Engine,
) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    with unit_of_work(fresh_engine) as s:
        # A late fee of 5.00 and a failed-payment fee of 3.00, as the loan's own terms (set
        # on the row: whether a product may carry them is the rule set's business).
        s.execute(
            update(LoanRow)
            .where(LoanRow.id == loan_id)
            .values(late_fee_minor=500, nsf_fee_minor=300)
        )
        # The member keeps 100.00 of the advance: after paying early, 5.44 is left.
        withdraw(s, shares, gbp("900"), on=TODAY, key="spend")
    cob(fresh_engine, TODAY + dt.timedelta(days=1), EARLY - dt.timedelta(days=1))
    paid = pay_early(fresh_engine, loan_id, shares)
    # 28 days' interest on 1,000.00 (18.39) first, the rest principal; it met instalment 1.
    assert (paid.interest, paid.principal) == (gbp("18.39"), gbp("76.17"))
    assert (paid.in_advance, paid.overpayment) == (INSTALMENT, gbp("0"))
    cob(fresh_engine, EARLY, FIRST_DUE + dt.timedelta(days=10))
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        kinds = [t.kind for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)]
        first = loan_schedule(s, loan_id=loan_id, scope=STAFF)[0]
        # Nothing collected on the due date, so no failed-payment or late fee either.
        assert kinds == [TransactionKind.DISBURSEMENT, TransactionKind.REPAYMENT]
        assert shares_balance(s, shares) == gbp("5.44")
        assert (first.paid, first.paid_on) == (INSTALMENT, EARLY)
        assert (loan.days_past_due, loan.arrears, loan.fees_receivable) == (0, gbp("0"), gbp("0"))
        # The term and the instalment are unchanged: 11 more of 94.56 to come.
        assert len(loan_schedule(s, loan_id=loan_id, scope=STAFF)) == 12
        assert loan.maturity_date == dt.date(2027, 1, 15)
        assert loan.next_payment is not None
        assert (loan.next_payment.due_date, loan.next_payment.amount) == (SECOND_DUE, INSTALMENT)
        assert check_invariants(s).ok


def test_the_next_collection_takes_only_what_is_then_due(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    cob(fresh_engine, TODAY + dt.timedelta(days=1), EARLY - dt.timedelta(days=1))
    pay_early(fresh_engine, loan_id, shares)
    cob(fresh_engine, EARLY, SECOND_DUE)
    with unit_of_work(fresh_engine) as s:
        collected = [
            (t.business_date, t.amount)
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind is TransactionKind.COLLECTION
        ]
        assert collected == [(SECOND_DUE, INSTALMENT)]
        assert shares_balance(s, shares) == gbp("1000") - INSTALMENT - INSTALMENT
        assert check_invariants(s).ok


def test_a_part_paid_in_advance_leaves_the_rest_to_collect(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    with unit_of_work(fresh_engine) as s:
        paid = repay(
            s,
            loan_id=loan_id,
            amount=gbp("40"),
            source=RepaymentSource.shares(shares),
            idempotency_key="part",
            business_date=TODAY,
            actor="member:1",
            scope=STAFF,
        )
    assert (paid.in_advance, paid.overpayment) == (gbp("40"), gbp("0"))
    cob(fresh_engine, TODAY + dt.timedelta(days=1), FIRST_DUE)
    with unit_of_work(fresh_engine) as s:
        collected = [
            t.amount
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind is TransactionKind.COLLECTION
        ]
        assert collected == [gbp("54.56")]
        first = loan_schedule(s, loan_id=loan_id, scope=STAFF)[0]
        assert (first.paid, first.paid_on) == (INSTALMENT, FIRST_DUE)


def test_asked_to_reduce_the_balance_it_shortens_the_term_instead(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    cob(fresh_engine, TODAY + dt.timedelta(days=1), EARLY - dt.timedelta(days=1))
    paid = pay_early(fresh_engine, loan_id, shares, reduce_balance=True)
    assert (paid.in_advance, paid.overpayment) == (gbp("0"), INSTALMENT)
    cob(fresh_engine, EARLY, FIRST_DUE)
    with unit_of_work(fresh_engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        collected = [
            t.amount
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind is TransactionKind.COLLECTION
        ]
        # The instalment is still collected on its date; the term is a month shorter.
        assert collected == [INSTALMENT]
        assert loan.maturity_date == dt.date(2026, 12, 15)
        assert check_invariants(s).ok


def test_more_than_the_next_instalment_pays_it_and_shortens_the_term(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12, shares="500")
    with unit_of_work(fresh_engine) as s:
        paid = repay(
            s,
            loan_id=loan_id,
            amount=gbp("394.56"),
            source=RepaymentSource.shares(shares),
            idempotency_key="more",
            business_date=FIRST_DUE,
            actor="member:1",
            scope=STAFF,
        )
        schedule = loan_schedule(s, loan_id=loan_id, scope=STAFF)
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
    # Instalment 1 is due (94.56), instalment 2 is paid ahead (94.56), 205.44 is left over.
    assert (paid.in_advance, paid.overpayment) == (INSTALMENT, gbp("205.44"))
    assert [(r.paid, r.paid_on) for r in schedule[:2]] == [
        (INSTALMENT, FIRST_DUE),
        (INSTALMENT, FIRST_DUE),
    ]
    # 625.44 owed; from 15 Mar it is spread at 94.56 a month: 8 more, the last smaller.
    remaining = schedule[2:]
    assert loan.principal_outstanding == gbp("625.44")
    assert [r.number for r in remaining] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert all(r.amount == INSTALMENT for r in remaining[:-1])
    assert remaining[-1].amount < INSTALMENT
    assert sum((r.principal for r in remaining), gbp("0")) == gbp("625.44")
    assert loan.next_payment is not None and loan.next_payment.due_date == dt.date(2026, 4, 15)
    assert loan.maturity_date == dt.date(2026, 11, 15)


def test_the_same_key_with_the_other_choice_is_a_conflict(fresh_engine: Engine) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12)
    pay_early(fresh_engine, loan_id, shares)
    with unit_of_work(fresh_engine) as s:
        with pytest.raises(RepaymentKeyConflict):
            pay_early_in(s, loan_id, shares, reduce_balance=True)
        again = pay_early_in(s, loan_id, shares, reduce_balance=False)
        assert again.replayed and again.amount == INSTALMENT
        assert shares_balance(s, shares) == gbp("1000") - INSTALMENT


def test_a_retry_and_the_history_keep_how_the_payment_met_the_schedule(
    fresh_engine: Engine,
) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12, shares="500")

    def pay() -> RepaymentResult:
        with unit_of_work(fresh_engine) as s:
            return repay(
                s,
                loan_id=loan_id,
                amount=gbp("394.56"),
                source=RepaymentSource.shares(shares),
                idempotency_key="kept",
                business_date=FIRST_DUE,
                actor="member:1",
                scope=STAFF,
            )

    first, again = pay(), pay()
    assert (first.in_advance, first.overpayment) == (INSTALMENT, gbp("205.44"))
    # The retry answers as the first did (it said 0.00 and 0.00 before the split was kept).
    assert again.replayed
    assert (again.in_advance, again.overpayment) == (first.in_advance, first.overpayment)
    with unit_of_work(fresh_engine) as s:
        [row] = [
            t
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.id == first.transaction_id
        ]
    assert (row.in_advance, row.balance_reduction) == (INSTALMENT, gbp("205.44"))
    # What is neither in advance nor a reduction met the instalment due that day.
    assert row.amount - INSTALMENT - gbp("205.44") == INSTALMENT
