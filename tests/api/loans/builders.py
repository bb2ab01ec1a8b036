"""Loan objects made straight through the services (fast), for tests that need many: the
role matrix, object-level access. Members are adults; loans use the app's default policy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text

from creditunion.lending import origination
from creditunion.lending.policy import decision_policy
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from ledger.money import Money
from ledger.ownership import STAFF
from loans.affordability import IncomeExpenditure
from loans.decision import MemberFacts
from loans.frequency import Frequency
from loans.models import ApplicationStatus, LoanRow, LoanStatus
from loans.services.applications import decide_application, submit_application
from loans.services.origination import accept_offer
from loans.services.repayments import RepaymentSource
from loans.services.withdrawal import withdraw_loan
from loans.services.writeoff import write_off_loan
from tests.api.banking.bank import Bank
from tests.api.loans.lending import ADULT, PAYDAY

ACTOR = "user:loan-builders"
SETTINGS = Settings(base_currency="GBP")


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def income(monthly: str = "2500.00", rent: str = "700.00") -> IncomeExpenditure:
    return IncomeExpenditure(gbp(monthly), (("rent", gbp(rent)),), 0)


# Leaves 80.74 a month after a 500.00 loan's 89.26: inside the default referral band.
NEAR_MARGIN = income("1000.00", "830.00")


@dataclass
class Builders:
    bank: Bank

    def adult(self, member_id: int, *, since: dt.date | None = None) -> None:
        """The member is 41 and a member since `since` (a year ago by default)."""
        joined = since or self.bank.today - dt.timedelta(days=365)
        with unit_of_work(self.bank.engine) as session:
            session.execute(
                text(
                    "UPDATE members SET date_of_birth = :born, joined_on = :d, activated_on = :d "
                    "WHERE id = :m"
                ),
                {"born": ADULT, "d": joined, "m": member_id},
            )

    def member_with_shares(self, balance: str | None = "300.00") -> tuple[int, int]:
        """(member id, share account id) of a new adult member."""
        account = self.bank.account(balance=balance)
        self.adult(account.member_id)
        return account.member_id, account.id

    def application(
        self,
        member_id: int,
        *,
        amount: str = "500.00",
        statement: IncomeExpenditure | None = None,
        on: dt.date | None = None,
    ) -> tuple[int, ApplicationStatus]:
        """An application decided at once with the app's default policy: (id, status)."""
        with unit_of_work(self.bank.engine) as session:
            view = origination.apply_for_loan(
                session,
                member_id=member_id,
                product_code=PAYDAY,
                amount=gbp(amount),
                term=6,
                frequency=Frequency.MONTHLY,
                purpose="test",
                statement=statement or income(),
                refinances_existing=False,
                settings=SETTINGS,
                business_date=on or self.bank.today,
            )
        return view.id, view.status

    def offer(self, member_id: int) -> int:
        """An offered application (any active loans of the member are settled first).

        A loan settled in the last days makes the new one a possible rollover, referred to
        a loan officer: here the officer has checked it repays nothing, and approves it.
        """
        self.clear(member_id)
        application_id, status = self.application(member_id)
        if status is ApplicationStatus.REFERRED:
            with unit_of_work(self.bank.engine) as session:
                status = origination.approve_referral(
                    session,
                    application_id=application_id,
                    officer=ACTOR,
                    note="the settled loan was repaid from shares, not by this loan",
                    settings=SETTINGS,
                    business_date=self.bank.today,
                ).status
        assert status is ApplicationStatus.OFFERED, status
        return application_id

    def referral(self) -> int:
        member_id, _ = self.member_with_shares()
        application_id, status = self.application(member_id, statement=NEAR_MARGIN)
        assert status is ApplicationStatus.REFERRED, status
        return application_id

    def loan(self, member_id: int, share_account_id: int) -> int:
        """A new active loan of the member's, paid into the account, collected from it."""
        application_id = self.offer(member_id)
        with unit_of_work(self.bank.engine) as session:
            return origination.accept(
                session,
                application_id=application_id,
                member_id=member_id,
                share_account_id=share_account_id,
                collection_mandate=True,
                collection_account_id=None,
                actor=ACTOR,
                settings=SETTINGS,
                business_date=self.bank.today,
            )

    def clear(self, member_id: int) -> None:
        """Withdraw from the member's active loans (cash), so they may borrow again.

        A withdrawn loan counts as never made, so clearing never reaches the limit of
        loans in any six months either.
        """
        with unit_of_work(self.bank.engine) as session:
            active = session.scalars(
                select(LoanRow.id).where(
                    LoanRow.member_id == member_id, LoanRow.status == LoanStatus.ACTIVE
                )
            ).all()
            for loan_id in active:
                withdraw_loan(
                    session,
                    loan_id=loan_id,
                    source=RepaymentSource.cash(),
                    idempotency_key=f"clear-{uuid.uuid4().hex}",
                    business_date=self.bank.today,
                    actor=ACTOR,
                    scope=STAFF,
                )

    def overdue_loan(self, *, days: int = 300) -> int:
        """A loan made `days` ago and never paid: far past the write-off threshold."""
        member_id, account_id = self.member_with_shares(None)
        on = self.bank.today - dt.timedelta(days=days)
        facts = MemberFacts(member_id, "active", on - dt.timedelta(days=365), ADULT)
        policy = decision_policy(SETTINGS, currency="GBP")
        with unit_of_work(self.bank.engine) as session:
            ledger_account = session.scalar(
                text("SELECT ledger_account_id FROM share_accounts WHERE id = :a"),
                {"a": account_id},
            )
            submitted = submit_application(
                session,
                member_id=member_id,
                product_code=PAYDAY,
                amount=gbp("300.00"),
                term=3,
                frequency=Frequency.MONTHLY,
                purpose="test",
                statement=income(),
                business_date=on,
            )
            decide_application(
                session, application_id=submitted.id, member=facts, policy=policy, business_date=on
            )
            return accept_offer(
                session,
                application_id=submitted.id,
                member=facts,
                share_account_id=int(ledger_account),
                policy=policy,
                business_date=on,
                collection_mandate=False,
            )

    def written_off_loan(self) -> int:
        loan_id = self.overdue_loan()
        with unit_of_work(self.bank.engine) as session:
            write_off_loan(
                session,
                loan_id=loan_id,
                business_date=self.bank.today,
                actor=ACTOR,
                reason="gone away",
                min_days_past_due=SETTINGS.loan_write_off_after_days,
            )
        return loan_id
