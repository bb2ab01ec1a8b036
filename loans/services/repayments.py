"""Repayments from shares, cash at a branch or an external payment; settlement figures.

A payment first accrues interest to its business date, then meets fees, interest and
principal in that order, all in one journal entry keyed by the client's idempotency key.
On the schedule it meets the instalments due first; what is left pays the next instalment
in advance, so the collection on that instalment's due date takes only what is then still
due (a payment three days early is not taken again on the day). A member who asks for it
(`reduce_balance`) has what is left reduce the balance instead. Whatever remains after
that shortens the term (the instalment is kept). A payment that clears the loan settles
it, with interest charged to the settlement date only and no early-repayment charge.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.ownership import Scope
from ledger.posting import post_entry
from loans.accrual import accrue_through, closing_minor
from loans.allocation import PaymentExceedsBalance
from loans.errors import LoansConflict, LoansRefused
from loans.models import (
    LoanRow,
    LoanStatus,
    LoanTransactionRow,
    PaymentSource,
    TransactionKind,
)
from loans.reschedule import rederive
from loans.services.accounts import Chart, chart, check_share_account
from loans.services.amounts import (
    Split,
    allocate_payment,
    new_transaction,
    transaction_amounts,
)
from loans.services.instalments import (
    apply_in_advance,
    apply_payment,
    close_rows,
    replace_future,
)
from loans.services.products import check_actor
from loans.services.state import (
    accrual_row,
    balances,
    catch_up,
    closing_interest,
    get_loan_row,
    lock_loan,
    require_active,
    state_of,
    terms_of,
)

KEY_LENGTH_MAX: Final = 100


class RepaymentKeyConflict(LoansConflict):
    """The idempotency key was used for a different repayment."""


class InvalidRepayment(LoansRefused):
    pass


@dataclass(frozen=True, slots=True)
class RepaymentSource:
    kind: PaymentSource
    share_account_id: int | None = None

    @classmethod
    def shares(cls, account_id: int) -> RepaymentSource:
        return cls(PaymentSource.SHARES, account_id)

    @classmethod
    def cash(cls) -> RepaymentSource:
        return cls(PaymentSource.CASH)

    @classmethod
    def external(cls) -> RepaymentSource:
        return cls(PaymentSource.EXTERNAL)


@dataclass(frozen=True, slots=True)
class RepaymentResult:
    transaction_id: int
    loan_id: int
    amount: Money
    fees: Money
    interest: Money
    principal: Money
    in_advance: Money  # met the next instalment before its due date
    overpayment: Money  # beyond what was due and paid in advance: it shortened the term
    settled: bool
    entry_id: uuid.UUID | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class SettlementFigure:
    loan_id: int
    on: dt.date
    principal: Money
    interest: Money  # receivable plus interest to `on`, the part period rounded in full
    fees: Money

    @property
    def total(self) -> Money:
        return self.principal + self.interest + self.fees


def source_account(
    session: Session, source: RepaymentSource, *, loan: LoanRow, books: Chart
) -> int:
    if source.kind is PaymentSource.SHARES:
        if source.share_account_id is None:
            raise InvalidRepayment("a repayment from shares names the share account")
        check_share_account(
            session, account_id=source.share_account_id, currency=loan.currency, books=books
        )
        return source.share_account_id
    if source.share_account_id is not None:
        raise InvalidRepayment(f"a {source.kind.value} repayment names no share account")
    return books.cash if source.kind is PaymentSource.CASH else books.bank


def repay(
    session: Session,
    *,
    loan_id: int,
    amount: Money,
    source: RepaymentSource,
    idempotency_key: str,
    business_date: dt.date,
    actor: str,
    scope: Scope,
    reduce_balance: bool = False,
) -> RepaymentResult:
    """Pay `amount` off the loan; a retry with the same key returns the first result.

    What is left after the instalments due pays the next instalment in advance, or with
    `reduce_balance` goes to reduce the balance (the term shortens, the instalment stays).

    Raises LoanNotFound, LoanNotActive, InvalidRepayment, RepaymentKeyConflict,
    PaymentExceedsBalance (more than the settlement figure), NotAShareAccount, and ledger
    refusals (InsufficientFunds when the shares cannot pay, PeriodClosed).
    """
    check_actor(actor)
    check_key(idempotency_key)
    with session.begin_nested():
        loan = lock_loan(session, loan_id, scope=scope)
        if not isinstance(amount, Money) or amount.currency != loan.currency:
            raise InvalidRepayment(f"a repayment is a {loan.currency} amount")
        if not amount.is_positive():
            raise InvalidRepayment("a repayment must be positive")
        key, earlier = earlier_transaction(session, loan, "repay", idempotency_key)
        books = chart(session)
        if earlier is not None:
            return _replay(earlier, loan, amount, source, books, reduce_balance=reduce_balance)
        require_active(loan)
        account_id = source_account(session, source, loan=loan, books=books)
        result = _pay(
            session,
            loan=loan,
            amount=amount,
            account_id=account_id,
            source=source.kind,
            key=key,
            business_date=business_date,
            actor=actor,
            books=books,
            kind=TransactionKind.REPAYMENT,
            reduce_balance=reduce_balance,
        )
    return result


def settlement_figure(
    session: Session, *, loan_id: int, on: dt.date, scope: Scope
) -> SettlementFigure:
    """What clears the loan on `on` (today or later), if nothing else is paid before then.

    Interest runs to `on` only, on today's principal; no early-repayment charge.
    """
    return settlement_of(session, get_loan_row(session, loan_id, scope=scope), on=on)


def settlement_of(session: Session, loan: LoanRow, *, on: dt.date) -> SettlementFigure:
    """`settlement_figure` of a loan row already read (its owner already checked)."""
    zero = Money.zero(loan.currency)
    if loan.status is not LoanStatus.ACTIVE:
        return SettlementFigure(loan.id, on, zero, zero, zero)
    accrual = accrual_row(session, loan.id)
    if on < accrual.accrued_through:
        raise LoansRefused(
            f"loan {loan.id} is accrued through {accrual.accrued_through}; ask for {on} or later"
        )
    owed = balances(session, loan)
    terms = terms_of(loan)
    state, posted = accrue_through(
        terms, state_of(accrual), principal_minor=owed.principal.minor_units, through=on
    )
    to_come = Money.from_minor(posted + closing_minor(terms, state), loan.currency)
    return SettlementFigure(loan.id, on, owed.principal, owed.interest + to_come, owed.fees)


def settle(
    session: Session,
    *,
    loan_id: int,
    source: RepaymentSource,
    idempotency_key: str,
    business_date: dt.date,
    actor: str,
    scope: Scope,
) -> RepaymentResult:
    """Pay today's settlement figure: the loan is cleared and closed."""
    figure = settlement_figure(session, loan_id=loan_id, on=business_date, scope=scope)
    if not figure.total.is_positive():
        raise LoansConflict(f"loan {loan_id} owes nothing")
    return repay(
        session,
        loan_id=loan_id,
        amount=figure.total,
        source=source,
        idempotency_key=idempotency_key,
        business_date=business_date,
        actor=actor,
        scope=scope,
    )


