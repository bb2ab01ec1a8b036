"""Close of business runs direct debits on its own: the file goes to the bank two Bacs
business days before the collection date, the collection meets the loan on that date, and
every day still closes with the books (and the collection clearing) reconciled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from creditunion.cob.plan import run_close_of_business
from creditunion.initial_data import initialise
from creditunion.payments.collections.files import PAIN008
from creditunion.payments.collections.models import Collection, CollectionStatus
from creditunion.payments.iso20022.pain008 import read_pain008
from creditunion.payments.models import FileDirection, PaymentFile
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings, get_settings
from ledger.periods import closed_through
from loans.models import LoanInstalmentRow
from tests.factories_loans import TODAY
from tests.integration.payments.collection_world import borrower

BACS_ENV = {
    "CREDITUNION_PAYMENT_RAIL": "bacs",
    "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID": "200000",
    "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER": "12345678",
    "CREDITUNION_BACS_SERVICE_USER_NUMBER": "123456",
    "CREDITUNION_COLLECTION_NOTICE_DAYS": "10",
}


@pytest.fixture
def bacs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in BACS_ENV.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("bacs")
def test_close_of_business_sends_collects_and_reconciles(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
    b = borrower(fresh_engine)
    first = b.collections()[0]
    run_close_of_business(fresh_engine, until=first.collection_date)
    with unit_of_work(fresh_engine) as s:
        assert closed_through(s) == first.collection_date
        files = list(
            s.scalars(
                select(PaymentFile).where(
                    PaymentFile.direction == FileDirection.OUTBOUND, PaymentFile.kind == PAIN008
                )
            )
        )
        [file] = files
        batch = read_pain008(file.content)
        # Bacs: submitted on day one, collected on day three.
        assert batch.requested_collection_date == first.collection_date
        assert (first.collection_date - file.business_date).days in (2, 4)
        row = s.get(Collection, first.id)
        assert row is not None and row.status is CollectionStatus.COLLECTED
        instalment = s.scalar(
            select(LoanInstalmentRow).where(
                LoanInstalmentRow.loan_id == b.loan_id, LoanInstalmentRow.number == 1
            )
        )
        assert instalment is not None and instalment.paid_on == first.collection_date
