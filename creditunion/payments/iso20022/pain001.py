"""pain.001.001.09, customer credit transfer initiation: the payments we ask the bank to
make, one payment information block per file. Written, then checked against its schema
before anyone sees it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.elements import (
    SortCodeAccount,
    add_account,
    add_agent,
    amount_text,
    checked_id,
    child,
)
from creditunion.payments.iso20022.schemas import namespace, validate
from ledger.money import Money

MESSAGE: Final = "pain.001.001.09"
PAYMENTS_MAX: Final = 100_000
NAME_LENGTH_MAX: Final = 140
REMITTANCE_LENGTH_MAX: Final = 140

__all__ = ["MESSAGE", "CreditTransfer", "CreditTransferBatch", "SortCodeAccount", "write_pain001"]


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    end_to_end_id: str
    instruction_id: str
    amount: Money
    creditor_name: str
    creditor_account: SortCodeAccount
    remittance_reference: str


@dataclass(frozen=True, slots=True)
class CreditTransferBatch:
    message_id: str
    created_at: dt.datetime
    initiating_party_name: str
    debtor_name: str
    debtor_account: SortCodeAccount
    requested_execution_date: dt.date
    payments: tuple[CreditTransfer, ...]


def _total(batch: CreditTransferBatch) -> Money:
    currencies = {p.amount.currency for p in batch.payments}
    if len(currencies) != 1:
        raise ValueError(f"one file pays in one currency, not {sorted(currencies)}")
    total = Money.zero(currencies.pop())
    for payment in batch.payments:
        total += payment.amount
    return total


def write_pain001(batch: CreditTransferBatch) -> bytes:
    if not 0 < len(batch.payments) <= PAYMENTS_MAX:
        raise ValueError(f"a file holds 1 to {PAYMENTS_MAX} payments")
    if batch.created_at.tzinfo is None:
        raise ValueError("created_at must be aware")
    ns = namespace(MESSAGE)
    total = _total(batch)
    count = str(len(batch.payments))
    document = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    initiation = child(document, ns, "CstmrCdtTrfInitn")
    header = child(initiation, ns, "GrpHdr")
    child(header, ns, "MsgId", checked_id(batch.message_id, "message_id"))
    child(header, ns, "CreDtTm", batch.created_at.isoformat(timespec="seconds"))
    child(header, ns, "NbOfTxs", count)
    child(header, ns, "CtrlSum", amount_text(total))
    child(child(header, ns, "InitgPty"), ns, "Nm", batch.initiating_party_name[:NAME_LENGTH_MAX])
    info = child(initiation, ns, "PmtInf")
    child(info, ns, "PmtInfId", checked_id(batch.message_id, "message_id"))
    child(info, ns, "PmtMtd", "TRF")
    child(info, ns, "NbOfTxs", count)
    child(info, ns, "CtrlSum", amount_text(total))
    child(child(info, ns, "ReqdExctnDt"), ns, "Dt", batch.requested_execution_date.isoformat())
    child(child(info, ns, "Dbtr"), ns, "Nm", batch.debtor_name[:NAME_LENGTH_MAX])
    add_account(child(info, ns, "DbtrAcct"), ns, batch.debtor_account)
    add_agent(child(info, ns, "DbtrAgt"), ns, batch.debtor_account.sort_code)
    for payment in batch.payments:
        transfer = child(info, ns, "CdtTrfTxInf")
        ids = child(transfer, ns, "PmtId")
        child(ids, ns, "InstrId", checked_id(payment.instruction_id, "instruction_id"))
        child(ids, ns, "EndToEndId", checked_id(payment.end_to_end_id, "end_to_end_id"))
        amount = child(child(transfer, ns, "Amt"), ns, "InstdAmt", amount_text(payment.amount))
        amount.set("Ccy", payment.amount.currency)
        add_agent(child(transfer, ns, "CdtrAgt"), ns, payment.creditor_account.sort_code)
        child(child(transfer, ns, "Cdtr"), ns, "Nm", payment.creditor_name[:NAME_LENGTH_MAX])
        add_account(child(transfer, ns, "CdtrAcct"), ns, payment.creditor_account)
        remittance = child(transfer, ns, "RmtInf")
        child(remittance, ns, "Ustrd", payment.remittance_reference[:REMITTANCE_LENGTH_MAX])
    validate(MESSAGE, document)
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8"))