def pay_off(
    session: Session,
    *,
    loan: LoanRow,
    account_id: int,
    source: PaymentSource,
    key: str,
    business_date: dt.date,
    actor: str,
    books: Chart,
) -> RepaymentResult:
    """Pay everything the locked `loan` owes on `business_date`, interest to that day."""
    catch_up(
        session, loan, through=business_date, actor=actor, interest_income_id=books.interest_income
    )
    clearing = balances(session, loan).total + closing_interest(session, loan)
    if not clearing.is_positive():
        raise LoansConflict(f"loan {loan.id} owes nothing")
    return _pay(
        session,
        loan=loan,
        amount=clearing,
        account_id=account_id,
        source=source,
        key=key,
        business_date=business_date,
        actor=actor,
        books=books,
        kind=TransactionKind.REPAYMENT,
    )


def _pay(
    session: Session,
    *,
    loan: LoanRow,
    amount: Money,
    account_id: int,
    source: PaymentSource,
    key: str,
    business_date: dt.date,
    actor: str,
    books: Chart,
    kind: TransactionKind,
    reduce_balance: bool = False,
) -> RepaymentResult:
    catch_up(
        session, loan, through=business_date, actor=actor, interest_income_id=books.interest_income
    )
    owed = balances(session, loan)
    closing = closing_interest(session, loan)
    if amount > owed.total + closing:
        raise PaymentExceedsBalance(amount.minor_units, (owed.total + closing).minor_units)
    if closing and amount == owed.total + closing:
        # It clears the loan: the part period's interest is rounded in full and charged.
        catch_up(
            session,
            loan,
            through=business_date,
            actor=actor,
            interest_income_id=books.interest_income,
            closing=True,
        )
        owed = balances(session, loan)
    split = allocate_payment(amount, owed)
    entry_id = _post_repayment(session, loan, split, account_id, key, business_date, actor)
    met = apply_payment(session, loan=loan, amount=amount, business_date=business_date)
    settled = split.total == owed.total
    # Under a notice of withdrawal everything is due on the repay-by date: there is no
    # instalment to pay in advance and no term to shorten.
    scheduled = not settled and loan.withdrawal_notice_on is None
    ahead = None
    if scheduled and not reduce_balance:
        ahead = apply_in_advance(
            session, loan=loan, amount=amount - met, business_date=business_date
        )
    nothing = Money.zero(loan.currency)
    in_advance = ahead.met if ahead is not None else nothing
    overpayment = max(amount - met - in_advance, nothing) if scheduled else nothing
    # The schedule is derived again from the day after the last instalment now paid.
    since = ahead.due_date if ahead is not None and ahead.paid else business_date
    if business_date >= loan.maturity_date or since >= loan.maturity_date:
        overpayment = nothing
    if settled:
        _settle(session, loan, business_date)
    elif overpayment.is_positive():
        after = balances(session, loan)
        planned = rederive(
            terms_of(loan),
            principal_minor=after.principal.minor_units,
            instalment_minor=loan.instalment_minor,
            paid_on=since,
            last_number=loan.last_instalment_no,
        )
        replace_future(session, loan=loan, after=since, rows=planned)
    transaction = new_transaction(
        loan,
        kind=kind,
        business_date=business_date,
        amount=amount,
        split=split,
        source=source,
        source_account_id=account_id,
        journal_entry_id=entry_id,
        idempotency_key=key,
        actor=actor,
        reduce_balance=reduce_balance,
        in_advance=in_advance,
        balance_reduction=overpayment,
    )
    session.add(transaction)
    session.flush()
    return RepaymentResult(
        transaction_id=transaction.id,
        loan_id=loan.id,
        amount=amount,
        fees=split.fees,
        interest=split.interest,
        principal=split.principal,
        in_advance=in_advance,
        overpayment=overpayment,
        settled=settled,
        entry_id=entry_id,
    )


