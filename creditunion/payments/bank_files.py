"""One door for every file the settlement bank sends: its kind is read from the file
(an ISO 20022 document's namespace, else a NACHA file) and it goes to its importer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from creditunion.errors import Refused
from creditunion.payments import ach_files, notifications, statements, status_reports
from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022 import camt053, camt054, pain002
from creditunion.payments.outbound_files import PaymentFileView
from creditunion.payments.statements import StatementResult

HEAD_BYTES: Final = 4096
FILE_BYTES_MAX: Final = 100 * 1024 * 1024
_NAMESPACE: Final = b"urn:iso:std:iso:20022:tech:xsd:"


class UnknownFileKind(Refused):
    def __init__(self, detail: str) -> None:
        super().__init__(f"not a file the settlement bank sends: {detail}")


@dataclass(slots=True)
class BankFileResult:
    """What one file did; counts that do not apply to its kind stay 0."""

    file: PaymentFileView
    settled: int = 0
    rejected: int = 0
    returned: int = 0
    corrected: int = 0
    credits_applied: int = 0
    credits_unmatched: int = 0
    unpaid: int = 0  # direct debits the members' banks did not pay
    statement: StatementResult | None = None
    notices: list[str] = field(default_factory=list)


def file_kind(content: bytes) -> str:
    head = content[:HEAD_BYTES].lstrip()
    if not head.startswith(b"<"):
        return "nacha"
    for message in (pain002.MESSAGE, camt054.MESSAGE, camt053.MESSAGE):
        if _NAMESPACE + message.encode() in head:
            return message
    raise UnknownFileKind("an XML document of a message version we do not take")


def import_bank_file(
    session: Session, *, content: bytes, config: PaymentConfig, actor: str, business_date: dt.date
) -> BankFileResult:
    """Raises `UnknownFileKind` and whatever the file's importer refuses it for; a refused
    file writes nothing."""
    if len(content) > FILE_BYTES_MAX:
        raise UnknownFileKind(f"larger than {FILE_BYTES_MAX // (1024 * 1024)} MiB")
    kind = file_kind(content)
    if kind == pain002.MESSAGE:
        report = status_reports.import_status_report(
            session, content=content, actor=actor, business_date=business_date
        )
        return BankFileResult(
            report.file,
            settled=report.settled,
            rejected=report.rejected,
            unpaid=report.unpaid,
            notices=list(report.notices),
        )
    if kind == camt054.MESSAGE:
        notice = notifications.import_notification(
            session, content=content, config=config, actor=actor, business_date=business_date
        )
        return BankFileResult(
            notice.file,
            settled=notice.settled,
            returned=notice.returned,
            credits_applied=notice.credits_applied,
            credits_unmatched=notice.credits_unmatched,
            notices=list(notice.notices),
        )
    if kind == camt053.MESSAGE:
        imported = statements.import_statement(
            session, content=content, config=config, actor=actor, business_date=business_date
        )
        return BankFileResult(imported.file, statement=imported.result)
    ach = ach_files.import_ach_file(
        session, content=content, config=config, actor=actor, business_date=business_date
    )
    return BankFileResult(
        ach.file,
        returned=ach.returned,
        corrected=ach.corrected,
        credits_applied=ach.credits_applied,
        credits_unmatched=ach.credits_unmatched,
        unpaid=ach.unpaid,
        notices=ach.notices,
    )
