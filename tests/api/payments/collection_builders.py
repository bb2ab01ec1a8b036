"""Direct debits made straight through the services, for the API tests: a borrower with a
nominated account and an active loan, a mandate on it, and what close of business and
the member's bank then do to its collections (send them in a file, collect them on their
date, bring one back unpaid).

Each step runs in a transaction of its own on the bank's database with the payment
settings of the tests' app (`tests/api/conftest.TEST_ENV`), as `builders` does for
payments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select

from creditunion.payments.collections.codes import UK_UNPAID
from creditunion.payments.collections.collect import collect_due
from creditunion.payments.collections.files import produce_collection_files
from creditunion.payments.collections.mandates import (
    MandateRequest,
    set_up_mandate,
    suspend_mandate,
)
from creditunion.payments.collections.models import Collection
from creditunion.payments.collections.unpaid import UnpaidOutcome, lock_collection, record_unpaid
from creditunion.payments.collections.views import MandateView
from creditunion.payments.settlement_calendar import Rail, settlement_date
from creditunion.platform.database import unit_of_work
from ledger.ownership import STAFF
from loans.services.cob_accrual import accrue_interest
from tests.api.banking.bank import STAFF_ACTOR, Bank
from tests.api.conftest import LoggedIn
from tests.api.loans.builders import Builders
from tests.api.loans.lending import Lending
from tests.api.payments.builders import AT, BANK_ACTOR, config, nominate_by_staff

COB_ACTOR: Final = "system:cob"
# A file is sent at most this many days before the collections it carries (Bacs: three
# business days, around a bank holiday weekend at worst).
FILE_DAYS_BEFORE_MAX: Final = 10
ACCRUAL_DAYS_MAX: Final = 400

_seeded: set[int] = set()


@dataclass(frozen=True)
class Borrower:
    member_id: int
    account_id: int
    loan_id: int
    login: LoggedIn


def loans(bank: Bank) -> Builders:
    """The bank's loan builders, its loan products seeded once."""
    if id(bank) not in _seeded:
        Lending.open(bank)
        _seeded.add(id(bank))
    return Builders(bank)


def nominated_loan(bank: Bank, *, nominated: bool = True) -> tuple[int, int, int]:
    """(member, share account, loan) of an adult member of a year's standing with funded
    shares, an active 500.00 loan over six months (paid into the shares) and, if
    `nominated`, a nominated account usable at once."""
    made = loans(bank)
    member_id, account_id = made.member_with_shares()
    if nominated:
        nominate_by_staff(bank, member_id)
    return member_id, account_id, made.loan(member_id, account_id)


def borrower(bank: Bank, *, nominated: bool = True) -> Borrower:
    """As `nominated_loan`, with the member's app login."""
    member_id, account_id, loan_id = nominated_loan(bank, nominated=nominated)
    return Borrower(member_id, account_id, loan_id, bank.member_login(member_id))


def mandate(bank: Bank, loan_id: int, *, represent_agreed: bool = True) -> MandateView:
    """A mandate signed at the branch: every instalment scheduled, with the first notice."""
    with unit_of_work(bank.engine) as session:
        return set_up_mandate(
            session,
            request=MandateRequest(loan_id, represent_agreed, "branch"),
            scope=STAFF,
            config=config(),
            actor=STAFF_ACTOR,
            business_date=bank.business_date(),
        )


def suspended(bank: Bank, mandate_id: int) -> MandateView:
    with unit_of_work(bank.engine) as session:
        return suspend_mandate(
            session,
            mandate_id=mandate_id,
            actor=STAFF_ACTOR,
            business_date=bank.business_date(),
            scope=STAFF,
        )


def file_day(collect_on: dt.date) -> dt.date:
    """The business day whose Bacs file settles on `collect_on`."""
    for back in range(1, FILE_DAYS_BEFORE_MAX + 1):
        day = collect_on - dt.timedelta(days=back)
        if settlement_date(Rail.BACS, day) == collect_on:
            return day
    raise AssertionError(f"no Bacs file day settles on {collect_on}")


def send(bank: Bank, collect_on: dt.date) -> list[int]:
    """As close of business on the file day: the file of what is collected on `collect_on`."""
    with unit_of_work(bank.engine) as session:
        files = produce_collection_files(
            session,
            config=config(),
            actor=COB_ACTOR,
            business_date=file_day(collect_on),
            created_at=AT,
        )
    return [f.id for f in files]


def collect(bank: Bank, day: dt.date) -> int:
    """As close of business on `day`: the loans accrued to it, then what was sent for it
    collected. Returns how many were."""
    start = bank.business_date()
    with unit_of_work(bank.engine) as session:
        for offset in range(1, ACCRUAL_DAYS_MAX + 1):
            accrued = start + dt.timedelta(days=offset)
            if accrued > day:
                break
            accrue_interest(session, business_date=accrued)
        return collect_due(session, business_date=day, actor=COB_ACTOR)


def unpaid(bank: Bank, collection_id: int, code: str, *, on: dt.date) -> UnpaidOutcome:
    """The member's bank did not pay collection `collection_id` (a UK reason code)."""
    with unit_of_work(bank.engine) as session:
        end_to_end_id = session.scalar(
            select(Collection.end_to_end_id).where(Collection.id == collection_id)
        )
        assert end_to_end_id is not None
        return record_unpaid(
            session,
            collection=lock_collection(session, end_to_end_id=end_to_end_id),
            reason=UK_UNPAID[code],
            bank_reference=f"ARUDD-{collection_id}",
            business_date=on,
            actor=BANK_ACTOR,
        )