def repayment_lines(split: Split, *, loan: LoanRow, account_id: int) -> tuple[Line, ...]:
    lines = [Line.debit(account_id, split.total)]
    for part, target in (
        (split.fees, loan.fees_account_id),
        (split.interest, loan.interest_account_id),
        (split.principal, loan.principal_account_id),
    ):
        if part:
            lines.append(Line.credit(target, part))
    return tuple(lines)


def _post_repayment(
    session: Session,
    loan: LoanRow,
    split: Split,
    account_id: int,
    key: str,
    business_date: dt.date,
    actor: str,
) -> uuid.UUID:
    posted = post_entry(
        session,
        EntryRequest(
            idempotency_key=key,
            business_date=business_date,
            lines=repayment_lines(split, loan=loan, account_id=account_id),
            description=f"Loan {loan.id} repayment",
            posted_by=actor,
            kind="loan.repayment",
            reference=f"loan:{loan.id}",
            # Minor units, as every loan entry's metadata has always held them.
            metadata={
                "fees": split.fees.minor_units,
                "interest": split.interest.minor_units,
                "principal": split.principal.minor_units,
            },
        ),
    )
    return posted.id


def _settle(session: Session, loan: LoanRow, business_date: dt.date) -> None:
    """Cleared: settled, or withdrawn when the member had given notice of withdrawal."""
    if loan.withdrawal_notice_on is not None:
        loan.status = LoanStatus.WITHDRAWN
        loan.withdrawn_on = business_date
    else:
        loan.status = LoanStatus.SETTLED
        loan.settled_on = business_date
    loan.days_past_due = 0
    loan.arrears = Money.zero(loan.currency)
    loan.arrears_bucket = "current"
    close_rows(session, loan_ids=[loan.id], business_date=business_date)
    session.flush()


