"""The sub-ledger to general-ledger reconciliation.

Worked figures: a loan of 1,000.00 repaid by 100.00 on the day it was made (no interest
yet) owes 900.00 principal in both the loan book and the ledger. A generic reversal of
that repayment (what `POST /v1/reversals` did before it refused loan entries) puts 100.00
back on the ledger only: a break of 100.00 on the loan's principal account, and on the
loans-to-members control. A member's share account whose stored balance (what the share
view reads) drifts from its postings breaks by the drift. A manual journal putting 30.00
into the allowance for loan losses (no provision behind it) breaks the allowance by 30.00;
taking 45.00 out the next day leaves it 15.00 short. Two 400.00 loans provided at 140.00
each on 31 May hold 280.00; one settled on 10 Jun keeps its 140.00 in the allowance until
the 30 Jun month end releases it; the other, written off on 1 Jul before the 30 Jun step
ran, leaves 140.00 in the allowance as at 30 Jun (held for no loan's row) and none on 1 Jul.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from creditunion.approvals.service import approve, request_reversal
from creditunion.cob.plan import run_close_of_business
from creditunion.cob.runner import StepFailed
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.reconciliation import reconcile, reconciliation_lines
from ledger.accounts import get_account_by_code
from ledger.chart import ALLOWANCE_FOR_LOAN_LOSSES, CASH_IN_TILLS, IMPAIRMENT_EXPENSE
from ledger.entry import EntryRequest, Line
from ledger.ownership import STAFF
from ledger.periods import closed_through
from ledger.posting import post_entry
from ledger.reversal import reverse_entry
from loans.models import TransactionKind
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import accrue_interest
from loans.services.provisioning import provide_for_losses
from loans.services.queries import loan_transactions
from loans.services.repayments import RepaymentSource, repay, settle
from loans.services.withdrawal import withdraw_loan
from loans.services.writeoff import write_off_loan
from tests.factories_loans import TODAY, gbp, loan_row, make_loan
from tests.seal_helpers import superuser

ACTOR = "user:teller-1"


def _repaid(engine: Engine, amount: str = "100.00") -> tuple[int, int]:
    loan_id, shares, _ = make_loan(engine, amount="1000", term=12, shares="200")
    with unit_of_work(engine) as s:
        repay(
            s,
            loan_id=loan_id,
            amount=gbp(amount),
            source=RepaymentSource.shares(shares),
            idempotency_key=f"pay-{loan_id}",
            business_date=TODAY,
            actor=ACTOR,
            scope=STAFF,
        )
    return loan_id, shares


def test_a_loan_book_that_agrees_reconciles_at_every_date(fresh_engine: Engine) -> None:
    loan_id, shares = _repaid(fresh_engine)
    later = TODAY + dt.timedelta(days=40)
    with unit_of_work(fresh_engine) as s:
        settle(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key=f"settle-{loan_id}",
            business_date=later,
            actor=ACTOR,
            scope=STAFF,
        )
    with unit_of_work(fresh_engine) as s:
        for day in (TODAY - dt.timedelta(days=1), TODAY, later):
            report = reconcile(s, as_of=day)
            assert report.ok, report.summary()
        lines = {
            (line.section, line.component): line
            for line in reconciliation_lines(s, as_of=TODAY)
            if line.loan_id in (loan_id, None) and line.section != "share"
        }
    principal = lines[("loan", "principal")]
    assert (principal.book_minor, principal.ledger_minor, principal.difference_minor) == (
        90_000,
        90_000,
        0,
    )
    assert lines[("control", "principal")].ledger_minor == 90_000
    allowance = lines[("control", "allowance")]
    assert (allowance.book_minor, allowance.ledger_minor, allowance.difference_minor) == (0, 0, 0)


def _reverse_repayment_generically(engine: Engine, loan_id: int) -> str:
    """Mirror the loan's repayment straight through the ledger (what an approved generic
    reversal did); returns the loan's principal account code."""
    with unit_of_work(engine) as s:
        entry_id = next(
            t.journal_entry_id
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind is TransactionKind.REPAYMENT
        )
        assert entry_id is not None
        reverse_entry(
            s,
            entry_id=entry_id,
            idempotency_key=f"generic-{loan_id}",
            business_date=TODAY,
            posted_by="user:manager-2",
        )
        code = s.scalar(
            text("SELECT code FROM ledger_accounts WHERE id = :i"),
            {"i": loan_row(s, loan_id).principal_account_id},
        )
    assert isinstance(code, str)
    return code


