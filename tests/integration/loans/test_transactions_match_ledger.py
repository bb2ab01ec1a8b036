"""Every loan transaction row equals its journal entry (a withdrawal recorded
principal 1,500.00 and interest 3.43 where the ledger moved 1,520.00 and 3.48).

The row's principal, interest and fees are what its entry moved on the loan's three
accounts, and its amount what the entry moved on the source account (the member's shares,
the till or bank clearing):

* disbursement: Dr principal `principal`; Cr the shares `principal - fees`; Cr `fees` to
  the fee accounts (an upfront fee paid from the shares nets out of their line);
* repayment and collection: Dr the source `amount`; Cr fees, interest and principal;
* withdrawal (the notice): Cr principal, interest and fees receivable by what was taken
  out of them; Cr the shares `amount` (an upfront fee refunded); Dr income for the rest.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from creditunion.platform.database import unit_of_work
from ledger.models import Posting
from ledger.ownership import STAFF
from loans.frequency import Frequency
from loans.models import LoanRow, LoanTransactionRow, TransactionKind
from loans.product import AmountRange, Fee, FeeKind, FeeTreatment, LoanProduct, TermRange
from loans.rate import InterestRate
from loans.services.cob_accrual import accrue_interest
from loans.services.collection import collect_due_instalments
from loans.services.repayments import RepaymentSource, repay
from loans.services.withdrawal import give_withdrawal_notice, withdraw_loan
from tests.factories_loans import TODAY, gb_product, gbp, make_loan

FIRST_DUE = dt.date(2026, 2, 15)


def product(treatment: FeeTreatment) -> LoanProduct:
    return gb_product(
        rate=InterestRate.monthly(Decimal("0.01")),
        amounts=AmountRange(gbp("500"), gbp("2000")),
        terms=TermRange(6, 24),
        frequencies=frozenset({Frequency.MONTHLY}),
        fees=(Fee(FeeKind.ARRANGEMENT, gbp("20"), treatment),),
    )


def entry_lines(s: Session, entry_id: object) -> dict[int, int]:
    rows = s.execute(
        select(Posting.account_id, func.sum(Posting.amount_minor))
        .where(Posting.entry_id == entry_id)
        .group_by(Posting.account_id)
    ).all()
    return {int(account): int(amount) for account, amount in rows if amount}


def mismatches(s: Session, loan_id: int) -> list[str]:
    """Each row of the loan whose figures differ from its entry's lines, described."""
    loan = s.get(LoanRow, loan_id)
    assert loan is not None
    own = {
        "principal": loan.principal_account_id,
        "interest": loan.interest_account_id,
        "fees": loan.fees_account_id,
    }
    found = []
    rows = s.scalars(
        select(LoanTransactionRow)
        .where(LoanTransactionRow.loan_id == loan_id)
        .order_by(LoanTransactionRow.id)
    )
    for row in rows:
        assert row.journal_entry_id is not None, row.kind
        lines = entry_lines(s, row.journal_entry_id)
        moved = {part: lines.get(account, 0) for part, account in own.items()}
        source = lines.get(row.source_account_id, 0) if row.source_account_id else 0
        others = sum(
            v for a, v in lines.items() if a not in own.values() and a != row.source_account_id
        )
        if row.kind is TransactionKind.DISBURSEMENT:
            expected = {"principal": row.principal_minor, "interest": 0, "fees": 0}
            want_source = -(row.principal_minor - row.fees_minor)
            want_others = -row.fees_minor
        elif row.kind in (TransactionKind.REPAYMENT, TransactionKind.COLLECTION):
            expected = {
                "principal": -row.principal_minor,
                "interest": -row.interest_minor,
                "fees": -row.fees_minor,
            }
            want_source = row.amount_minor
            want_others = 0
        elif row.kind is TransactionKind.WITHDRAWAL:
            expected = {
                "principal": -row.principal_minor,
                "interest": -row.interest_minor,
                "fees": -row.fees_minor,
            }
            want_source = -row.amount_minor
            want_others = (
                row.principal_minor + row.interest_minor + row.fees_minor + row.amount_minor
            )
        else:
            raise AssertionError(f"no rule for {row.kind}")
        if (moved, source, others) != (expected, want_source, want_others):
            found.append(
                f"{row.kind.value}: row {expected} source {want_source} other {want_others}; "
                f"entry {moved} source {source} other {others}"
            )
    return found


