"""Payments made straight through the services, for the API tests: nominations, payouts,
files and the bank's status reports on them, credits in suspense and statement breaks.

Each builder runs in a transaction of its own on the bank's database, with the payment
settings the tests' app runs with (`tests/api/conftest.TEST_ENV`), so what the API then
reads or changes is exactly what the application would have made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Final

from sqlalchemy import select

from creditunion.payments.config import PaymentConfig, payment_config
from creditunion.payments.incoming import ReceivedCredit, receive_credit
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from creditunion.payments.models import (
    FileDirection,
    OutboundPayment,
    PaymentFile,
    Scheme,
    StatementLine,
)
from creditunion.payments.nominations import BankDetails, NominationView, destination_of, nominate
from creditunion.payments.outbound import PayoutRequest, pay_out
from creditunion.payments.outbound_files import PAIN001, PaymentFileView, produce_outbound_file
from creditunion.payments.statements import (
    BankLine,
    StatementLineView,
    line_view,
    reconcile_statement,
)
from creditunion.payments.views import IncomingCreditView, PaymentView
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import get_settings
from ledger.money import Money
from ledger.ownership import STAFF
from tests.api.banking.bank import STAFF_ACTOR, Bank, new_key

BANK_ACTOR: Final = "system:bank-import"
SORT_CODE: Final = "20-00-00"
HOLDER: Final = "Ann Member"
AT: Final = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)


def config() -> PaymentConfig:
    """The payment settings of the tests' app."""
    return payment_config(get_settings())


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def nomination_body(account_number: str = "55779911") -> dict[str, str]:
    """A UK nomination as the wire carries it."""
    return {"holder_name": HOLDER, "sort_code": SORT_CODE, "account_number": account_number}


def nominate_by_staff(
    bank: Bank, member_id: int, account_number: str = "55779911"
) -> NominationView:
    """A first nomination made at the branch: usable at once."""
    details = BankDetails(holder_name=HOLDER, sort_code=SORT_CODE, account_number=account_number)
    with unit_of_work(bank.engine) as session:
        return nominate(
            session,
            member_id=member_id,
            scope=STAFF,
            destination=destination_of(details, Scheme.UK),
            by_member=False,
            cooling_off_days=config().cooling_off_days,
            actor=STAFF_ACTOR,
            business_date=bank.business_date(),
        )


def payout(bank: Bank, account_id: int, amount: str = "10.00") -> PaymentView:
    """A payment out of `account_id` to its member's nominated account (nominate first)."""
    with unit_of_work(bank.engine) as session:
        return pay_out(
            session,
            request=PayoutRequest(account_id, gbp(amount), None),
            scope=STAFF,
            config=config(),
            actor=STAFF_ACTOR,
            idempotency_key=f"test:{new_key()}",
            business_date=bank.business_date(),
        )


def funded_payout(bank: Bank, amount: str = "10.00", balance: str = "300.00") -> PaymentView:
    """A new member's funded account, nominated account and a pending payment out of it."""
    account = bank.account(balance=balance)
    nominate_by_staff(bank, account.member_id)
    return payout(bank, account.id, amount)


def produce(bank: Bank) -> PaymentFileView:
    """The file of every payment due."""
    with unit_of_work(bank.engine) as session:
        return produce_outbound_file(
            session,
            config=config(),
            actor=STAFF_ACTOR,
            business_date=bank.business_date(),
            created_at=AT,
        )


def end_to_end_id(bank: Bank, payment_id: int) -> str:
    with unit_of_work(bank.engine) as session:
        row = session.get(OutboundPayment, payment_id)
        assert row is not None
        return row.end_to_end_id


def status_report(file_message_id: str, *statuses: TransactionStatus) -> bytes:
    """The bank's pain.002 on the file `file_message_id`, valid against the official XSD."""
    return write_pain002(
        StatusReport(
            message_id="BK" + uuid.uuid4().hex[:20].upper(),
            created_at=AT,
            original_message_id=file_message_id,
            original_message_name=PAIN001,
            group_status=None,
            transactions=statuses,
        )
    )


def settled(bank: Bank, payment_id: int) -> TransactionStatus:
    return TransactionStatus(end_to_end_id(bank, payment_id), None, "ACSC", None, None)


def rejected(bank: Bank, payment_id: int) -> TransactionStatus:
    return TransactionStatus(
        end_to_end_id(bank, payment_id), None, "RJCT", "AC04", "account closed"
    )


def sent_payment_report(bank: Bank) -> tuple[PaymentView, bytes]:
    """A payment sent in a file, and the bank's report settling it (not yet imported)."""
    payment = funded_payout(bank)
    sent = produce(bank)
    return payment, status_report(sent.message_id, settled(bank, payment.id))


def _inbound_file(bank: Bank, kind: str) -> int:
    content = uuid.uuid4().bytes
    with unit_of_work(bank.engine) as session:
        row = PaymentFile(
            direction=FileDirection.INBOUND,
            kind=kind,
            message_id=uuid.uuid4().hex[:35],
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            business_date=bank.business_date(),
            item_count=1,
            created_by=BANK_ACTOR,
        )
        session.add(row)
        session.flush()
        return row.id


def unmatched_credit(bank: Bank, amount: str = "12.00") -> IncomingCreditView:
    """A credit whose reference names no member: held in suspense."""
    file_id = _inbound_file(bank, "camt.054.001.08")
    credit = ReceivedCredit(
        bank_reference=uuid.uuid4().hex[:20].upper(),
        amount=gbp(amount),
        booking_date=bank.business_date(),
        scheme=Scheme.UK,
        payer_name="ACME PAYROLL",
        payer_bank_id="401276",
        payer_account_number="40404040",
        reference="WAGES NOVEMBER",
    )
    with unit_of_work(bank.engine) as session:
        return receive_credit(
            session,
            credit=credit,
            file_id=file_id,
            actor=BANK_ACTOR,
            business_date=bank.business_date(),
        )


def statement_break(bank: Bank, amount: str = "-3.50") -> StatementLineView:
    """A statement line matching nothing in the books (a bank charge, say)."""
    file_id = _inbound_file(bank, "camt.053.001.08")
    reference = uuid.uuid4().hex[:20].upper()
    day = bank.business_date()
    with unit_of_work(bank.engine) as session:
        reconcile_statement(
            session,
            file_id=file_id,
            statement_id=f"ST{reference}",
            lines=(BankLine(reference, day, gbp(amount), None),),
            to_date=day,
            closing_balance=gbp("0.00"),
        )
        row = session.scalar(select(StatementLine).where(StatementLine.bank_reference == reference))
        assert row is not None
        return line_view(row)
