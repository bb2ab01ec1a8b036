"""Reading payments: a member sees their own, staff see every one."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.payments.models import OutboundPayment, PaymentFile, PaymentStatus
from creditunion.payments.outbound import PaymentNotFound
from creditunion.payments.outbound_files import PaymentFileView, file_view
from creditunion.payments.views import PaymentView, payment_view
from ledger.ownership import Scope

PAGE_MAX: Final = 500


class PaymentFileNotFound(PaymentNotFound):
    def __init__(self, file_id: int) -> None:
        super().__init__(f"file {file_id}")


def get_payment(session: Session, *, payment_id: int, scope: Scope) -> PaymentView:
    row = session.get(OutboundPayment, payment_id)
    if row is None or (scope.member_id is not None and row.member_id != scope.member_id):
        raise PaymentNotFound(payment_id)
    return payment_view(row, replayed=False)


def list_payments(
    session: Session,
    *,
    scope: Scope,
    status: PaymentStatus | None,
    after_id: int,
    limit: int,
) -> list[PaymentView]:
    if not 0 < limit <= PAGE_MAX:
        raise ValueError(f"a page holds 1 to {PAGE_MAX} payments")
    query = select(OutboundPayment).where(OutboundPayment.id > after_id)
    if scope.member_id is not None:
        query = query.where(OutboundPayment.member_id == scope.member_id)
    if status is not None:
        query = query.where(OutboundPayment.status == status)
    rows = session.scalars(query.order_by(OutboundPayment.id).limit(limit))
    return [payment_view(row, replayed=False) for row in rows]


def get_file(session: Session, *, file_id: int) -> tuple[PaymentFileView, bytes]:
    """A file exchanged with the bank and its bytes, exactly as sent or received."""
    row = session.get(PaymentFile, file_id)
    if row is None:
        raise PaymentFileNotFound(file_id)
    return file_view(row), bytes(row.content)


def list_files(session: Session, *, after_id: int, limit: int) -> list[PaymentFileView]:
    if not 0 < limit <= PAGE_MAX:
        raise ValueError(f"a page holds 1 to {PAGE_MAX} files")
    rows = session.scalars(
        select(PaymentFile).where(PaymentFile.id > after_id).order_by(PaymentFile.id).limit(limit)
    )
    return [file_view(row) for row in rows]
