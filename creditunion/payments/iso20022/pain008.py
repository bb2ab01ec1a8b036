"""pain.008.001.08, customer direct debit initiation: the loan instalments we ask the bank
to collect by Bacs Direct Debit from members' accounts into the credit union's, one
payment information block per file, in one currency. Written (and checked against its
schema) by us; read by the bank simulator.

Mapping: GrpHdr/MsgId and PmtInf/PmtInfId the batch's message id; NbOfTxs and CtrlSum
(group and block) the collections' count and sum; PmtMtd DD; PmtTpInf/SeqTp the batch's
sequence type; ReqdColltnDt the collection date; CdtrAcct (with the file's currency) and
DbtrAcct by sort code and account number, their banks by sort code (`accounts`);
CdtrSchmeId the service user number (SUN) Bacs gave the credit union, as
`Id/PrvtId/Othr/Id` with the proprietary scheme name BACS; DrctDbtTx/MndtRltdInf the
member's mandate (its reference and the day it was signed); RmtInf/Ustrd the remittance
reference.

The sequence type is the block's, so one per file: Bacs collects a first payment under a
new mandate (FRST) differently from the ones after it (RCUR), and a run holding both
writes one file of each.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.elements import (
    Builder,
    decimal_text,
    first_repeat,
    timestamp_text,
    total,
)
from creditunion.payments.iso20022.reading import Reader
from creditunion.payments.iso20022.schemas import parse
from creditunion.payments.iso20022.text_rules import checked_id, checked_text, id_problem
from ledger.money import Money

MESSAGE: Final = "pain.008.001.08"
COLLECTIONS_MAX: Final = 100_000
NAME_LENGTH_MAX: Final = 140
REMITTANCE_LENGTH_MAX: Final = 140
FIRST: Final = "FRST"
RECURRING: Final = "RCUR"
SEQUENCE_TYPES: Final = frozenset({FIRST, RECURRING})
# The scheme name that says the creditor scheme id is a Bacs service user number.
BACS_SCHEME: Final = "BACS"
_SERVICE_USER_NUMBER: Final = re.compile(r"[0-9]{6}")

__all__ = [
    "BACS_SCHEME",
    "COLLECTIONS_MAX",
    "FIRST",
    "MESSAGE",
    "RECURRING",
    "SEQUENCE_TYPES",
    "DirectDebit",
    "DirectDebitBatch",
    "SortCodeAccount",
    "read_pain008",
    "write_pain008",
]


@dataclass(frozen=True, slots=True)
class DirectDebit:
    end_to_end_id: str
    instruction_id: str
    amount: Money
    debtor_name: str
    debtor_account: SortCodeAccount
    mandate_id: str
    mandate_signed_on: dt.date
    remittance_reference: str


@dataclass(frozen=True, slots=True)
class DirectDebitBatch:
    message_id: str
    created_at: dt.datetime
    initiating_party_name: str
    creditor_name: str
    creditor_account: SortCodeAccount
    creditor_scheme_id: str
    requested_collection_date: dt.date
    sequence_type: str
    collections: tuple[DirectDebit, ...]


def service_user_number_problem(value: str) -> str | None:
    return None if _SERVICE_USER_NUMBER.fullmatch(value) else "is not a Bacs SUN of 6 digits"


def sequence_type_problem(value: str) -> str | None:
    if value in SEQUENCE_TYPES:
        return None
    return f"is not {FIRST} (first collection) or {RECURRING} (recurring)"


def write_pain008(batch: DirectDebitBatch) -> bytes:
    """The batch as a valid pain.008.001.08 document; raises ValueError if it cannot be one
    (no collections or too many, two currencies, an id outside the ISO set, a repeated id,
    an amount not positive, a SUN not of 6 digits, a sequence type other than FRST or RCUR)."""
    if not 0 < len(batch.collections) <= COLLECTIONS_MAX:
        raise ValueError(
            f"a file holds 1 to {COLLECTIONS_MAX} collections, not {len(batch.collections)}"
        )
    currency = batch.collections[0].amount.currency
    control_sum = total([c.amount for c in batch.collections], currency)
    for what in ("end_to_end_id", "instruction_id"):
        repeated = first_repeat(getattr(c, what) for c in batch.collections)
        if repeated is not None:
            raise ValueError(f"{what} {repeated!r} appears twice in the batch")
    for value, rule, field in (
        (batch.creditor_scheme_id, service_user_number_problem, "creditor_scheme_id"),
        (batch.sequence_type, sequence_type_problem, "sequence_type"),
    ):
        problem = rule(value)
        if problem:
            raise ValueError(f"{field} {value!r} {problem}")
    b = Builder(MESSAGE)
    count = str(len(batch.collections))
    document = b.document()
    initiation = b.child(document, "CstmrDrctDbtInitn")
    header = b.child(initiation, "GrpHdr")
    b.child(header, "MsgId", checked_id(batch.message_id, "message_id"))
    b.child(header, "CreDtTm", timestamp_text(batch.created_at, "created_at"))
    b.child(header, "NbOfTxs", count)
    b.child(header, "CtrlSum", decimal_text(control_sum.amount))
    name = checked_text(batch.initiating_party_name, "initiating_party_name", NAME_LENGTH_MAX)
    b.path(header, "InitgPty/Nm", name)
    info = b.child(initiation, "PmtInf")
    b.child(info, "PmtInfId", batch.message_id)
    b.child(info, "PmtMtd", "DD")
    b.child(info, "NbOfTxs", count)
    b.child(info, "CtrlSum", decimal_text(control_sum.amount))
    b.path(info, "PmtTpInf/SeqTp", batch.sequence_type)
    b.child(info, "ReqdColltnDt", batch.requested_collection_date.isoformat())
    creditor = checked_text(batch.creditor_name, "creditor_name", NAME_LENGTH_MAX)
    b.path(info, "Cdtr/Nm", creditor)
    b.account(info, "CdtrAcct", batch.creditor_account, currency)
    b.agent(info, "CdtrAgt", batch.creditor_account.sort_code)
    scheme = b.path(info, "CdtrSchmeId/Id/PrvtId/Othr")
    b.child(scheme, "Id", batch.creditor_scheme_id)
    b.path(scheme, "SchmeNm/Prtry", BACS_SCHEME)
    for collection in batch.collections:
        _add_collection(b, info, collection)
    return b.finish(document)


def _add_collection(b: Builder, info: etree._Element, collection: DirectDebit) -> None:
    if not collection.amount.is_positive():
        raise ValueError(
            f"collection {collection.end_to_end_id}: {collection.amount} is not positive"
        )
    debit = b.child(info, "DrctDbtTxInf")
    ids = b.child(debit, "PmtId")
    b.child(ids, "InstrId", checked_id(collection.instruction_id, "instruction_id"))
    b.child(ids, "EndToEndId", checked_id(collection.end_to_end_id, "end_to_end_id"))
    b.amount(debit, "InstdAmt", collection.amount)
    mandate = b.path(debit, "DrctDbtTx/MndtRltdInf")
    b.child(mandate, "MndtId", checked_id(collection.mandate_id, "mandate_id"))
    b.child(mandate, "DtOfSgntr", collection.mandate_signed_on.isoformat())
    b.agent(debit, "DbtrAgt", collection.debtor_account.sort_code)
    name = checked_text(collection.debtor_name, "debtor_name", NAME_LENGTH_MAX)
    b.path(debit, "Dbtr/Nm", name)
    b.account(debit, "DbtrAcct", collection.debtor_account)
    reference = checked_text(
        collection.remittance_reference, "remittance_reference", REMITTANCE_LENGTH_MAX
    )
    b.path(debit, "RmtInf/Ustrd", reference)


def read_pain008(document: bytes) -> DirectDebitBatch:
    """The batch in a pain.008.001.08 document; raises `MessageInvalid` for an invalid one
    (the schema allows no payment method but DD), more than one payment block, counts or
    sums that do not match, repeated ids, amounts in two currencies or in another than the
    creditor account's, a zero amount, a creditor scheme id that is not a Bacs SUN, or a
    sequence type other than FRST or RCUR."""
    r = Reader(MESSAGE)
    root = parse(MESSAGE, document)
    initiation = r.single(root, "CstmrDrctDbtInitn", "initiations")
    header = r.single(initiation, "GrpHdr", "group headers")
    info = r.single(initiation, "PmtInf", "payment information blocks")
    debits = r.at_most(r.all(info, "DrctDbtTxInf"), COLLECTIONS_MAX, "collections")
    collections = tuple(_read_collection(r, d) for d in debits)
    currencies = {c.amount.currency for c in collections}
    account_currency = r.text(info, "CdtrAcct/Ccy")
    if len(currencies) != 1 or (account_currency and currencies != {account_currency}):
        raise r.invalid(
            f"the collections are in {', '.join(sorted(currencies))}; one file collects in"
            f" one currency, the creditor account's ({account_currency or 'not stated'})"
        )
    summed = sum((c.amount.amount for c in collections), Decimal(0))
    for parent in (header, info):
        r.count(parent, "NbOfTxs", len(collections), "collections")
        r.control_sum(parent, "CtrlSum", summed)
    r.unique((c.end_to_end_id for c in collections), "the end-to-end id")
    r.unique((c.instruction_id for c in collections), "the instruction id")
    return DirectDebitBatch(
        message_id=r.obeys(r.required(header, "MsgId", "the message id"), id_problem, "MsgId"),
        created_at=r.date_time(header, "CreDtTm", "the creation time"),
        initiating_party_name=r.required(header, "InitgPty/Nm", "the initiating party's name"),
        creditor_name=r.required(info, "Cdtr/Nm", "the creditor's name"),
        creditor_account=r.required_account(info, "CdtrAcct", "the creditor account"),
        creditor_scheme_id=_read_service_user_number(r, info),
        requested_collection_date=r.date(info, "ReqdColltnDt", "the requested collection date"),
        sequence_type=r.obeys(
            r.required(info, "PmtTpInf/SeqTp", "the sequence type"),
            sequence_type_problem,
            "SeqTp",
        ),
        collections=collections,
    )


def _read_service_user_number(r: Reader, info: etree._Element) -> str:
    scheme = r.find(info, "CdtrSchmeId/Id/PrvtId/Othr")
    if scheme is None or r.text(scheme, "SchmeNm/Prtry") != BACS_SCHEME:
        raise r.invalid(
            f"the creditor scheme id (CdtrSchmeId) is not a service user number of the"
            f" {BACS_SCHEME} scheme"
        )
    return r.obeys(
        r.required(scheme, "Id", "the service user number"),
        service_user_number_problem,
        "CdtrSchmeId",
    )


def _read_collection(r: Reader, debit: etree._Element) -> DirectDebit:
    end_to_end = r.obeys(
        r.required(debit, "PmtId/EndToEndId", "EndToEndId"), id_problem, "EndToEndId"
    )
    amount = r.required_money(debit, "InstdAmt", f"collection {end_to_end!r} instructed amount")
    if not amount.is_positive():
        raise r.invalid(f"collection {end_to_end!r} is for {amount}")
    remittance = r.texts(debit, "RmtInf/Ustrd", REMITTANCE_LENGTH_MAX)
    if remittance is None:
        raise r.invalid(f"collection {end_to_end!r} has no remittance reference (RmtInf/Ustrd)")
    mandate = r.find(debit, "DrctDbtTx/MndtRltdInf")
    if mandate is None:
        raise r.invalid(f"collection {end_to_end!r} names no mandate (DrctDbtTx/MndtRltdInf)")
    return DirectDebit(
        end_to_end_id=end_to_end,
        instruction_id=r.obeys(
            r.required(debit, "PmtId/InstrId", f"collection {end_to_end!r} InstrId"),
            id_problem,
            "InstrId",
        ),
        amount=amount,
        debtor_name=r.required(debit, "Dbtr/Nm", f"collection {end_to_end!r} debtor name"),
        debtor_account=r.required_account(
            debit, "DbtrAcct", f"collection {end_to_end!r} debtor account"
        ),
        mandate_id=r.obeys(
            r.required(mandate, "MndtId", f"collection {end_to_end!r} mandate id"),
            id_problem,
            "MndtId",
        ),
        mandate_signed_on=r.date(
            mandate, "DtOfSgntr", f"collection {end_to_end!r} mandate's date of signature"
        ),
        remittance_reference=remittance,
    )
