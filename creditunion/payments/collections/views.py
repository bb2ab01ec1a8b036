"""What staff and members are shown of mandates, collections and notices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from creditunion.payments.collections.models import (
    CancelledBy,
    Collection,
    CollectionMandate,
    CollectionNotice,
    CollectionStatus,
    MandateStatus,
    NoticeReason,
)
from creditunion.payments.models import Scheme
from ledger.money import Money


@dataclass(frozen=True, slots=True)
class MandateView:
    id: int
    reference: str
    member_id: int
    loan_id: int
    scheme: Scheme
    holder_name: str
    bank_id: str
    account_ending: str
    status: MandateStatus
    represent_agreed: bool
    signed_on: dt.date
    channel: str
    suspended_on: dt.date | None
    cancelled_on: dt.date | None
    cancelled_by: CancelledBy | None
    cancel_reason: str | None


def mandate_view(row: CollectionMandate) -> MandateView:
    return MandateView(
        id=row.id,
        reference=row.reference,
        member_id=row.member_id,
        loan_id=row.loan_id,
        scheme=row.scheme,
        holder_name=row.holder_name,
        bank_id=row.bank_id,
        # Only the last four digits: enough for the member to recognise it.
        account_ending=row.account_number[-4:],
        status=row.status,
        represent_agreed=row.represent_agreed,
        signed_on=row.signed_on,
        channel=row.channel,
        suspended_on=row.suspended_on,
        cancelled_on=row.cancelled_on,
        cancelled_by=row.cancelled_by,
        cancel_reason=row.cancel_reason,
    )


@dataclass(frozen=True, slots=True)
class CollectionView:
    id: int
    mandate_id: int
    member_id: int
    loan_id: int
    instalment_number: int
    attempt: int
    status: CollectionStatus
    amount: Money
    collection_date: dt.date
    notice_id: int
    end_to_end_id: str
    file_id: int | None
    reason_code: str | None
    reason_text: str | None


def collection_view(row: Collection) -> CollectionView:
    return CollectionView(
        id=row.id,
        mandate_id=row.mandate_id,
        member_id=row.member_id,
        loan_id=row.loan_id,
        instalment_number=row.instalment_number,
        attempt=row.attempt,
        status=row.status,
        amount=row.amount,
        collection_date=row.collection_date,
        notice_id=row.notice_id,
        end_to_end_id=row.end_to_end_id,
        file_id=row.file_id,
        reason_code=row.reason_code,
        reason_text=row.reason_text,
    )


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: int
    mandate_id: int
    loan_id: int
    reason: NoticeReason
    given_on: dt.date
    text: str


def notice_view(row: CollectionNotice) -> NoticeView:
    return NoticeView(row.id, row.mandate_id, row.loan_id, row.reason, row.given_on, row.text)
