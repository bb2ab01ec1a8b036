"""A year of close of business on a small book: loans repaid by collection, settled early,
caught up after arrears, and one never paid that goes on non-accrual, is provisioned at
month ends, written off (maker-checker) and partly recovered; a saver earns interest.
After every month end the loan book and members' shares reconcile to the general ledger
to the penny, the ledger invariants hold and the seals verify."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from creditunion.approvals import service as approvals
from creditunion.approvals.write_offs import request_write_off
from creditunion.cob.plan import run_close_of_business
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings, get_settings
from creditunion.reconciliation import reconcile, reconciliation_lines
from creditunion.shares.movements import deposit_cash
from creditunion.shares.product_service import create_share_product
from creditunion.shares.products import ProductDefinition
from ledger.accounts import get_account_by_code
from ledger.chart import (
    ALLOWANCE_FOR_LOAN_LOSSES,
    IMPAIRMENT_EXPENSE,
    INTEREST_IN_SUSPENSE,
)
from ledger.invariants import check_invariants
from ledger.money import Money
from ledger.ownership import STAFF
from ledger.verify import verify
from loans.daycount import DayCount
from loans.models import LoanStatus
from loans.services.repayments import RepaymentSource, settle
from loans.services.writeoff import record_recovery
from tests.factories import MemberFactory, ShareAccountFactory
from tests.factories_loans import (
    TODAY,
    account_minor,
    deposit,
    loan_row,
    make_loan,
    shares_balance,
    withdraw,
)

MAKER = "user:manager-1"
CHECKER = "user:manager-2"
TELLER = "user:teller-1"
# Each month end closed in turn, then the rest of the year to 14 Jan 2027 (365 days).
MONTH_ENDS = [dt.date(2026, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 12)] + [
    dt.date(2026, 12, 31)
]
YEAR_END = TODAY + dt.timedelta(days=364)


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


def _allowance_used(engine: Engine) -> list[tuple[dt.date, int]]:
    """(business date, amount debited to the allowance) of each write-off."""
    with unit_of_work(engine) as s:
        rows = s.execute(
            text(
                "SELECT e.business_date, p.amount_minor FROM journal_entries e "
                "JOIN postings p ON p.entry_id = e.id JOIN ledger_accounts a ON a.id = p.account_id "
                "WHERE e.kind = 'loan.write_off' AND a.code = :allowance "
                "ORDER BY e.business_date"
            ),
            {"allowance": ALLOWANCE_FOR_LOAN_LOSSES},
        ).all()
    return [(day, int(amount)) for day, amount in rows]


def _savings_interest_posted(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(
            s.scalar(
                text(
                    "SELECT coalesce(-sum(p.amount_minor), 0) FROM postings p "
                    "JOIN journal_entries e ON e.id = p.entry_id "
                    "JOIN share_accounts sa ON sa.ledger_account_id = p.account_id "
                    "WHERE e.kind = 'savings_interest'"
                )
            )
            or 0
        )


def _close_through(engine: Engine, day: dt.date) -> None:
    """Close business through `day`, then check the books as at that day."""
    run_close_of_business(engine, until=day)
    with unit_of_work(engine) as s:
        assert reconcile(s, as_of=day).ok, reconcile(s, as_of=day).summary()
        lines = list(reconciliation_lines(s, as_of=day))
        assert lines and all(line.difference_minor == 0 for line in lines), day
        # The allowance is checked too: its book is the provisions and write-offs made.
        (allowance,) = (line for line in lines if line.component == "allowance")
        assert allowance.book_minor is not None, day
        assert allowance.book_minor == allowance.ledger_minor, day
        assert check_invariants(s).ok, day
        assert verify(s).ok, day


@pytest.mark.slow
def test_a_year_of_close_of_business_on_a_small_loan_book(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
        create_share_product(
            s,
            definition=ProductDefinition(
                code="SAVER",
                name="Saver",
                kind="instant_access",
                currency="GBP",
                minimum_balance="0.00",
                maximum_balance="100000.00",
                return_basis="interest",
                posting_frequency="monthly",
                annual_rate="0.0365",
                day_count=DayCount.ACT_365_FIXED,
            ),
            actor=MAKER,
        )
        saver = ShareAccountFactory.create(
            session=s,
            member_id=MemberFactory.create(session=s, business_date=TODAY).id,
            product_code="SAVER",
            business_date=TODAY,
        )
        deposit_cash(
            s,
            share_account_id=saver.id,
            amount=Money("10000.00", "GBP"),
            actor=TELLER,
            idempotency_key="saver-opening",
            business_date=TODAY,
        )
    # Each loan at 2% a month, first instalment due 15 Feb 2026.
    # Repaid on time: collected from 1,000.00 of shares on each due date.
    on_time, on_time_shares, _ = make_loan(fresh_engine, amount="600", term=6, shares="1000")
    # Settled early from shares on 1 Apr, after two collections.
    settled, settled_shares, _ = make_loan(fresh_engine, amount="300", term=12, shares="1000")
    # A mandate on shares emptied: in arrears from 15 Feb until shares are paid in on 1 Apr.
    late, late_shares, _ = make_loan(fresh_engine, amount="300", term=12)
    with unit_of_work(fresh_engine) as s:  # the member takes the loan paid into shares out
        withdraw(s, late_shares, shares_balance(s, late_shares), on=TODAY, key="spent")
    # No mandate and nothing ever paid.
    never, _, _ = make_loan(fresh_engine, amount="600", term=6, mandate=False)

    for month_end in MONTH_ENDS:
        _close_through(fresh_engine, month_end)
        day = month_end + dt.timedelta(days=1)  # the business date now
        if month_end == dt.date(2026, 1, 31):
            # 10,000.00 at 3.65% on ACT/365F earns 1.00 a day: 15 to 31 Jan is 17 days,
            # posted to the member at the month end.
            assert _savings_interest_posted(fresh_engine) == 1_700
        elif month_end == dt.date(2026, 3, 31):
            with unit_of_work(fresh_engine) as s:
                # 44 days past due (15 Feb to 31 Mar): under three months, no provision.
                assert (loan_row(s, late).days_past_due, loan_row(s, late).provision_minor) == (
                    44,
                    0,
                )
                settle(
                    s,
                    loan_id=settled,
                    source=RepaymentSource.shares(settled_shares),
                    idempotency_key="settle-early",
                    business_date=day,
                    actor=TELLER,
                    scope=STAFF,
                )
                assert loan_row(s, settled).status is LoanStatus.SETTLED
                deposit(s, late_shares, Money("1000.00", "GBP"), on=day)
        elif month_end == dt.date(2026, 4, 30):
            with unit_of_work(fresh_engine) as s:
                # The arrears were collected on 1 Apr once the shares were there.
                assert loan_row(s, late).days_past_due == 0
                assert loan_row(s, late).status is LoanStatus.ACTIVE
        elif month_end == dt.date(2026, 6, 30):
            with unit_of_work(fresh_engine) as s:
                loan = loan_row(s, never)
                assert loan.days_past_due == 135  # unpaid since 15 Feb
                assert loan.non_accrual_since == dt.date(2026, 5, 16)  # 90 days past due
                assert loan.suspended_interest_minor == account_minor(s, loan.interest_account_id)
                assert loan.suspended_interest_minor > 0
                # FRS 102 / CREDS 7.5.2R: 35% of the amount outstanding once more than
                # three months in arrears (after 15 May): 35% x 600.00 = 210.00; the
                # interest is in suspense, so the carrying amount is the 600.00 principal.
                assert loan.provision_minor == 21_000
            # The allowance moved once: 31 Jan to 30 Apr needed nothing, and on 30 Jun
            # the carrying amount had not changed.
            assert _entries(fresh_engine, "loan.provision") == [(dt.date(2026, 5, 31), 21_000)]
            suspended = _entries(fresh_engine, "loan.non_accrual")
            assert suspended[0][0] == dt.date(2026, 5, 16) and len(suspended) == 46  # daily
        elif month_end == dt.date(2026, 7, 31):
            with unit_of_work(fresh_engine) as s:
                assert loan_row(s, on_time).status is LoanStatus.SETTLED  # last due 15 Jul
                # 1,000.00 paid in and the 600.00 loan paid out to shares, less the six
                # collections: 600.00 and interest at 2% of the balance, rounded down,
                # on an instalment of 107.12 (600 x 0.02 / (1 - 1.02^-6) = 107.115):
                # 12.00 + 10.09 + 8.15 + 6.17 + 4.15 + 2.09 = 42.65. 1,600.00 - 642.65.
                assert account_minor(s, on_time_shares) == 95_735
                assert loan_row(s, late).days_past_due == 0
        elif month_end == dt.date(2026, 8, 31):
            # CREDS 7.5.3G(1): more than six months in arrears (after 15 Aug) needs 60%:
            # 60% x 600.00 = 360.00, a movement of 360.00 - 210.00 = 150.00.
            assert _entries(fresh_engine, "loan.provision") == [
                (dt.date(2026, 5, 31), 21_000),
                (dt.date(2026, 8, 31), 15_000),
            ]
            (suspense,) = _balances(fresh_engine, INTEREST_IN_SUSPENSE)
            with unit_of_work(fresh_engine) as s:
                assert loan_row(s, never).provision_minor == 36_000
                # The receivable, all held in suspense: 2% of 600.00 earned on each due
                # date 15 Feb to 15 Aug (7 x 12.00 = 84.00), and 16 days to 31 Aug at the
                # daily compound rate: 600.00 x (1.02^(16 x 12/365) - 1) = 6.2827,
                # truncated 6.28; 90.28 (the suspense account is credit-normal).
                assert loan_row(s, never).suspended_interest_minor == -suspense == 9_028
                # 1 Sep: 198 days past due, over the 180 configured. One manager asks...
                asked = request_write_off(
                    s,
                    loan_id=never,
                    actor=MAKER,
                    idempotency_key="write-off-never",
                    business_date=day,
                    reason="no contact since February",
                    min_days_past_due=get_settings().loan_write_off_after_days,
                )
            with unit_of_work(fresh_engine) as s:
                # ...another approves, and it posts: the allowance bears 360.00 of the
                # 600.00 principal, expense the other 240.00; the interest leaves suspense.
                approvals.approve(
                    s,
                    approval_id=asked.id,
                    checker=CHECKER,
                    checker_role="manager",
                    business_date=day,
                )
                loan = loan_row(s, never)
                assert (loan.status, loan.written_off_on) == (LoanStatus.WRITTEN_OFF, day)
                assert loan.written_off_minor == 60_000 + 9_028  # principal and suspense
            assert _balances(
                fresh_engine, INTEREST_IN_SUSPENSE, ALLOWANCE_FOR_LOAN_LOSSES, IMPAIRMENT_EXPENSE
            ) == [0, 0, 60_000]  # 210.00 + 150.00 provided, then 240.00
            assert _allowance_used(fresh_engine) == [(day, 36_000)]
        elif month_end == dt.date(2026, 9, 30):
            with unit_of_work(fresh_engine) as s:
                record_recovery(
                    s,
                    loan_id=never,
                    amount=Money("50.00", "GBP"),
                    source=RepaymentSource.cash(),
                    idempotency_key="recovered-1",
                    business_date=day,
                    actor=TELLER,
                )
    _close_through(fresh_engine, YEAR_END)
    assert run_close_of_business(fresh_engine, until=YEAR_END) == []  # nothing left to close

    # No provision after the write-off; the loss stays 600.00 (the recovery is not
    # credited back to impairment expense), nothing is left in suspense or the allowance.
    assert _entries(fresh_engine, "loan.provision") == [
        (dt.date(2026, 5, 31), 21_000),
        (dt.date(2026, 8, 31), 15_000),
    ]
    assert _balances(
        fresh_engine, INTEREST_IN_SUSPENSE, ALLOWANCE_FOR_LOAN_LOSSES, IMPAIRMENT_EXPENSE
    ) == [0, 0, 60_000]
    assert _entries(fresh_engine, "loan.recovery") == [(dt.date(2026, 10, 1), 5_000)]
    # The allowance's book as at past dates, read back after the year: 210.00 provided on
    # 31 May, 360.00 from 31 Aug, all of it taken by the write-off on 1 Sep.
    with unit_of_work(fresh_engine) as s:
        allowance_book = {
            day: next(
                (line.book_minor, line.ledger_minor)
                for line in reconciliation_lines(s, as_of=day)
                if line.component == "allowance"
            )
            for day in (
                dt.date(2026, 5, 30),
                dt.date(2026, 5, 31),
                dt.date(2026, 6, 15),
                dt.date(2026, 8, 31),
                dt.date(2026, 9, 1),
                YEAR_END,
            )
        }
    assert allowance_book == {
        dt.date(2026, 5, 30): (0, 0),
        dt.date(2026, 5, 31): (21_000, 21_000),
        dt.date(2026, 6, 15): (21_000, 21_000),
        dt.date(2026, 8, 31): (36_000, 36_000),
        dt.date(2026, 9, 1): (0, 0),
        YEAR_END: (0, 0),
    }
    with unit_of_work(fresh_engine) as s:
        assert loan_row(s, never).recovered_minor == 5_000
        assert loan_row(s, late).status is LoanStatus.ACTIVE
        assert loan_row(s, late).days_past_due == 0