def test_a_generic_reversal_of_a_repayment_is_a_break_per_account(fresh_engine: Engine) -> None:
    loan_id, _ = _repaid(fresh_engine)
    principal_code = _reverse_repayment_generically(fresh_engine, loan_id)
    with unit_of_work(fresh_engine) as s:
        report = reconcile(s, as_of=TODAY)
        before = reconcile(s, as_of=TODAY - dt.timedelta(days=1))
    assert before.ok
    assert not report.ok and report.breaks_total == 2
    found = {(b.section, b.component): b for b in report.breaks}
    loan_break = found[("loan", "principal")]
    assert (loan_break.loan_id, loan_break.account_code) == (loan_id, principal_code)
    assert (loan_break.book_minor, loan_break.ledger_minor, loan_break.difference_minor) == (
        90_000,
        100_000,
        10_000,
    )
    assert found[("control", "principal")].difference_minor == 10_000
    assert (
        f"loan {loan_id} principal (account {principal_code}): ledger 1000.00 GBP, "
        "book 900.00 GBP, difference 100.00 GBP"
    ) in report.summary()


def test_a_withdrawn_loan_owes_nothing_on_the_book_or_the_ledger(fresh_engine: Engine) -> None:
    loan_id, shares = _repaid(fresh_engine, "10.00")
    with unit_of_work(fresh_engine) as s:
        withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key=f"withdraw-{loan_id}",
            business_date=TODAY + dt.timedelta(days=5),
            actor=ACTOR,
            scope=STAFF,
        )
    with unit_of_work(fresh_engine) as s:
        assert reconcile(s, as_of=TODAY + dt.timedelta(days=5)).ok
        assert reconcile(s, as_of=TODAY + dt.timedelta(days=4)).ok


def test_a_share_balance_that_drifts_from_its_postings_is_a_break(fresh_engine: Engine) -> None:
    _, shares = _repaid(fresh_engine)
    with superuser(fresh_engine) as conn:
        conn.execute(
            "UPDATE ledger_accounts SET balance_minor = balance_minor - 700 WHERE id = %s",
            (shares,),
        )
    with unit_of_work(fresh_engine) as s:
        report = reconcile(s, as_of=TODAY)
        number = s.scalar(
            text("SELECT account_number FROM share_accounts WHERE ledger_account_id = :i"),
            {"i": shares},
        )
    found = {(b.section, b.component): b for b in report.breaks}
    share = found[("share", "shares")]
    assert share.share_account == number
    # The view shows 7.00 more than the postings hold: the ledger is 7.00 short of it.
    assert share.difference_minor == -700 and share.book_minor == share.ledger_minor + 700
    assert found[("control", "shares")].difference_minor == -700


