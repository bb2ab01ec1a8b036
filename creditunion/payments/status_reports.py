"""Importing the bank's pain.002 status report on a pain.001 we sent: each payment it
names is settled, rejected (and reversed to the member) or left sent.

The whole report is read and checked first (its schema; that it answers a file we sent;
that every payment it names was in that file), so a bad report posts nothing. The same
bytes, or another report with the same message id, are refused: nothing posts twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, Refused
from creditunion.payments.iso20022 import pain002
from creditunion.payments.models import FileDirection, PaymentFile
from creditunion.payments.outbound_files import PAIN001, PaymentFileView, file_view
from creditunion.payments.outcomes import (
    UnknownPaymentReference,
    payment_by_end_to_end_id,
    reject,
    settle,
)

# Statuses that settle a credit transfer, and the one that rejects it; the others (ACCP,
# ACSP, ACTC, PDNG, ...) leave it sent.
SETTLED: Final = frozenset({"ACSC", "ACCC"})
REJECTED: Final = "RJCT"


class FileAlreadyImported(Conflict):
    def __init__(self, what: str) -> None:
        super().__init__(f"this file was already imported ({what}): nothing was posted again")


class UnknownOriginalMessage(Refused):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"the status report answers message {message_id!r}, which we never sent")


@dataclass(frozen=True, slots=True)
class StatusReportResult:
    file: PaymentFileView
    settled: int
    rejected: int
    unchanged: int


def store_inbound(
    session: Session,
    *,
    content: bytes,
    kind: str,
    message_id: str,
    count: int,
    actor: str,
    business_date: dt.date,
) -> PaymentFile:
    digest = hashlib.sha256(content).hexdigest()
    if session.scalar(select(PaymentFile.id).where(PaymentFile.sha256 == digest)) is not None:
        raise FileAlreadyImported(f"sha256 {digest[:12]}")
    same_id = session.scalar(
        select(PaymentFile.id).where(
            PaymentFile.direction == FileDirection.INBOUND,
            PaymentFile.kind == kind,
            PaymentFile.message_id == message_id,
        )
    )
    if same_id is not None:
        raise FileAlreadyImported(f"message id {message_id!r}")
    row = PaymentFile(
        direction=FileDirection.INBOUND,
        kind=kind,
        message_id=message_id,
        sha256=digest,
        content=content,
        business_date=business_date,
        item_count=count,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def import_status_report(
    session: Session, *, content: bytes, actor: str, business_date: dt.date
) -> StatusReportResult:
    """Raises `MessageInvalid`, `UnknownOriginalMessage`, `UnknownPaymentReference`,
    `FileAlreadyImported` and `OutcomeNotApplicable`; any of them writes nothing."""
    report = pain002.read_pain002(content)
    original = session.scalar(
        select(PaymentFile).where(
            PaymentFile.direction == FileDirection.OUTBOUND,
            PaymentFile.kind == PAIN001,
            PaymentFile.message_id == report.original_message_id,
        )
    )
    if original is None or report.original_message_name != PAIN001:
        raise UnknownOriginalMessage(report.original_message_id)
    payments = []
    for status in report.transactions:
        payment = payment_by_end_to_end_id(session, status.original_end_to_end_id)
        if payment.file_id != original.id:
            raise UnknownPaymentReference(status.original_end_to_end_id)
        payments.append((payment, status))
    row = store_inbound(
        session,
        content=content,
        kind=pain002.MESSAGE,
        message_id=report.message_id,
        count=len(payments),
        actor=actor,
        business_date=business_date,
    )
    settled = rejected = 0
    for payment, status in payments:
        if status.status in SETTLED:
            settle(session, payment, actor=actor, business_date=business_date)
            settled += 1
        elif status.status == REJECTED:
            reject(
                session,
                payment,
                code=status.reason_code,
                text=status.reason_text,
                actor=actor,
                business_date=business_date,
            )
            rejected += 1
    return StatusReportResult(file_view(row), settled, rejected, len(payments) - settled - rejected)
