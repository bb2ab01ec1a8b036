"""A loan, a nominated account and a direct-debit mandate made through the services, and
the days of close of business the collection tests need, run step by step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Final

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creditunion.payments.collections.collect import collect_due
from creditunion.payments.collections.mandates import MandateRequest, set_up_mandate
from creditunion.payments.collections.models import Collection, CollectionNotice
from creditunion.payments.collections.schedule import schedule_collections
from creditunion.payments.config import AchOriginator, PaymentConfig
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import Scheme
from creditunion.payments.nominations import BankDetails, destination_of, nominate
from creditunion.payments.settlement_calendar import Rail
from creditunion.payments.sub_ledger import reconcile_payments
from creditunion.platform.database import unit_of_work
from creditunion.reconciliation import reconcile
from ledger.accounts import get_account
from ledger.invariants import check_invariants
from ledger.money import Money
from ledger.ownership import STAFF
from loans.product import LoanProduct
from loans.services.cob_accrual import accrue_interest
from tests.factories_loans import TODAY, make_loan, member

ACTOR: Final = "user:staff-1"
UK: Final = PaymentConfig(
    rail=Rail.BACS,
    currency="GBP",
    settlement_bank_id="200000",
    settlement_account_number="12345678",
    originator_name="PRESTON CU",
    cooling_off_days=0,
    approval_limit=Money("1000.00", "GBP"),
    ach=None,
    service_user_number="123456",
    collection_notice_days=10,
)

US: Final = PaymentConfig(
    rail=Rail.ACH,
    currency="USD",
    settlement_bank_id="091000019",
    settlement_account_number="123456789",
    originator_name="Preston Federal CU",
    cooling_off_days=0,
    approval_limit=Money("1000.00", "USD"),
    ach=AchOriginator(
        immediate_origin="1311234567",
        company_id="1234567890",
        originating_dfi="09100001",
        receiving_routing="091000019",
    ),
    collection_notice_days=10,
)
RICH: Final = Money("10000000", "USD")


@dataclass
class Borrower:
    engine: Engine
    loan_id: int
    member_id: int
    share_account_id: int
    mandate_id: int
    accrued_through: dt.date = TODAY

    def accrue_to(self, day: dt.date) -> None:
        """The loan book's accrual for every day up to `day`, as close of business runs it."""
        with unit_of_work(self.engine) as s:
            while self.accrued_through < day:
                self.accrued_through += dt.timedelta(days=1)
                accrue_interest(s, business_date=self.accrued_through)

    def collect(self, day: dt.date) -> int:
        self.accrue_to(day)
        with unit_of_work(self.engine) as s:
            return collect_due(s, business_date=day, actor="system:cob")

    def schedule(self, day: dt.date, config: PaymentConfig = UK) -> int:
        with unit_of_work(self.engine) as s:
            return schedule_collections(s, config=config, business_date=day, actor="system:cob")

    def collections(self) -> list[Collection]:
        with unit_of_work(self.engine) as s:
            rows = list(
                s.scalars(
                    select(Collection)
                    .where(Collection.loan_id == self.loan_id)
                    .order_by(Collection.id)
                )
            )
            s.expunge_all()
            return rows

    def notices(self) -> list[CollectionNotice]:
        with unit_of_work(self.engine) as s:
            rows = list(
                s.scalars(
                    select(CollectionNotice)
                    .where(CollectionNotice.loan_id == self.loan_id)
                    .order_by(CollectionNotice.id)
                )
            )
            s.expunge_all()
            return rows


def borrower(
    engine: Engine,
    *,
    represent_agreed: bool = True,
    config: PaymentConfig = UK,
    amount: str = "600",
    term: int = 6,
    product: LoanProduct | None = None,
) -> Borrower:
    """A member with a monthly loan disbursed on TODAY (no share-account mandate), a
    nominated account on the config's rail and a direct-debit mandate on the loan."""
    us = config.currency == "USD"
    facts = member(engine, net_worth=RICH) if us else None
    loan_id, account_id, facts = make_loan(
        engine,
        amount=amount,
        term=term,
        mandate=False,
        product=product,
        facts=facts,
        currency=config.currency,
    )
    details = (
        BankDetails(
            "Zoe Member", "000123456789", routing_number="011000015", account_kind="checking"
        )
        if us
        else BankDetails("Ann Member", "55779911", sort_code="20-00-00")
    )
    with unit_of_work(engine) as s:
        nominate(
            s,
            member_id=facts.member_id,
            scope=STAFF,
            destination=destination_of(details, Scheme.US if us else Scheme.UK),
            by_member=False,
            cooling_off_days=0,
            actor=ACTOR,
            business_date=TODAY,
        )
        mandate = set_up_mandate(
            s,
            request=MandateRequest(loan_id, represent_agreed, "branch"),
            scope=STAFF,
            config=config,
            actor=ACTOR,
            business_date=TODAY,
        )
    return Borrower(engine, loan_id, facts.member_id, account_id, mandate.id)


def books_agree(engine: Engine, on: dt.date) -> None:
    with unit_of_work(engine) as s:
        assert check_invariants(s).ok
        report = reconcile(s, as_of=on)
        assert report.ok, report
        payments = reconcile_payments(s)
        assert payments.ok, payments


def settlement_and_clearing(session: Session) -> tuple[int, int]:
    accounts = payment_accounts(session)
    return (
        get_account(session, accounts.settlement_bank).balance.minor_units,
        get_account(session, accounts.collection_clearing).balance.minor_units,
    )


def with_notice_days(days: int) -> PaymentConfig:
    return replace(UK, collection_notice_days=days)
