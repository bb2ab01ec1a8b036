"""The bank's answers on our direct debits, imported as the bank sends them: a pain.002 on
a pain.008 (UK), a NACHA return or notification of change on a PPD debit (US); and the
failed-payment fee as each rule set allows it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Final

import pytest
from sqlalchemy import Engine, select, update

from creditunion.payments.bank_files import BankFileResult, import_bank_file
from creditunion.payments.collections.files import PAIN008, produce_collection_files
from creditunion.payments.collections.models import (
    Collection,
    CollectionMandate,
    CollectionStatus,
    MandateStatus,
)
from creditunion.payments.config import PaymentConfig
from creditunion.payments.inbound_files import FileAlreadyImported
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from creditunion.payments.models import PaymentFile
from creditunion.payments.nacha.file import (
    AchBatch,
    AchEntry,
    AchFile,
    NocAddenda,
    ReturnAddenda,
    SecCode,
    ServiceClass,
    TransactionCode,
)
from creditunion.payments.nacha.reader import read_ach_file
from creditunion.payments.nacha.writer import write_ach_file
from creditunion.payments.outcomes import UnknownPaymentReference
from creditunion.payments.settlement_calendar import settlement_date
from creditunion.platform.database import unit_of_work
from ledger.money import Money
from loans.models import LoanRow, LoanTransactionRow, TransactionKind
from loans.product import AmountRange
from loans.rate import InterestRate
from loans.services.seed import PAL_I_EXAMPLE, PAL_II_EXAMPLE
from tests.factories_loans import gb_product
from tests.integration.payments.collection_world import (
    UK,
    US,
    Borrower,
    books_agree,
    borrower,
    settlement_and_clearing,
)

AT: Final = dt.datetime(2026, 1, 20, 18, 0, tzinfo=dt.UTC)


def _file_day(config: PaymentConfig, collect_on: dt.date) -> dt.date:
    day = collect_on - dt.timedelta(days=1)
    while settlement_date(config.collection_rail, day) != collect_on:
        day -= dt.timedelta(days=1)
    return day


def _send(b: Borrower, config: PaymentConfig, collect_on: dt.date) -> PaymentFile:
    """As close of business on the file day: the schedule brought up to date, then the file."""
    b.schedule(_file_day(config, collect_on), config)
    with unit_of_work(b.engine) as s:
        [view] = produce_collection_files(
            s,
            config=config,
            actor="system:cob",
            business_date=_file_day(config, collect_on),
            created_at=AT,
        )
        row = s.get(PaymentFile, view.id)
        assert row is not None
        s.expunge(row)
        return row


def _first(b: Borrower) -> Collection:
    with unit_of_work(b.engine) as s:
        row = s.scalars(
            select(Collection).where(Collection.loan_id == b.loan_id).order_by(Collection.id)
        ).first()
        assert row is not None
        s.expunge(row)
        return row


def _collection(b: Borrower, collection_id: int) -> Collection:
    with unit_of_work(b.engine) as s:
        row = s.get(Collection, collection_id)
        assert row is not None
        s.expunge(row)
        return row


def _import(engine: Engine, config: PaymentConfig, content: bytes, on: dt.date) -> BankFileResult:
    with unit_of_work(engine) as s:
        return import_bank_file(
            s, content=content, config=config, actor="system:bank", business_date=on
        )


def _unpaid_report(file: PaymentFile, *statuses: tuple[str, str], message_id: str) -> bytes:
    return write_pain002(
        StatusReport(
            message_id=message_id,
            created_at=AT,
            original_message_id=file.message_id,
            original_message_name=PAIN008,
            group_status=None,
            transactions=tuple(
                TransactionStatus(e2e, None, "RJCT", code, None) for e2e, code in statuses
            ),
        )
    )


def _fees(engine: Engine, loan_id: int) -> list[int]:
    with unit_of_work(engine) as s:
        return list(
            s.scalars(
                select(LoanTransactionRow.amount_minor).where(
                    LoanTransactionRow.loan_id == loan_id,
                    LoanTransactionRow.kind == TransactionKind.NSF_FEE,
                )
            )
        )


class TestUnpaidReport:
    def test_a_rejection_on_our_pain008_makes_the_collection_unpaid(
        self, fresh_engine: Engine
    ) -> None:
        b = borrower(fresh_engine)
        first = _first(b)
        file = _send(b, UK, first.collection_date)
        b.collect(first.collection_date)
        on = first.collection_date + dt.timedelta(days=1)
        report = _unpaid_report(file, (first.end_to_end_id, "AM04"), message_id="ARUDD0001")
        result = _import(fresh_engine, UK, report, on)
        assert result.unpaid == 1
        assert result.notices == [
            f"{first.end_to_end_id}: unpaid, 0 refer to payer (insufficient funds); asked for again"
        ]
        row = _collection(b, first.id)
        assert (row.status, row.reason_code) == (CollectionStatus.UNPAID, "AM04")
        books_agree(fresh_engine, on)
        with pytest.raises(FileAlreadyImported):
            _import(fresh_engine, UK, report, on)

    def test_a_report_naming_a_collection_not_in_the_file_posts_nothing(
        self, fresh_engine: Engine
    ) -> None:
        b = borrower(fresh_engine)
        first = _first(b)
        file = _send(b, UK, first.collection_date)
        b.collect(first.collection_date)
        with unit_of_work(fresh_engine) as s:
            before = settlement_and_clearing(s)
        second = b.collections()[1]  # scheduled, never sent
        report = _unpaid_report(
            file, (first.end_to_end_id, "AM04"), (second.end_to_end_id, "AM04"), message_id="X1"
        )
        with pytest.raises(UnknownPaymentReference):
            _import(fresh_engine, UK, report, first.collection_date)
        assert _collection(b, first.id).status is CollectionStatus.COLLECTED
        with unit_of_work(fresh_engine) as s:
            assert settlement_and_clearing(s) == before

    def test_a_gb_loans_fee_is_charged_once_for_the_instalment(self, fresh_engine: Engine) -> None:
        # Within the cap with the fee on every instalment: 1% a month and a 1.00 fee.
        product = dataclasses.replace(
            gb_product(),
            rate=InterestRate.monthly(Decimal("0.01")),
            amounts=AmountRange(Money("500", "GBP"), Money("2000", "GBP")),
            nsf_fee=Money("1.00", "GBP"),
        )
        b = borrower(fresh_engine, product=product)
        first = _first(b)
        file = _send(b, UK, first.collection_date)
        b.collect(first.collection_date)
        day = first.collection_date + dt.timedelta(days=1)
        _import(
            fresh_engine,
            UK,
            _unpaid_report(file, (first.end_to_end_id, "AM04"), message_id="R1"),
            day,
        )
        assert _fees(fresh_engine, b.loan_id) == [100]
        b.schedule(day)
        again = b.collections()[-1]
        assert again.attempt == 2
        # The fee is owed on the instalment now: asked for again with it.
        assert again.amount_minor == first.amount_minor + 100
        file2 = _send(b, UK, again.collection_date)
        b.collect(again.collection_date)
        later = again.collection_date + dt.timedelta(days=1)
        _import(
            fresh_engine,
            UK,
            _unpaid_report(file2, (again.end_to_end_id, "AM04"), message_id="R2"),
            later,
        )
        assert _fees(fresh_engine, b.loan_id) == [100]
        books_agree(fresh_engine, later)


def _odfi_file(*entries: AchEntry, sec: SecCode = SecCode.PPD, modifier: str = "C") -> bytes:
    return write_ach_file(
        AchFile(
            immediate_destination="091000019",
            immediate_origin=" 011000015",
            immediate_destination_name="PRESTON FEDERAL CU",
            immediate_origin_name="ODFI",
            created_at=dt.datetime(2026, 2, 20, 6, 0),
            file_id_modifier=modifier,
            batches=(
                AchBatch(
                    service_class_code=ServiceClass.MIXED,
                    company_name="ODFI RETURNS",
                    company_id="9999999999",
                    sec_code=sec,
                    entry_description="RETURNS",
                    effective_entry_date=dt.date(2026, 2, 20),
                    originating_dfi="01100001",
                    batch_number=1,
                    entries=entries,
                ),
            ),
        )
    )


def _return(collection: Collection, code: str) -> bytes:
    """A return file; each collection's has its own file id (the ODFI's files of a day)."""
    return _odfi_file(
        AchEntry(
            transaction_code=TransactionCode.CHECKING_DEBIT_RETURN,
            receiving_dfi_routing="091000019",
            dfi_account_number="000123456789",
            amount=collection.amount,
            individual_id="LOAN",
            individual_name="ZOE MEMBER",
            trace_number=f"01100001{collection.id:07d}",
            addenda=ReturnAddenda(code, collection.trace_number or "", "01100001", None, ""),
        ),
        modifier="ABCDEFGHIJ"[collection.id % 10],
    )


class TestAchReturns:
    def test_the_debit_file_follows_the_layout_and_an_r01_is_asked_for_again(
        self, fresh_engine: Engine
    ) -> None:
        product = dataclasses.replace(PAL_I_EXAMPLE, nsf_fee=Money("15.00", "USD"))
        b = borrower(fresh_engine, config=US, amount="500", term=3, product=product)
        first = _first(b)
        file = _send(b, US, first.collection_date)
        ach = read_ach_file(file.content)
        [batch] = ach.batches
        assert batch.service_class_code is ServiceClass.DEBITS_ONLY
        assert batch.effective_entry_date == first.collection_date
        [entry] = batch.entries
        sent = _collection(b, first.id)
        assert (entry.transaction_code, entry.amount, entry.trace_number) == (
            TransactionCode.CHECKING_DEBIT,
            first.amount,
            sent.trace_number,
        )
        b.collect(first.collection_date)
        day = first.collection_date + dt.timedelta(days=1)
        result = _import(fresh_engine, US, _return(sent, "R01"), day)
        assert result.unpaid == 1
        assert _collection(b, first.id).represent is True
        assert _fees(fresh_engine, b.loan_id) == [1500]
        books_agree(fresh_engine, day)

    def test_no_failed_payment_fee_on_pal_ii_even_if_a_loan_names_one(
        self, fresh_engine: Engine
    ) -> None:
        b = borrower(fresh_engine, config=US, amount="500", term=3, product=PAL_II_EXAMPLE)
        with unit_of_work(fresh_engine) as s:
            # A fee no PAL II product may carry: the rule set still refuses to charge it.
            s.execute(update(LoanRow).where(LoanRow.id == b.loan_id).values(nsf_fee_minor=1500))
        first = _first(b)
        _send(b, US, first.collection_date)
        b.collect(first.collection_date)
        day = first.collection_date + dt.timedelta(days=1)
        _import(fresh_engine, US, _return(_collection(b, first.id), "R01"), day)
        assert _collection(b, first.id).status is CollectionStatus.UNPAID
        assert _fees(fresh_engine, b.loan_id) == []
        books_agree(fresh_engine, day)

    def test_an_r10_cancels_the_mandate(self, fresh_engine: Engine) -> None:
        b = borrower(fresh_engine, config=US, amount="500", term=3, product=PAL_II_EXAMPLE)
        first = _first(b)
        _send(b, US, first.collection_date)
        b.collect(first.collection_date)
        _import(fresh_engine, US, _return(_collection(b, first.id), "R10"), first.collection_date)
        with unit_of_work(fresh_engine) as s:
            mandate = s.get(CollectionMandate, b.mandate_id)
            assert mandate is not None and mandate.status is MandateStatus.CANCELLED
        assert _collection(b, first.id).represent is False

    def test_three_r01s_and_no_fourth_attempt(self, fresh_engine: Engine) -> None:
        b = borrower(fresh_engine, config=US, amount="500", term=3, product=PAL_II_EXAMPLE)
        current = _first(b)
        for attempt in (1, 2, 3):
            assert current.attempt == attempt
            _send(b, US, current.collection_date)
            b.collect(current.collection_date)
            day = current.collection_date + dt.timedelta(days=1)
            _import(fresh_engine, US, _return(_collection(b, current.id), "R01"), day)
            b.schedule(day)
            current = b.collections()[-1]
        assert [c.attempt for c in b.collections() if c.instalment_number == 1] == [1, 2, 3]
        books_agree(fresh_engine, day)

    def test_a_notification_of_change_corrects_the_mandates_account(
        self, fresh_engine: Engine
    ) -> None:
        b = borrower(fresh_engine, config=US, amount="500", term=3, product=PAL_II_EXAMPLE)
        first = _first(b)
        _send(b, US, first.collection_date)
        sent = _collection(b, first.id)
        change = _odfi_file(
            AchEntry(
                transaction_code=TransactionCode.CHECKING_DEBIT_RETURN,
                receiving_dfi_routing="091000019",
                dfi_account_number="000123456789",
                amount=Money("0.00", "USD"),
                individual_id="LOAN",
                individual_name="ZOE MEMBER",
                trace_number="011000010000009",
                addenda=NocAddenda("C01", sent.trace_number or "", "01100001", "987654321"),
            ),
            sec=SecCode.COR,
        )
        assert _import(fresh_engine, US, change, first.collection_date).corrected == 1
        with unit_of_work(fresh_engine) as s:
            mandate = s.get(CollectionMandate, b.mandate_id)
            assert mandate is not None
            assert (mandate.account_number, mandate.status) == ("987654321", MandateStatus.ACTIVE)
