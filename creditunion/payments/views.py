"""What callers see of payments: frozen views, never the rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from creditunion.payments.models import (
    CreditStatus,
    IncomingCredit,
    OutboundPayment,
    PaymentPurpose,
    PaymentStatus,
)
from ledger.money import Money


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: int
    end_to_end_id: str
    purpose: PaymentPurpose
    status: PaymentStatus
    member_id: int | None
    share_account_id: int | None
    amount: Money
    creditor_name: str
    bank_id: str
    account_number_masked: str
    reference: str
    created_on: dt.date
    not_before: dt.date
    settlement_date: dt.date | None
    approval_id: int | None
    file_id: int | None
    reason_code: str | None
    reason_text: str | None
    replayed: bool


def payment_view(row: OutboundPayment, *, replayed: bool) -> PaymentView:
    return PaymentView(
        id=row.id,
        end_to_end_id=row.end_to_end_id,
        purpose=row.purpose,
        status=row.status,
        member_id=row.member_id,
        share_account_id=row.share_account_id,
        amount=row.amount,
        creditor_name=row.creditor_name,
        bank_id=row.bank_id,
        account_number_masked="****" + row.account_number[-4:],
        reference=row.reference,
        created_on=row.created_on,
        not_before=row.not_before,
        settlement_date=row.settlement_date,
        approval_id=row.approval_id,
        file_id=row.file_id,
        reason_code=row.reason_code,
        reason_text=row.reason_text,
        replayed=replayed,
    )


@dataclass(frozen=True, slots=True)
class IncomingCreditView:
    id: int
    bank_reference: str
    status: CreditStatus
    amount: Money
    booking_date: dt.date
    payer_name: str | None
    reference: str | None
    member_id: int | None
    share_account_id: int | None
    resolved_by: str | None
    resolution_note: str | None
    replayed: bool = False  # received before: this notice of it posted nothing


def credit_view(row: IncomingCredit, *, replayed: bool = False) -> IncomingCreditView:
    return IncomingCreditView(
        id=row.id,
        bank_reference=row.bank_reference,
        status=row.status,
        amount=row.amount,
        booking_date=row.booking_date,
        payer_name=row.payer_name,
        reference=row.reference,
        member_id=row.member_id,
        share_account_id=row.share_account_id,
        resolved_by=row.resolved_by,
        resolution_note=row.resolution_note,
        replayed=replayed,
    )
