"""Accepting an offer: the loan is made and disbursed in one balanced journal entry.

The entry, for a loan of amount A with fees by treatment (`loans.product.FeeTreatment`):

    Dr  loan principal        A + financed (added) fees
    Cr  member's shares       A - deducted fees              the advance
    Dr  member's shares       upfront fees                   paid from shares at once
    Cr  deferred fee income   deducted + added + upfront fees  earned over the loan's life

so the member receives exactly the credit the quote's APR used (A less deducted fees),
pays upfront fees on the disbursement date as the quote's payments say, and repays the
schedule's principal (A plus financed fees) by the schedule's instalments.

A loan is never made costlier than the offer the member accepted: the loan is priced for
the day it is made (the first period and so the APR depend on that day), and if its APR,
instalment or total payable is above the offer's, the acceptance is refused with both
sets of figures (`OfferRepriced`) and nothing changes; the member can turn the offer
down and apply again at today's price.

Acceptances of payday alternative loans are serialised on the credit union's PAL
portfolio (`locks.lock_pal_portfolio`), so two members accepting at once cannot both fit
under the limit of 20% of net worth that only one of them fits under.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.ownership import MemberScope
from ledger.posting import post_entry
from loans.accrual import opening_state
from loans.codec import product_to_json
from loans.decision import (
    DecisionPolicy,
    MemberFacts,
    Reason,
    eligibility,
    loan_facts,
    pal_rollover,
)
from loans.errors import LoansConflict, LoansRefused
from loans.models import (
    ApplicationStatus,
    LoanAccrualRow,
    LoanApplicationRow,
    LoanProductRow,
    LoanRow,
    LoanStatus,
    PaymentSource,
    TransactionKind,
)
from loans.product import FeeTreatment, LoanProduct
from loans.quote import Quote, QuoteRefused, quote
from loans.registry import code_of, disclosed_apr
from loans.rulesets.gb import EXEMPT_THRESHOLD_CODE
from loans.rulesets.pal import PalRules
from loans.services.accounts import (
    LoanAccounts,
    chart,
    check_lending_currency,
    check_share_account,
    open_loan_accounts,
)
from loans.services.amounts import Split, new_transaction
from loans.services.applications import (
    InvalidTransition,
    lock_application,
    move,
    request_of,
)
from loans.services.fee_recognition import defer_fees
from loans.services.history import member_loan_history
from loans.services.instalments import insert_schedule
from loans.services.locks import lock_member, lock_pal_portfolio
from loans.services.products import product_of
from loans.services.state import store_state, terms_of

_NEXT_LOAN_ID = text("SELECT nextval(pg_get_serial_sequence('loans', 'id'))")


class OfferExpired(LoansConflict):
    def __init__(self, application_id: int, expired_on: dt.date) -> None:
        super().__init__(f"the offer on application {application_id} lapsed after {expired_on}")
        self.application_id = application_id


@dataclass(frozen=True, slots=True)
class Terms:
    """What a loan costs as the member is shown it."""

    apr: Decimal
    instalment: Money
    total_payable: Money


class OfferRepriced(LoansConflict):
    """Made today, the loan would cost more than the offer: `offered` and `today` say how."""

    def __init__(self, application_id: int, *, offered: Terms, today: Terms, on: dt.date) -> None:
        super().__init__(
            f"the offer on application {application_id} was APR {offered.apr}%, "
            f"{offered.instalment} an instalment, {offered.total_payable} in all; made on "
            f"{on} the loan would be APR {today.apr}%, {today.instalment} an instalment, "
            f"{today.total_payable} in all (the first repayment period depends on the day the "
            "loan is made). A loan is never made dearer than its offer: turn this offer down "
            "and apply again for one at today's price"
        )
        self.application_id = application_id
        self.offered = offered
        self.today = today


class AcceptanceRefused(LoansRefused):
    """The loan can no longer be made as offered; `reasons` names each rule."""

    def __init__(self, reasons: tuple[Reason, ...]) -> None:
        super().__init__("; ".join(f"{r.code}: {r.message}" for r in reasons))
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class FeeSplit:
    deducted: Money
    added: Money
    upfront: Money

    @property
    def total(self) -> Money:
        return self.deducted + self.added + self.upfront


def fee_split(product: LoanProduct) -> FeeSplit:
    zero = Money.zero(product.currency)
    by_treatment = dict.fromkeys(FeeTreatment, zero)
    for fee in product.fees:
        by_treatment[fee.treatment] = by_treatment[fee.treatment] + fee.amount
    return FeeSplit(
        by_treatment[FeeTreatment.DEDUCTED],
        by_treatment[FeeTreatment.ADDED],
        by_treatment[FeeTreatment.UPFRONT],
    )


def disbursement_lines(
    *,
    amount: Money,
    fees: FeeSplit,
    accounts: LoanAccounts,
    share_account_id: int,
    deferred_fees_id: int,
) -> tuple[Line, ...]:
    lines = [
        Line.debit(accounts.principal, amount + fees.added),
        Line.credit(share_account_id, amount - fees.deducted),
    ]
    if fees.upfront.is_positive():
        lines.append(Line.debit(share_account_id, fees.upfront))
    if fees.total.is_positive():
        lines.append(Line.credit(deferred_fees_id, fees.total))
    return tuple(lines)


def accept_offer(
    session: Session,
    *,
    application_id: int,
    member: MemberFacts,
    share_account_id: int,
    policy: DecisionPolicy,
    business_date: dt.date,
    collection_mandate: bool = True,
) -> int:
    """The member accepts an offer: make the loan and pay it into their shares.

    Returns the loan id. The loan is priced again for today's date and checked again
    against the rule set, the member's limits and eligibility, and against the offer: it
    is never made dearer than offered. With `collection_mandate`, instalments are
    collected from the same share account as they fall due.

    Raises ApplicationNotFound (not this member's), InvalidTransition (not offered),
    OfferExpired, AcceptanceRefused (with reasons), OfferRepriced (dearer than the offer),
    NotAShareAccount, CurrencyNotLent, and ledger refusals such as InsufficientFunds (an
    upfront fee the shares cannot pay).
    """
    with session.begin_nested():
        application = lock_application(session, application_id, scope=MemberScope(member.member_id))
        if application.status is not ApplicationStatus.OFFERED:
            raise InvalidTransition(application.id, application.status, "accept")
        assert application.offer_expires_on is not None, "an offer always has an expiry"
        if business_date > application.offer_expires_on:
            raise OfferExpired(application.id, application.offer_expires_on)
        lock_member(session, member.member_id)
        product_row = session.get(LoanProductRow, application.product_id)
        assert product_row is not None, "an application's product version always exists"
        product = product_of(product_row)
        if isinstance(product.rule_set, PalRules):
            # Before the portfolio is read, held to commit: the limit is credit-union wide.
            lock_pal_portfolio(session, product.currency)
        books = chart(session)
        check_lending_currency(books, product.currency)
        check_share_account(
            session, account_id=share_account_id, currency=product.currency, books=books
        )
        priced = _price_again(session, application_id, product, member, policy, business_date)
        loan_id = int(session.scalar(_NEXT_LOAN_ID) or 0)
        accounts = open_loan_accounts(
            session, loan_id=loan_id, currency=product.currency, books=books
        )
        fees = fee_split(product)
        row = _loan_row(
            loan_id,
            application.id,
            member.member_id,
            product_row,
            product,
            priced,
            fees,
            accounts,
            share_account_id,
            collection_mandate,
            business_date,
        )
        session.add(row)
        session.flush()
        accrual = LoanAccrualRow(loan_id=loan_id)
        store_state(accrual, opening_state(terms_of(row)))
        session.add(accrual)
        insert_schedule(session, loan_id=loan_id, rows=priced.schedule.rows)
        defer_fees(session, loan_id=loan_id, fees=fees.total, schedule=priced.schedule)
        entry = post_entry(
            session,
            EntryRequest(
                idempotency_key=f"loan:{loan_id}:disburse",
                business_date=business_date,
                lines=disbursement_lines(
                    amount=priced.amount,
                    fees=fees,
                    accounts=accounts,
                    share_account_id=share_account_id,
                    deferred_fees_id=books.deferred_fees,
                ),
                description=f"Loan {loan_id} advance of {priced.amount}",
                posted_by=f"member:{member.member_id}",
                kind="loan.disbursement",
                reference=f"loan:{loan_id}",
                metadata={"application_id": application.id, "apr": str(priced.apr)},
            ),
        )
        row.disbursement_entry_id = entry.id
        zero = Money.zero(product.currency)
        session.add(
            new_transaction(
                row,
                kind=TransactionKind.DISBURSEMENT,
                business_date=business_date,
                amount=priced.amount,
                split=Split(fees=fees.total, interest=zero, principal=priced.amount + fees.added),
                source=PaymentSource.SHARES,
                source_account_id=share_account_id,
                journal_entry_id=entry.id,
                actor=f"member:{member.member_id}",
            )
        )
        application.closed_on = business_date
        move(
            session,
            application,
            ApplicationStatus.ACCEPTED,
            business_date,
            f"member:{member.member_id}",
            f"loan {loan_id}",
        )
        session.flush()
    return loan_id


def _price_again(
    session: Session,
    application_id: int,
    product: LoanProduct,
    member: MemberFacts,
    policy: DecisionPolicy,
    business_date: dt.date,
) -> Quote:
    application = lock_application(session, application_id, scope=MemberScope(member.member_id))
    request = request_of(application)
    history = member_loan_history(
        session, member_id=member.member_id, currency=product.currency, on=business_date
    )
    # Referral points were weighed when the offer was made; only declines count now.
    declines, _ = eligibility(member, history, request, policy, on=business_date)
    refinances_a_pal = pal_rollover(product, request, history, policy, on=business_date)
    try:
        priced = quote(
            product,
            request.amount,
            request.term,
            request.frequency,
            business_date,
            loan_facts(member, history, refinances_a_pal=refinances_a_pal),
        )
    except QuoteRefused as refused:
        declines += [Reason(v.code, v.message) for v in refused.violations]
        raise AcceptanceRefused(tuple(declines)) from refused
    if declines:
        raise AcceptanceRefused(tuple(declines))
    _check_not_dearer(application, priced, rule_set=code_of(product.rule_set), on=business_date)
    return priced


def _check_not_dearer(
    application: LoanApplicationRow, priced: Quote, *, rule_set: str, on: dt.date
) -> None:
    """Refuse a loan that would cost more than its offer, by any figure the member saw."""
    assert application.offered_apr is not None, "an offer always carries its APR"
    assert application.offered_instalment is not None
    assert application.offered_total_payable is not None
    offered = Terms(
        apr=disclosed_apr(rule_set, application.offered_apr),
        instalment=application.offered_instalment,
        total_payable=application.offered_total_payable,
    )
    today = Terms(
        apr=disclosed_apr(rule_set, priced.apr),
        instalment=priced.instalment,
        total_payable=priced.total_amount_payable,
    )
    if (
        today.apr > offered.apr
        or today.instalment > offered.instalment
        or today.total_payable > offered.total_payable
    ):
        raise OfferRepriced(application.id, offered=offered, today=today, on=on)


def _loan_row(
    loan_id: int,
    application_id: int,
    member_id: int,
    product_row: LoanProductRow,
    product: LoanProduct,
    priced: Quote,
    fees: FeeSplit,
    accounts: LoanAccounts,
    share_account_id: int,
    collection_mandate: bool,
    business_date: dt.date,
) -> LoanRow:
    schedule = priced.schedule
    row = LoanRow(
        id=loan_id,
        member_id=member_id,
        application_id=application_id,
        product_id=product_row.id,
        product_code=product_row.code,
        rule_set=code_of(product.rule_set),
        currency=product.currency,
        terms=product_to_json(product),
        amount=priced.amount,
        principal=schedule.principal,
        credit=priced.advances[0][1],
        fees=fees.total,
        apr=priced.apr,
        above_exempt_threshold=EXEMPT_THRESHOLD_CODE in priced.flags,
        rate=product.rate.value,
        rate_basis=product.rate.basis.value,
        day_count=product.day_count.value,
        frequency=schedule.frequency.value,
        interest_rounding=product.interest_rounding,
        instalment=schedule.instalment,
        instalments=len(schedule.rows),
        late_fee=product.late_fee,
        nsf_fee=product.nsf_fee,
        principal_account_id=accounts.principal,
        interest_account_id=accounts.interest,
        fees_account_id=accounts.fees,
        disbursement_account_id=share_account_id,
        collection_account_id=share_account_id if collection_mandate else None,
        status=LoanStatus.ACTIVE,
        disbursed_on=business_date,
        maturity_date=schedule.final_due_date,
        last_instalment_no=len(schedule.rows),
        accrual_denominator=1,
        created_by=f"member:{member_id}",
    )
    row.accrual_denominator = terms_of(row).denominator
    return row
