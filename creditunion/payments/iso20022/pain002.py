"""pain.002.001.12, customer payment status report: what the bank did with each payment of
a pain.001 we sent (settled, rejected with a reason, or still in progress). Sent by the
bank (read by us), written by the bank simulator.

Mapping: OrgnlGrpInfAndSts names the pain.001 answered (OrgnlMsgId, OrgnlMsgNmId) and its
group status; each OrgnlPmtInfAndSts/TxInfAndSts one payment: OrgnlEndToEndId,
OrgnlInstrId, TxSts, and of its first StsRsnInf the reason code (Rsn/Cd) and text (the
first AddtlInf, or the proprietary reason when there is none). The counts a report may
give (OrgnlNbOfTxs, NbOfTxsPerSts) describe the original file, not the statuses listed,
so they are not checked against them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.elements import Builder, first_repeat, timestamp_text
from creditunion.payments.iso20022.reading import Reader
from creditunion.payments.iso20022.schemas import parse
from creditunion.payments.iso20022.text_rules import (
    checked_code,
    checked_id,
    checked_text,
    code_problem,
)

MESSAGE: Final = "pain.002.001.12"
TRANSACTIONS_MAX: Final = 100_000
REASON_TEXT_LENGTH_MAX: Final = 105
MESSAGE_NAME_LENGTH_MAX: Final = 35


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
    """The report as a valid pain.002.001.12 document; raises ValueError if it cannot be one."""
    if len(report.transactions) > TRANSACTIONS_MAX:
        raise ValueError(f"a report holds at most {TRANSACTIONS_MAX} statuses")
    repeated = first_repeat(tx.original_end_to_end_id for tx in report.transactions)
    if repeated is not None:
        raise ValueError(f"original_end_to_end_id {repeated!r} appears twice in the report")
    b = Builder(MESSAGE)
    document = b.document()
    root = b.child(document, "CstmrPmtStsRpt")
    header = b.child(root, "GrpHdr")
    b.child(header, "MsgId", checked_id(report.message_id, "message_id"))
    b.child(header, "CreDtTm", timestamp_text(report.created_at, "created_at"))
    group = b.child(root, "OrgnlGrpInfAndSts")
    b.child(group, "OrgnlMsgId", checked_id(report.original_message_id, "original_message_id"))
    name = checked_text(
        report.original_message_name, "original_message_name", MESSAGE_NAME_LENGTH_MAX
    )
    b.child(group, "OrgnlMsgNmId", name)
    if report.group_status is not None:
        b.child(group, "GrpSts", checked_code(report.group_status, "group_status"))
    if report.transactions:
        payment_info = b.child(root, "OrgnlPmtInfAndSts")
        # Our pain.001 uses its message id as the id of its one payment information block.
        b.child(payment_info, "OrgnlPmtInfId", report.original_message_id)
        for tx in report.transactions:
            _add_status(b, b.child(payment_info, "TxInfAndSts"), tx)
    return b.finish(document)


def _add_status(b: Builder, status: etree._Element, tx: TransactionStatus) -> None:
    if tx.original_instruction_id is not None:
        b.child(status, "OrgnlInstrId", checked_id(tx.original_instruction_id, "instruction id"))
    b.child(status, "OrgnlEndToEndId", checked_id(tx.original_end_to_end_id, "end-to-end id"))
    b.child(status, "TxSts", checked_code(tx.status, "status"))
    if tx.reason_code is None and tx.reason_text is None:
        return
    reason = b.child(status, "StsRsnInf")
    if tx.reason_code is not None:
        b.path(reason, "Rsn/Cd", checked_code(tx.reason_code, "reason_code"))
    if tx.reason_text is not None:
        text = checked_text(tx.reason_text, "reason_text", REASON_TEXT_LENGTH_MAX)
        b.child(reason, "AddtlInf", text)


def _code(r: Reader, value: str | None, what: str) -> str | None:
    return None if value is None else r.obeys(value, code_problem, what)


def _read_status(r: Reader, status: etree._Element) -> TransactionStatus:
    end_to_end = r.required(status, "OrgnlEndToEndId", "a status's original end-to-end id")
    code = _code(r, r.text(status, "TxSts"), f"the status of {end_to_end!r}")
    if code is None:
        raise r.invalid(f"the status of {end_to_end!r} (TxSts) is missing")
    reason = r.find(status, "StsRsnInf")
    reason_code = reason_text = None
    if reason is not None:
        reason_code = _code(r, r.text(reason, "Rsn/Cd"), f"the reason for {end_to_end!r}")
        reason_text = r.text(reason, "AddtlInf") or r.text(reason, "Rsn/Prtry")
    return TransactionStatus(
        original_end_to_end_id=end_to_end,
        original_instruction_id=r.text(status, "OrgnlInstrId"),
        status=code,
        reason_code=reason_code,
        reason_text=reason_text,
    )


def read_pain002(document: bytes) -> StatusReport:
    """The report in a pain.002.001.12 document; raises `MessageInvalid` for an invalid one,
    a status that is not a code, or a payment named twice."""
    r = Reader(MESSAGE)
    root = parse(MESSAGE, document)
    report = r.single(root, "CstmrPmtStsRpt", "status reports")
    listed = r.at_most(
        r.all(report, "OrgnlPmtInfAndSts/TxInfAndSts"), TRANSACTIONS_MAX, "payment statuses"
    )
    transactions = tuple(_read_status(r, status) for status in listed)
    r.unique((tx.original_end_to_end_id for tx in transactions), "the original end-to-end id")
    r.unique((tx.original_instruction_id for tx in transactions), "the original instruction id")
    group = r.single(report, "OrgnlGrpInfAndSts", "original group blocks")
    return StatusReport(
        message_id=r.required(report, "GrpHdr/MsgId", "the message id"),
        created_at=r.date_time(report, "GrpHdr/CreDtTm", "the creation time"),
        original_message_id=r.required(group, "OrgnlMsgId", "the original message id"),
        original_message_name=r.required(group, "OrgnlMsgNmId", "the original message name"),
        group_status=_code(r, r.text(group, "GrpSts"), "the group status"),
        transactions=transactions,
    )