def test_close_of_business_stops_on_a_break_and_leaves_the_day_open(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
    loan_id, _ = _repaid(fresh_engine)
    with pytest.raises(StepFailed, match=f"loan {loan_id} principal"):
        _reverse_repayment_generically(fresh_engine, loan_id)
        run_close_of_business(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        assert closed_through(s) is None
        status, error = s.execute(
            text(
                "SELECT status, error FROM cob_step_runs "
                "WHERE step = 'reconciliation' AND business_date = :d"
            ),
            {"d": TODAY},
        ).one()
    assert status == "failed" and "difference 100.00 GBP" in error


def test_a_manual_journal_on_a_loan_account_breaks_and_its_reversal_mends(
    fresh_engine: Engine,
) -> None:
    loan_id, _ = _repaid(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        principal = loan_row(s, loan_id).principal_account_id
        cash = get_account_by_code(s, CASH_IN_TILLS).id
        manual = post_entry(
            s,
            EntryRequest(
                idempotency_key=f"manual-{loan_id}",
                business_date=TODAY,
                lines=(Line.debit(principal, gbp("25.00")), Line.credit(cash, gbp("25.00"))),
                description="keyed against the wrong account",
                posted_by="user:manager-1",
                kind="manual",
            ),
        )
    with unit_of_work(fresh_engine) as s:
        broken = reconcile(s, as_of=TODAY)
        pending = request_reversal(
            s,
            entry_id=manual.id,
            actor="user:manager-1",
            idempotency_key=f"undo-{loan_id}",
            business_date=TODAY,
            reason="wrong account",
        )
    assert {(b.section, b.component, b.difference_minor) for b in broken.breaks} == {
        ("loan", "principal", 2_500),
        ("control", "principal", 2_500),
    }
    with unit_of_work(fresh_engine) as s:
        approve(
            s,
            approval_id=pending.id,
            checker="user:manager-2",
            checker_role="manager",
            business_date=TODAY,
        )
    with unit_of_work(fresh_engine) as s:
        assert reconcile(s, as_of=TODAY).ok


def _allowance_journal(engine: Engine, key: str, amount: str, day: dt.date, *, into: bool) -> None:
    """A manual journal between impairment expense and the allowance: no loan's provision."""
    with unit_of_work(engine) as s:
        allowance = get_account_by_code(s, ALLOWANCE_FOR_LOAN_LOSSES).id
        expense = get_account_by_code(s, IMPAIRMENT_EXPENSE).id
        debit, credit = (expense, allowance) if into else (allowance, expense)
        post_entry(
            s,
            EntryRequest(
                idempotency_key=key,
                business_date=day,
                lines=(Line.debit(debit, gbp(amount)), Line.credit(credit, gbp(amount))),
                description="allowance adjusted by hand",
                posted_by="user:manager-1",
                kind="manual",
            ),
        )


def test_a_manual_journal_on_the_allowance_is_a_break_and_stops_close_of_business(
    fresh_engine: Engine,
) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
    _repaid(fresh_engine)
    _allowance_journal(fresh_engine, "allowance-in", "30.00", TODAY, into=True)
    with unit_of_work(fresh_engine) as s:
        before = reconcile(s, as_of=TODAY - dt.timedelta(days=1))
        broken = reconcile(s, as_of=TODAY)
    assert before.ok, before.summary()
    assert [
        (b.section, b.component, b.book_minor, b.ledger_minor, b.difference_minor)
        for b in broken.breaks
    ] == [("control", "allowance", 0, 3_000, 3_000)]
    assert "allowance control (account 1390)" in broken.summary()
    with pytest.raises(StepFailed, match="allowance control"):
        run_close_of_business(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        assert closed_through(s) is None
        status, error = s.execute(
            text(
                "SELECT status, error FROM cob_step_runs "
                "WHERE step = 'reconciliation' AND business_date = :d"
            ),
            {"d": TODAY},
        ).one()
    assert status == "failed" and "difference 30.00 GBP" in error

    # Out of the allowance the next day: 45.00 taken where 30.00 was put, 15.00 short.
    _allowance_journal(
        fresh_engine, "allowance-out", "45.00", TODAY + dt.timedelta(days=1), into=False
    )
    with unit_of_work(fresh_engine) as s:
        still = reconcile(s, as_of=TODAY)
        short = reconcile(s, as_of=TODAY + dt.timedelta(days=1))
    assert [b.difference_minor for b in still.breaks] == [3_000]
    assert [
        (b.section, b.component, b.book_minor, b.ledger_minor, b.difference_minor)
        for b in short.breaks
    ] == [("control", "allowance", 0, -1_500, -1_500)]


def _provide(engine: Engine, day: dt.date) -> None:
    with unit_of_work(engine) as s:
        age_arrears(s, business_date=day, write_off_after_days=120)
        provide_for_losses(s, business_date=day)


def test_the_allowance_book_follows_provisions_settlements_and_write_offs(
    fresh_engine: Engine,
) -> None:
    written_off, _, _ = make_loan(fresh_engine, amount="400", term=2, mandate=False)
    settled, _, _ = make_loan(fresh_engine, amount="400", term=2, mandate=False)
    _provide(fresh_engine, dt.date(2026, 5, 31))  # 35% of 400.00 each: 280.00
    settled_on = dt.date(2026, 6, 10)
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=settled_on)
        settle(
            s,
            loan_id=settled,
            source=RepaymentSource.cash(),
            idempotency_key="settle-1",
            business_date=settled_on,
            actor=ACTOR,
            scope=STAFF,
        )
    # Close of business for 30 Jun runs while the online day is 1 Jul, after a write-off.
    written_off_on = dt.date(2026, 7, 1)
    with unit_of_work(fresh_engine) as s:
        result = write_off_loan(
            s,
            loan_id=written_off,
            business_date=written_off_on,
            actor="user:manager-1",
            reason="no contact",
            min_days_past_due=120,
        )
    assert result.from_allowance == gbp("140")
    _provide(fresh_engine, dt.date(2026, 6, 30))  # releases the settled loan's 140.00
    days = (
        dt.date(2026, 5, 30),
        dt.date(2026, 5, 31),
        settled_on,
        dt.date(2026, 6, 30),
        written_off_on,
    )
    with unit_of_work(fresh_engine) as s:
        for day in days:
            assert reconcile(s, as_of=day).ok, reconcile(s, as_of=day).summary()
        allowance = {
            day: next(
                (line.book_minor, line.ledger_minor, line.difference_minor)
                for line in reconciliation_lines(s, as_of=day)
                if line.component == "allowance"
            )
            for day in days
        }
    assert allowance == {
        dt.date(2026, 5, 30): (0, 0, 0),
        dt.date(2026, 5, 31): (28_000, 28_000, 0),
        settled_on: (28_000, 28_000, 0),
        dt.date(2026, 6, 30): (14_000, 14_000, 0),
        written_off_on: (0, 0, 0),
    }
