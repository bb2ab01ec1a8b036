"""pain.002.001.12, customer payment status report: what the bank did with each payment
of a pain.001 we sent (settled, rejected with a reason, or still in progress)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.elements import checked_id, child
from creditunion.payments.iso20022.schemas import MessageInvalid, namespace, parse, validate

MESSAGE: Final = "pain.002.001.12"
TRANSACTIONS_MAX: Final = 100_000


@dataclass(frozen=True, slots=True)
class TransactionStatus:
    original_end_to_end_id: str
    original_instruction_id: str | None
    status: str
    reason_code: str | None
    reason_text: str | None


@dataclass(frozen=True, slots=True)
class StatusReport:
    message_id: str
    created_at: dt.datetime
    original_message_id: str
    original_message_name: str
    group_status: str | None
    transactions: tuple[TransactionStatus, ...]


def write_pain002(report: StatusReport) -> bytes:
    ns = namespace(MESSAGE)
    document = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    root = child(document, ns, "CstmrPmtStsRpt")
    header = child(root, ns, "GrpHdr")
    child(header, ns, "MsgId", checked_id(report.message_id, "message_id"))
    child(header, ns, "CreDtTm", report.created_at.isoformat(timespec="seconds"))
    group = child(root, ns, "OrgnlGrpInfAndSts")
    child(group, ns, "OrgnlMsgId", report.original_message_id)
    child(group, ns, "OrgnlMsgNmId", report.original_message_name)
    if report.group_status is not None:
        child(group, ns, "GrpSts", report.group_status)
    if report.transactions:
        payment_info = child(root, ns, "OrgnlPmtInfAndSts")
        child(payment_info, ns, "OrgnlPmtInfId", report.original_message_id)
        for tx in report.transactions:
            status = child(payment_info, ns, "TxInfAndSts")
            if tx.original_instruction_id is not None:
                child(status, ns, "OrgnlInstrId", tx.original_instruction_id)
            child(status, ns, "OrgnlEndToEndId", tx.original_end_to_end_id)
            child(status, ns, "TxSts", tx.status)
            if tx.reason_code is not None:
                reason = child(status, ns, "StsRsnInf")
                child(child(reason, ns, "Rsn"), ns, "Cd", tx.reason_code)
                if tx.reason_text is not None:
                    child(reason, ns, "AddtlInf", tx.reason_text[:105])
    validate(MESSAGE, document)
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8"))


def _text(element: etree._Element, ns: str, path: str) -> str | None:
    found = element.find(_qualify(path, ns))
    return None if found is None or found.text is None else found.text.strip()


def _qualify(path: str, ns: str) -> str:
    return "/".join(f"{{{ns}}}{part}" for part in path.split("/"))


def read_pain002(document: bytes) -> StatusReport:
    """Raises `MessageInvalid` for an invalid report or one naming a payment twice."""
    ns = namespace(MESSAGE)
    root = parse(MESSAGE, document)
    report = root.find(_qualify("CstmrPmtStsRpt", ns))
    assert report is not None  # the schema requires it
    transactions: list[TransactionStatus] = []
    seen: set[str] = set()
    for status in report.iterfind(_qualify("OrgnlPmtInfAndSts/TxInfAndSts", ns)):
        end_to_end = _text(status, ns, "OrgnlEndToEndId")
        code = _text(status, ns, "TxSts")
        if end_to_end is None or code is None:
            raise MessageInvalid(MESSAGE, "a transaction status names no end-to-end id or status")
        if end_to_end in seen:
            raise MessageInvalid(MESSAGE, f"end-to-end id {end_to_end!r} appears twice")
        seen.add(end_to_end)
        if len(transactions) >= TRANSACTIONS_MAX:
            raise MessageInvalid(MESSAGE, f"more than {TRANSACTIONS_MAX} transactions")
        transactions.append(
            TransactionStatus(
                original_end_to_end_id=end_to_end,
                original_instruction_id=_text(status, ns, "OrgnlInstrId"),
                status=code,
                reason_code=_text(status, ns, "StsRsnInf/Rsn/Cd"),
                reason_text=_text(status, ns, "StsRsnInf/AddtlInf"),
            )
        )
    message_id = _text(report, ns, "GrpHdr/MsgId")
    created = _text(report, ns, "GrpHdr/CreDtTm")
    original = _text(report, ns, "OrgnlGrpInfAndSts/OrgnlMsgId")
    name = _text(report, ns, "OrgnlGrpInfAndSts/OrgnlMsgNmId")
    assert message_id and created and original and name  # required by the schema
    return StatusReport(
        message_id=message_id,
        created_at=dt.datetime.fromisoformat(created),
        original_message_id=original,
        original_message_name=name,
        group_status=_text(report, ns, "OrgnlGrpInfAndSts/GrpSts"),
        transactions=tuple(transactions),
    )
