"""Disbursement by fee treatment, repayments, overpayment, settlement, the 14-day withdrawal.

Interest on a 2%-a-month loan for d days inside a period is the part month
P x (1.02 ** (12d/365) - 1), rounded down: 5 days on 1,000.00 = 3.26, 7 days = 4.56,
10 days = 6.53, 7 days on 990.00 = 4.52, 20 days = 13.10.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account_by_code
from ledger.chart import (
    BANK_CLEARING,
    CASH_IN_TILLS,
    DEFERRED_LOAN_FEE_INCOME,
    FEE_INCOME,
    LOAN_INTEREST_INCOME,
)
from ledger.checks import InsufficientFunds
from ledger.invariants import check_invariants
from ledger.models import JournalEntry, Posting
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope
from loans.allocation import PaymentExceedsBalance
from loans.frequency import Frequency
from loans.models import LoanStatus
from loans.product import AmountRange, Fee, FeeKind, FeeTreatment, LoanProduct, TermRange
from loans.rate import InterestRate
from loans.schedule import build_schedule
from loans.schedule import settlement_figure as schedule_settlement
from loans.services.accounts import NotAShareAccount
from loans.services.arrears import charge_late_fees
from loans.services.mandates import set_collection_mandate
from loans.services.queries import get_loan, loan_ledger_entries, loan_schedule, loan_transactions
from loans.services.repayments import (
    InvalidRepayment,
    RepaymentKeyConflict,
    RepaymentResult,
    RepaymentSource,
    repay,
    settle,
    settlement_figure,
)
from loans.services.state import LoanNotActive, LoanNotFound
from loans.services.withdrawal import WithdrawalPeriodOver, withdraw_loan
from tests.factories_loans import (
    TODAY,
    account_minor,
    accrual_of,
    gb_product,
    gbp,
    loan_row,
    make_loan,
    share_account,
    shares_balance,
)

ACTOR = "user:teller-1"
FEE = gbp("10")


def fee_product(treatment: FeeTreatment) -> LoanProduct:
    return gb_product(
        rate=InterestRate.monthly(Decimal("0.01")),
        amounts=AmountRange(gbp("500"), gbp("2000")),
        terms=TermRange(6, 24),
        frequencies=frozenset({Frequency.MONTHLY}),
        fees=(Fee(FeeKind.ARRANGEMENT, FEE, treatment),),
    )


def entry_lines(engine: Engine, loan_id: int, kind: str) -> dict[int, int]:
    with unit_of_work(engine) as s:
        entries = list(
            s.scalars(
                select(JournalEntry.id).where(
                    JournalEntry.reference == f"loan:{loan_id}", JournalEntry.kind == kind
                )
            )
        )
        assert len(entries) == 1, entries
        rows = s.execute(
            select(Posting.account_id, Posting.amount_minor).where(Posting.entry_id == entries[0])
        ).all()
    lines: dict[int, int] = {}
    for account, amount in rows:
        lines[account] = lines.get(account, 0) + amount
    return lines


@pytest.mark.parametrize(
    ("treatment", "principal", "to_shares"),
    [
        # deducted: the member gets 990.00 and owes 1,000.00
        (FeeTreatment.DEDUCTED, 100_000, 99_000),
        # added (financed): the member gets 1,000.00 and owes 1,010.00
        (FeeTreatment.ADDED, 101_000, 100_000),
        # upfront: 1,000.00 in, 10.00 straight back out of the shares
        (FeeTreatment.UPFRONT, 100_000, 99_000),
    ],
)
def test_disbursement_is_one_balanced_entry_with_fees_by_treatment(
    engine: Engine, treatment: FeeTreatment, principal: int, to_shares: int
) -> None:
    loan_id, shares, _ = make_loan(engine, product=fee_product(treatment), amount="1000", term=12)
    with unit_of_work(engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        # The fee is deferred at disbursement and earned over the loan's life (FRS 102 s.11).
        deferred = get_account_by_code(s, DEFERRED_LOAN_FEE_INCOME).id
        row = loan_row(s, loan_id)
        assert shares_balance(s, shares).minor_units == to_shares
        assert loan.principal_outstanding.minor_units == principal
        assert check_invariants(s).ok
    lines = entry_lines(engine, loan_id, "loan.disbursement")
    expected = {row.principal_account_id: principal, deferred: -1_000, shares: -to_shares}
    assert lines == expected
    # The credit the APR used: what was paid in, less a deducted fee (an upfront fee is
    # instead one of the APR's payments, on the disbursement date).
    assert loan.credit.minor_units == to_shares + (
        1_000 if treatment is FeeTreatment.UPFRONT else 0
    )
    assert loan.fees_charged == FEE
    with unit_of_work(engine) as s:
        schedule = loan_schedule(s, loan_id=loan_id, scope=STAFF)
    assert sum(r.principal.minor_units for r in schedule) == principal


def test_upfront_fee_quote_and_ledger_agree(engine: Engine) -> None:
    # The quote's cash flows are exactly the member's: 1,000.00 in, 10.00 fee out the same
    # day, then the instalments; the ledger's share movements say the same.
    loan_id, _, _ = make_loan(
        engine, product=fee_product(FeeTreatment.UPFRONT), amount="1000", term=12
    )
    with unit_of_work(engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        schedule = loan_schedule(s, loan_id=loan_id, scope=STAFF)
    # 1% a month alone is 12.7%; with 10.00 paid on the day, 14.8%.
    assert loan.apr == Decimal("14.80")
    assert loan.instalment == gbp("88.85")
    assert [r.due_date for r in schedule][:2] == [dt.date(2026, 2, 15), dt.date(2026, 3, 15)]


def test_repayment_meets_fees_then_interest_then_principal(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(
        engine,
        # Narrowed so that a late fee on every instalment stays inside the 3% cap.
        product=gb_product(
            late_fee=gbp("5"),
            amounts=AmountRange(gbp("1000"), gbp("2000")),
            terms=TermRange(1, 12),
            frequencies=frozenset({Frequency.MONTHLY}),
        ),
        amount="1000",
        term=12,
        shares="40",
    )
    day = dt.date(2026, 2, 20)  # 5 days after the first instalment fell due, unpaid
    with unit_of_work(engine) as s:
        assert charge_late_fees(s, business_date=day, loan_id=loan_id) == (1, {"GBP": 500})
        result = repay(
            s,
            loan_id=loan_id,
            amount=gbp("30.00"),
            source=RepaymentSource.shares(shares),
            idempotency_key="pay-1",
            business_date=day,
            actor=ACTOR,
            scope=STAFF,
        )
    # Fee 5.00 first; then interest to 20 Feb: a month (20.00) + 5 days (3.26) = 23.26;
    # 30.00 - 5.00 - 23.26 leaves 1.74 for principal.
    assert (result.fees, result.interest, result.principal) == (
        gbp("5.00"),
        gbp("23.26"),
        gbp("1.74"),
    )
    assert result.overpayment == gbp("0.00") and not result.settled
    with unit_of_work(engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        first = loan_schedule(s, loan_id=loan_id, scope=STAFF)[0]
        assert (loan.fees_receivable, loan.interest_receivable) == (gbp("0"), gbp("0"))
        assert loan.principal_outstanding == gbp("998.26")
        # Instalment 1 (94.56 + the 5.00 fee) has 30.00 paid against it.
        assert (first.amount, first.paid, first.paid_on) == (gbp("99.56"), gbp("30.00"), None)
        assert check_invariants(s).ok


def test_retries_replay_and_a_reused_key_is_a_conflict(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(engine, shares="100")
    from_shares = RepaymentSource.shares(shares)

    def pay(s: Session, amount: str, source: RepaymentSource = from_shares) -> RepaymentResult:
        return repay(
            s,
            loan_id=loan_id,
            amount=gbp(amount),
            source=source,
            idempotency_key="k",
            business_date=TODAY,
            actor=ACTOR,
            scope=STAFF,
        )

    with unit_of_work(engine) as s:
        first = pay(s, "50")
    with unit_of_work(engine) as s:
        again = pay(s, "50")
        with pytest.raises(RepaymentKeyConflict):
            pay(s, "51")
        with pytest.raises(RepaymentKeyConflict):
            pay(s, "50", RepaymentSource.cash())
        assert shares_balance(s, shares) == gbp("1050")
    assert again.replayed and (again.transaction_id, again.entry_id) == (
        first.transaction_id,
        first.entry_id,
    )


def test_refusals_change_nothing(engine: Engine) -> None:
    loan_id, shares, facts = make_loan(engine, shares="0", amount="500", term=6)
    with unit_of_work(engine) as s:
        before = accrual_of(s, loan_id).accrued_through
        with pytest.raises(PaymentExceedsBalance):
            repay(
                s,
                loan_id=loan_id,
                amount=gbp("500.01"),
                source=RepaymentSource.cash(),
                idempotency_key="x",
                business_date=TODAY,
                actor=ACTOR,
                scope=STAFF,
            )
        empty = share_account(s, gbp("20"))
        with pytest.raises(InsufficientFunds):
            repay(
                s,
                loan_id=loan_id,
                amount=gbp("100"),
                source=RepaymentSource.shares(empty),
                idempotency_key="y",
                business_date=TODAY + dt.timedelta(days=3),
                actor=ACTOR,
                scope=STAFF,
            )
        with pytest.raises(LoanNotFound):
            repay(
                s,
                loan_id=loan_id,
                amount=gbp("1"),
                source=RepaymentSource.cash(),
                idempotency_key="z",
                business_date=TODAY,
                actor=ACTOR,
                scope=MemberScope(facts.member_id + 1),
            )
        # The refused payment three days on accrued nothing: its savepoint rolled back.
        assert accrual_of(s, loan_id).accrued_through == before
        assert get_loan(s, loan_id=loan_id, scope=STAFF).interest_receivable == gbp("0")
        assert shares_balance(s, shares) == gbp("500")
        assert shares_balance(s, empty) == gbp("20")


def test_cash_and_external_payments_debit_tills_and_clearing(engine: Engine) -> None:
    loan_id, _, _ = make_loan(engine)
    with unit_of_work(engine) as s:
        tills = get_account_by_code(s, CASH_IN_TILLS).id
        clearing = get_account_by_code(s, BANK_CLEARING).id
        till_before, bank_before = account_minor(s, tills), account_minor(s, clearing)
        repay(
            s,
            loan_id=loan_id,
            amount=gbp("20"),
            source=RepaymentSource.cash(),
            idempotency_key="c",
            business_date=TODAY,
            actor=ACTOR,
            scope=STAFF,
        )
        repay(
            s,
            loan_id=loan_id,
            amount=gbp("30"),
            source=RepaymentSource.external(),
            idempotency_key="e",
            business_date=TODAY,
            actor=ACTOR,
            scope=STAFF,
        )
        assert account_minor(s, tills) - till_before == 2_000
        assert account_minor(s, clearing) - bank_before == 3_000
        kinds = [
            t.source.value for t in loan_transactions(s, loan_id=loan_id, scope=STAFF) if t.source
        ]
    assert kinds == ["shares", "cash", "external"]


def test_an_overpayment_shortens_the_term_and_keeps_the_instalment(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(engine, amount="1000", term=12, shares="500")
    due = dt.date(2026, 2, 15)
    with unit_of_work(engine) as s:
        result = repay(
            s,
            loan_id=loan_id,
            amount=gbp("394.56"),
            source=RepaymentSource.shares(shares),
            idempotency_key="over",
            business_date=due,
            actor=ACTOR,
            reduce_balance=True,
            scope=STAFF,
        )
        schedule = loan_schedule(s, loan_id=loan_id, scope=STAFF)
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
    # 94.56 meets instalment 1 (20.00 interest, 74.56 principal); 300.00 more is principal,
    # which the member asked to reduce the balance (by default 94.56 of it would pay
    # instalment 2 ahead: test_early_payments).
    assert (result.interest, result.principal, result.overpayment) == (
        gbp("20.00"),
        gbp("374.56"),
        gbp("300.00"),
    )
    assert loan.principal_outstanding == gbp("625.44")
    assert schedule[0].paid_on == due
    remaining = schedule[1:]
    assert len(remaining) == 8  # 625.44 at 94.56 a month: 8 more, not 11
    assert all(r.amount == gbp("94.56") for r in remaining[:-1])
    assert remaining[-1].amount < gbp("94.56")
    assert sum((r.principal for r in remaining), gbp("0")) == gbp("625.44")
    assert loan.maturity_date == remaining[-1].due_date == dt.date(2026, 10, 15)
    assert loan.next_payment is not None and loan.next_payment.amount == gbp("94.56")


def test_early_settlement_charges_interest_to_the_day_only(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(engine, amount="1000", term=12, shares="1100")
    day = TODAY + dt.timedelta(days=20)
    with unit_of_work(engine) as s:
        figure = settlement_figure(s, loan_id=loan_id, on=day, scope=STAFF)
        ahead = settlement_figure(s, loan_id=loan_id, on=day + dt.timedelta(days=10), scope=STAFF)
    assert (figure.principal, figure.interest, figure.fees) == (gbp("1000"), gbp("13.10"), gbp("0"))
    schedule = build_schedule(
        principal=gbp("1000"),
        rate=InterestRate.monthly(Decimal("0.02")),
        instalments=12,
        frequency=Frequency.MONTHLY,
        disbursement_date=TODAY,
        interest_rounding="ROUND_DOWN",
    )
    assert figure.total == schedule_settlement(schedule, on=day) == gbp("1013.10")
    assert ahead.total > figure.total
    with unit_of_work(engine) as s:
        result = settle(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="settle",
            business_date=day,
            actor=ACTOR,
            scope=STAFF,
        )
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        income = get_account_by_code(s, LOAN_INTEREST_INCOME).id
        assert check_invariants(s).ok
        with pytest.raises(LoanNotActive):
            repay(
                s,
                loan_id=loan_id,
                amount=gbp("1"),
                source=RepaymentSource.cash(),
                idempotency_key="late",
                business_date=day,
                actor=ACTOR,
                scope=STAFF,
            )
        assert loan_schedule(s, loan_id=loan_id, scope=STAFF) == []
        entries = [e.kind for e in loan_ledger_entries(s, loan_id=loan_id)]
    assert result.settled and result.interest == gbp("13.10")
    assert (loan.status, loan.settled_on, loan.outstanding, loan.next_payment) == (
        LoanStatus.SETTLED,
        day,
        gbp("0"),
        None,
    )
    assert entries == ["loan.disbursement", "loan.accrual", "loan.repayment"]
    assert income > 0


def test_withdrawal_repays_credit_and_interest_and_refunds_an_upfront_fee(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(
        engine, product=fee_product(FeeTreatment.UPFRONT), amount="1000", term=12, shares="10"
    )
    day = TODAY + dt.timedelta(days=10)
    with unit_of_work(engine) as s:
        deferred = get_account_by_code(s, DEFERRED_LOAN_FEE_INCOME).id
        fees_before = account_minor(s, deferred)
        result = withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="w",
            business_date=day,
            actor="member:1",
            scope=STAFF,
        )
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        # 1% a month: 10 days on 1,000.00 = 1000 x (1.01 ** (120/365) - 1) = 3.27.
        assert (result.credit, result.interest, result.fees_refunded) == (
            gbp("1000"),
            gbp("3.27"),
            gbp("10"),
        )
        # 1,003.27 paid from the shares, 10.00 refunded to them: 10 + 990 - 993.27 = 6.73.
        assert result.paid == gbp("1003.27")
        assert shares_balance(s, shares) == gbp("6.73")
        # The fee was deferred, never earned: the refund takes it out of the deferred income.
        assert account_minor(s, deferred) - fees_before == -1_000
        assert (loan.status, loan.withdrawn_on, loan.outstanding) == (
            LoanStatus.WITHDRAWN,
            day,
            gbp("0"),
        )
        assert check_invariants(s).ok


@pytest.mark.parametrize(
    ("treatment", "credit"), [(FeeTreatment.DEDUCTED, "990"), (FeeTreatment.ADDED, "1000")]
)
def test_withdrawal_gives_back_interest_on_financed_or_deducted_fees(
    engine: Engine, treatment: FeeTreatment, credit: str
) -> None:
    loan_id, shares, _ = make_loan(
        engine, product=fee_product(treatment), amount="1000", term=12, shares="100"
    )
    day = TODAY + dt.timedelta(days=7)
    with unit_of_work(engine) as s:
        income = get_account_by_code(s, LOAN_INTEREST_INCOME).id
        income_before = account_minor(s, income)
        result = withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="w",
            business_date=day,
            actor="member:1",
            scope=STAFF,
        )
        # Interest on the credit only: 7 days at 1% a month.
        factor = Decimal("1.01") ** (Decimal(84) / Decimal(365)) - 1
        expected = (Decimal(credit) * factor).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        assert result.credit == gbp(credit)
        assert result.interest == gbp(str(expected))
        assert result.paid == gbp(credit) + result.interest
        assert account_minor(s, income) - income_before == result.interest.minor_units
        assert get_loan(s, loan_id=loan_id, scope=STAFF).outstanding == gbp("0")
        assert check_invariants(s).ok


def test_withdrawal_after_fourteen_days_is_refused(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(engine)
    with unit_of_work(engine) as s, pytest.raises(WithdrawalPeriodOver):
        withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="w",
            business_date=TODAY + dt.timedelta(days=15),
            actor="member:1",
            scope=STAFF,
        )


def test_money_only_moves_to_and_from_members_share_accounts(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(engine)
    with unit_of_work(engine) as s:
        fee_income = get_account_by_code(s, FEE_INCOME).id
        shares_header = get_account_by_code(s, "2100").id
        for account in (fee_income, shares_header, 999_999_999):
            with pytest.raises(NotAShareAccount):
                repay(
                    s,
                    loan_id=loan_id,
                    amount=gbp("1"),
                    source=RepaymentSource.shares(account),
                    idempotency_key=f"bad-{account}",
                    business_date=TODAY,
                    actor=ACTOR,
                    scope=STAFF,
                )
            with pytest.raises(NotAShareAccount):
                set_collection_mandate(
                    s, loan_id=loan_id, share_account_id=account, actor=ACTOR, scope=STAFF
                )
        with pytest.raises(InvalidRepayment):
            repay(
                s,
                loan_id=loan_id,
                amount=Money("1", "USD"),
                source=RepaymentSource.cash(),
                idempotency_key="usd",
                business_date=TODAY,
                actor=ACTOR,
                scope=STAFF,
            )
        with pytest.raises(InvalidRepayment):
            repay(
                s,
                loan_id=loan_id,
                amount=gbp("1"),
                source=RepaymentSource.cash(),
                idempotency_key="x" * 101,
                business_date=TODAY,
                actor=ACTOR,
                scope=STAFF,
            )
        assert shares_balance(s, shares) == gbp("1000")


def test_a_withdrawal_retried_replays(engine: Engine) -> None:
    loan_id, shares, _ = make_loan(engine, amount="400", term=4, shares="10")
    day = TODAY + dt.timedelta(days=3)
    with unit_of_work(engine) as s:
        first = withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="w",
            business_date=day,
            actor="member:1",
            scope=STAFF,
        )
    with unit_of_work(engine) as s:
        again = withdraw_loan(
            s,
            loan_id=loan_id,
            source=RepaymentSource.shares(shares),
            idempotency_key="w",
            business_date=day,
            actor="member:1",
            scope=STAFF,
        )
        with pytest.raises(RepaymentKeyConflict):
            withdraw_loan(
                s,
                loan_id=loan_id,
                source=RepaymentSource.cash(),
                idempotency_key="w",
                business_date=day,
                actor="member:1",
                scope=STAFF,
            )
        with pytest.raises(LoanNotActive):
            withdraw_loan(
                s,
                loan_id=loan_id,
                source=RepaymentSource.shares(shares),
                idempotency_key="w2",
                business_date=day,
                actor="member:1",
                scope=STAFF,
            )
    # Three days on 400.00 at 2% a month: 400 x (1.02 ** (36/365) - 1) = 0.78.
    assert (first.paid, first.interest) == (gbp("400.78"), gbp("0.78"))
    assert again.replayed and (again.paid, again.entry_id) == (first.paid, first.entry_id)