def kinds(s: Session, loan_id: int) -> list[TransactionKind]:
    return list(
        s.scalars(
            select(LoanTransactionRow.kind)
            .where(LoanTransactionRow.loan_id == loan_id)
            .order_by(LoanTransactionRow.id)
        )
    )


def test_each_row_equals_its_entry_for_disbursement_repayment_collection_and_withdrawal(
    fresh_engine: Engine,
) -> None:
    serviced, serviced_shares, _ = make_loan(
        fresh_engine, product=product(FeeTreatment.ADDED), amount="1500", term=12, shares="100"
    )
    withdrawn, withdrawn_shares, _ = make_loan(
        fresh_engine, product=product(FeeTreatment.ADDED), amount="1500", term=12, shares="100"
    )
    upfront, _, _ = make_loan(
        fresh_engine, product=product(FeeTreatment.UPFRONT), amount="1000", term=12, shares="100"
    )
    deducted, deducted_shares, _ = make_loan(
        fresh_engine, product=product(FeeTreatment.DEDUCTED), amount="1000", term=12, shares="100"
    )
    day = TODAY
    while day < FIRST_DUE:
        day += dt.timedelta(days=1)
        with unit_of_work(fresh_engine) as s:
            accrue_interest(s, business_date=day)
            if day == TODAY + dt.timedelta(days=3):
                give_withdrawal_notice(
                    s, loan_id=upfront, business_date=day, actor="member:1", scope=STAFF
                )
                repay(
                    s,
                    loan_id=deducted,
                    amount=gbp("50"),
                    source=RepaymentSource.shares(deducted_shares),
                    idempotency_key="before-withdrawing",
                    business_date=day,
                    actor="member:1",
                    scope=STAFF,
                )
            if day == TODAY + dt.timedelta(days=6):
                repay(
                    s,
                    loan_id=serviced,
                    amount=gbp("40"),
                    source=RepaymentSource.shares(serviced_shares),
                    idempotency_key="early",
                    business_date=day,
                    actor="member:1",
                    scope=STAFF,
                )
                repay(
                    s,
                    loan_id=upfront,
                    amount=gbp("300"),
                    source=RepaymentSource.cash(),
                    idempotency_key="part",
                    business_date=day,
                    actor="user:teller-1",
                    scope=STAFF,
                )
            if day == TODAY + dt.timedelta(days=10):
                for loan_id, shares in ((withdrawn, withdrawn_shares), (deducted, deducted_shares)):
                    withdraw_loan(
                        s,
                        loan_id=loan_id,
                        source=RepaymentSource.shares(shares),
                        idempotency_key="withdraw",
                        business_date=day,
                        actor="member:1",
                        scope=STAFF,
                    )
                withdraw_loan(
                    s,
                    loan_id=upfront,
                    source=RepaymentSource.external(),
                    idempotency_key="withdraw",
                    business_date=day,
                    actor="user:officer-1",
                    scope=STAFF,
                )
            collect_due_instalments(s, business_date=day)
    with unit_of_work(fresh_engine) as s:
        assert kinds(s, serviced) == [
            TransactionKind.DISBURSEMENT,
            TransactionKind.REPAYMENT,
            TransactionKind.COLLECTION,
        ]
        assert kinds(s, withdrawn) == [
            TransactionKind.DISBURSEMENT,
            TransactionKind.WITHDRAWAL,
            TransactionKind.REPAYMENT,
        ]
        assert kinds(s, upfront) == [
            TransactionKind.DISBURSEMENT,
            TransactionKind.WITHDRAWAL,
            TransactionKind.REPAYMENT,
            TransactionKind.REPAYMENT,
        ]
        assert kinds(s, deducted)[-2:] == [TransactionKind.WITHDRAWAL, TransactionKind.REPAYMENT]
        for loan_id in (serviced, withdrawn, upfront, deducted):
            assert mismatches(s, loan_id) == [], loan_id
        # The withdrawal of 1,500.00 with a 20.00 fee financed: the fee leaves the principal.
        notice = s.scalar(
            select(LoanTransactionRow).where(
                LoanTransactionRow.loan_id == withdrawn,
                LoanTransactionRow.kind == TransactionKind.WITHDRAWAL,
            )
        )
        assert notice is not None and notice.principal_minor == 2_000
