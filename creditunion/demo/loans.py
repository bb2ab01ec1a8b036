"""The demo's loans: a few members borrow during the history, in every state worth seeing.

Each happens on a set day of the history (counted from its first day), to a set member
(by index), through the same commands the API runs, as that member (so each step is in the
audit log): the member applies and is decided at once, accepts, repays from their shares
or settles. By the last day:

| member | what |
| --- | --- |
| member3 (index 2) | an active loan, made a month ago, collected from their shares by mandate |
| member4 (index 3) | an offer made on the last day, open for two weeks |
| member5 (index 4) | a loan repaid once and then settled early |
| index 5 | a loan never repaid: two instalments missed, in the 31-60 days bucket |
| index 6 | a weekly loan repaid every week from shares |
| index 7 | an application referred to the loan officer (affordability near the margin) |
| index 8 | an application declined (more than the product lends) |

Days are posted once each, in the transaction that moves the business date, so a second
run does nothing. A step that cannot go through (a member who spent the money they were
to repay with) is skipped, as a real day would carry on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.auth.actor import Actor
from creditunion.auth.models import User
from creditunion.auth.roles import Role
from creditunion.commands import CommandContext, IdempotencyKey, member_context
from creditunion.demo.people import DemoBook
from creditunion.errors import Conflict
from creditunion.lending import reads
from creditunion.lending.application_commands import accept_offer, apply_for_loan
from creditunion.lending.commands import repay_from_shares, settle_from_shares
from creditunion.platform.settings import Settings
from ledger.accounts import get_account
from ledger.deadline import Deadline
from ledger.money import Money
from ledger.ownership import MemberScope
from loans.affordability import IncomeExpenditure
from loans.errors import LoansRefused
from loans.frequency import Frequency
from loans.models import LoanStatus
from loans.services.arrears import age_loan
from loans.services.queries import get_loan

PRODUCT: Final = "GB-PAYDAY-ALT"
ACTIVE_BY_MANDATE, OFFERED, SETTLED, IN_ARREARS, WEEKLY, REFERRED, DECLINED = range(2, 9)


@dataclass(frozen=True, slots=True)
class Loan:
    amount: str
    term: int
    frequency: Frequency
    mandate: bool


_TAKEN: Final = {
    # day of the history: (member index, the loan)
    5: (WEEKLY, Loan("600.00", 26, Frequency.WEEKLY, mandate=False)),
    10: (SETTLED, Loan("400.00", 6, Frequency.MONTHLY, mandate=False)),
    20: (IN_ARREARS, Loan("500.00", 6, Frequency.MONTHLY, mandate=False)),
    60: (ACTIVE_BY_MANDATE, Loan("300.00", 3, Frequency.MONTHLY, mandate=True)),
}
_REPAID_ON: Final = 40  # member5 pays their first instalment...
_SETTLED_ON: Final = 50  # ...and settles early

# What a day can refuse: the state of the member's money or loan (conflicts, the ledger's
# refusals among them) and the lending rules. Anything else is a bug and stops the demo.
Refusals = (Conflict, LoansRefused)


def _statement(
    currency: str, *, income: str = "2200.00", rent: str = "650.00"
) -> IncomeExpenditure:
    return IncomeExpenditure(
        monthly_net_income=Money(income, currency),
        outgoings=(("rent", Money(rent, currency)), ("food", Money("250.00", currency))),
        dependants=0,
    )


class DemoLoans:
    """The loans of one day of the demo's history, posted in that day's transaction."""

    def __init__(
        self,
        session: Session,
        book: DemoBook,
        settings: Settings,
        *,
        day: dt.date,
        offset: int,
        last: int,
    ) -> None:
        """`offset`: days since the history's first day; `last`: the offset of its last."""
        self.session = session
        self.book = book
        self.settings = settings
        self.day = day
        self.offset = offset
        self.last = last
        self.currency = settings.base_currency

    def post(self) -> None:
        if self.offset in _TAKEN:
            index, loan = _TAKEN[self.offset]
            self._attempt(index, lambda: self._borrow(index, loan))
        self._attempt(WEEKLY, lambda: self._weekly_instalment(WEEKLY))
        if self.offset == _REPAID_ON:
            self._attempt(SETTLED, lambda: self._next_instalment(SETTLED))
        if self.offset == _SETTLED_ON:
            self._attempt(SETTLED, lambda: self._settle(SETTLED))
        if self.offset == self.last:
            self._attempt(OFFERED, lambda: self._apply(OFFERED, amount="250.00"))
            # 150.00 a month to spare, 60.74 after the instalment: near the 50.00 margin.
            self._attempt(
                REFERRED,
                lambda: self._apply(
                    REFERRED, statement=_statement(self.currency, income="1000.00", rent="600.00")
                ),
            )
            self._attempt(DECLINED, lambda: self._apply(DECLINED, amount="2000.00"))
            self._attempt(IN_ARREARS, lambda: self._age(IN_ARREARS))

    # ------------------------------------------------------------------------ steps

    def _attempt(self, index: int, step: Callable[[], object]) -> None:
        if index >= len(self.book.people) or self.book.people[index].junior:
            return
        try:
            with self.session.begin_nested():
                step()
        except Refusals:
            return  # refused as the app would refuse it; the day goes on

    def _member(self, index: int) -> int:
        return self.book.member_ids[index]

    def _scope(self, index: int) -> MemberScope:
        return MemberScope(self._member(index))

    def _acting(self, index: int, key: str | None = None) -> CommandContext:
        """The member acting for themselves, as the API would start their command; `key`
        for what moves money (deterministic, so a rerun finds it posted)."""
        actor = self._actor(index)
        owner = str(actor.user_id) if actor.user_id is not None else actor.username
        return member_context(
            actor,
            business_date=self.day,
            deadline=Deadline.after(self.settings.command_deadline_s),
            idempotency=None if key is None else IdempotencyKey("demo", owner, key),
        )

    def _actor(self, index: int) -> Actor:
        """The member's app login if they have one; else the member themselves, named as
        the demo has always recorded them (`member:{id}`): the demo acts for members who
        never signed up to the app, as their loans must still be somebody's doing."""
        member_id = self._member(index)
        login = self.session.scalar(select(User).where(User.member_id == member_id).limit(1))
        if login is not None:
            return Actor(
                user_id=login.id, username=login.username, role=Role.MEMBER, member_id=member_id
            )
        return Actor(
            user_id=None, username=f"member:{member_id}", role=Role.MEMBER, member_id=member_id
        )

    def _apply(
        self,
        index: int,
        *,
        amount: str = "500.00",
        term: int = 6,
        frequency: Frequency = Frequency.MONTHLY,
        statement: IncomeExpenditure | None = None,
    ) -> int:
        view = apply_for_loan(
            self.session,
            self._acting(index),
            product_code=PRODUCT,
            amount=Money(amount, self.currency),
            term=term,
            frequency=frequency,
            purpose="demo: car repair",
            statement=statement or _statement(self.currency),
            refinances_existing=False,
            settings=self.settings,
        )
        return view.id

    def _borrow(self, index: int, loan: Loan) -> None:
        application_id = self._apply(
            index, amount=loan.amount, term=loan.term, frequency=loan.frequency
        )
        account = self.book.main_account(index)
        before = self._balance(index)
        accept_offer(
            self.session,
            self._acting(index, f"{self.day}:accept:{index}"),
            application_id=application_id,
            share_account_id=account,
            collection_mandate=loan.mandate,
            collection_account_id=None,
            settings=self.settings,
        )
        self._moved(index, before)

    def _loan_id(self, index: int) -> int | None:
        found = reads.loan_ids(
            self.session, scope=self._scope(index), status=LoanStatus.ACTIVE, limit=1
        )
        return found[0] if found else None

    def _next_instalment(self, index: int) -> None:
        loan_id = self._loan_id(index)
        if loan_id is None:
            return
        due = get_loan(self.session, loan_id=loan_id, scope=self._scope(index)).next_payment
        if due is None:
            return
        before = self._balance(index)
        repay_from_shares(
            self.session,
            self._acting(index, f"{self.day}:loan:{index}"),
            loan_id=loan_id,
            share_account_id=self.book.main_account(index),
            amount=due.amount,
            reduce_balance=False,
        )
        self._moved(index, before)

    def _weekly_instalment(self, index: int) -> None:
        loan_id = self._loan_id(index)
        if loan_id is None:
            return
        due = get_loan(self.session, loan_id=loan_id, scope=self._scope(index)).next_payment
        if due is not None and due.due_date == self.day:
            self._next_instalment(index)

    def _settle(self, index: int) -> None:
        loan_id = self._loan_id(index)
        if loan_id is None:
            return
        before = self._balance(index)
        settle_from_shares(
            self.session,
            self._acting(index, f"{self.day}:settle:{index}"),
            loan_id=loan_id,
            share_account_id=self.book.main_account(index),
        )
        self._moved(index, before)

    def _age(self, index: int) -> None:
        # Close of business ages arrears every day; the demo moves the date without it.
        # Not a command: ageing is close of business's own bookkeeping, which no one starts.
        loan_id = self._loan_id(index)
        if loan_id is not None:
            age_loan(self.session, loan_id=loan_id, business_date=self.day)

    # -------------------------------------------------------------- the demo's balances

    def _balance(self, index: int) -> Money:
        limits = self.book.ledgers[self.book.main_account(index)]
        return get_account(self.session, limits.ledger_id).balance

    def _moved(self, index: int, before: Money) -> None:
        """Keep the history poster's running balance of the account exact."""
        self.book.ledgers[self.book.main_account(index)].moved(self._balance(index) - before)