def _replay(
    earlier: LoanTransactionRow,
    loan: LoanRow,
    amount: Money,
    source: RepaymentSource,
    books: Chart,
    *,
    reduce_balance: bool,
) -> RepaymentResult:
    if source.kind is PaymentSource.SHARES:
        account_id = source.share_account_id
    else:
        account_id = books.cash if source.kind is PaymentSource.CASH else books.bank
    first = transaction_amounts(earlier, loan)
    if (
        first.amount != amount
        or earlier.source is not source.kind
        or earlier.source_account_id != account_id
        or earlier.reduce_balance is not reduce_balance
    ):
        raise RepaymentKeyConflict("the idempotency key was used for a different repayment")
    nothing = Money.zero(loan.currency)
    return RepaymentResult(
        transaction_id=earlier.id,
        loan_id=loan.id,
        amount=first.amount,
        fees=first.split.fees,
        interest=first.split.interest,
        principal=first.split.principal,
        # As first answered; a repayment from before migration 0020 kept no split.
        in_advance=first.in_advance or nothing,
        overpayment=first.balance_reduction or nothing,
        settled=loan.status is LoanStatus.SETTLED,
        entry_id=earlier.journal_entry_id,
        replayed=True,
    )


def check_key(key: str) -> None:
    """A client's idempotency key for a repayment, withdrawal or recovery: the one rule."""
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_LENGTH_MAX:
        raise InvalidRepayment(f"an idempotency key is 1 to {KEY_LENGTH_MAX} characters")
    if not key.isprintable():
        raise InvalidRepayment("an idempotency key is printable text")


def earlier_transaction(
    session: Session, loan: LoanRow, purpose: str, idempotency_key: str
) -> tuple[str, LoanTransactionRow | None]:
    """The key a client's `idempotency_key` (checked by `check_key`) gives the loan
    transaction it asks for (`purpose`: repay, withdraw, recovery), and the transaction an
    earlier request with it made, if any: a retry answers with that and posts nothing.
    Looked up with `loan` locked, so a concurrent retry waits and then finds the first."""
    key = f"loan:{loan.id}:{purpose}:{idempotency_key}"
    earlier = session.scalar(
        select(LoanTransactionRow).where(LoanTransactionRow.idempotency_key == key)
    )
    return key, earlier


__all__ = [
    "InvalidRepayment",
    "PaymentExceedsBalance",
    "RepaymentKeyConflict",
    "RepaymentResult",
    "RepaymentSource",
    "SettlementFigure",
    "check_key",
    "earlier_transaction",
    "repay",
    "settle",
    "settlement_figure",
    "settlement_of",
]
