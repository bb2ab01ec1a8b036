"""Importing the bank's camt.054 notifications: credits for members, our payments
returned, and our payments debited (settled).

The whole notification is read and checked first (its schema, its sums, that it is for our
settlement account, that every payment of ours it names is one we sent), so a bad file
posts nothing; each entry is then applied once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from creditunion.payments.config import PaymentConfig
from creditunion.payments.inbound_files import hold_import_lock, require_our_account, store_inbound
from creditunion.payments.incoming import ReceivedCredit, receive_credits
from creditunion.payments.iso20022 import camt054
from creditunion.payments.iso20022.camt054 import NotificationEntry
from creditunion.payments.models import OutboundPayment, Scheme
from creditunion.payments.outbound_files import PaymentFileView, file_view
from creditunion.payments.outcomes import (
    ReturnAmountMismatch,
    UnknownPaymentReference,
    payment_by_end_to_end_id,
    return_settled,
    settle,
)


@dataclass(frozen=True, slots=True)
class NotificationResult:
    file: PaymentFileView
    settled: int
    returned: int
    credits_applied: int
    credits_unmatched: int
    notices: tuple[str, ...]


def _ours(session: Session, entry: NotificationEntry) -> OutboundPayment | None:
    """The payment of ours an entry is about (a return, or a debit naming its end-to-end
    id), else None: a credit, or a debit of the bank's own such as a charge."""
    if entry.original_end_to_end_id is None and (entry.credit or entry.end_to_end_id is None):
        return None
    reference = entry.original_end_to_end_id if entry.credit else entry.end_to_end_id
    if reference is None:
        raise UnknownPaymentReference(entry.entry_reference)
    payment = payment_by_end_to_end_id(session, reference)
    if entry.amount != payment.amount:
        raise ReturnAmountMismatch(payment.id, payment.amount, entry.amount)
    return payment


def _credit(entry: NotificationEntry) -> ReceivedCredit:
    payer = entry.counterparty_account
    return ReceivedCredit(
        bank_reference=entry.entry_reference,
        amount=entry.amount,
        booking_date=entry.booking_date,
        scheme=Scheme.UK,
        payer_name=entry.counterparty_name,
        payer_bank_id=payer.sort_code if payer else None,
        payer_account_number=payer.account_number if payer else None,
        reference=entry.remittance_reference,
    )


def import_notification(
    session: Session, *, content: bytes, config: PaymentConfig, actor: str, business_date: dt.date
) -> NotificationResult:
    """Raises `MessageInvalid`, `FileForAnotherAccount`, `FileAlreadyImported`,
    `UnknownPaymentReference`, `ReturnAmountMismatch`, `OutcomeNotApplicable`,
    `CreditReferenceReused`; any of them writes nothing."""
    notice = camt054.read_camt054(content)
    require_our_account(notice.account, config)
    hold_import_lock(session)
    payments = [(entry, _ours(session, entry)) for entry in notice.entries]
    row = store_inbound(
        session,
        content=content,
        kind=camt054.MESSAGE,
        message_id=notice.message_id,
        count=len(notice.entries),
        actor=actor,
        business_date=business_date,
    )
    settled = returned = applied = unmatched = 0
    notices: list[str] = []
    arriving: list[ReceivedCredit] = []
    for entry, payment in payments:
        if payment is not None and entry.credit:
            return_settled(
                session,
                payment,
                amount=entry.amount,
                bank_reference=entry.entry_reference,
                code=entry.return_reason_code,
                file_id=row.id,
                actor=actor,
                business_date=business_date,
            )
            returned += 1
        elif payment is not None:
            settle(session, payment, actor=actor, business_date=business_date)
            settled += 1
        elif not entry.credit:
            # Not ours to post: the bank's own debit (a charge) reaches the books through a
            # journal, and the statement shows it as a break until then.
            notices.append(
                f"{entry.entry_reference}: a debit of {entry.amount} naming no payment of ours"
            )
        else:
            arriving.append(_credit(entry))
    received = receive_credits(
        session, credits=arriving, file_id=row.id, actor=actor, business_date=business_date
    )
    for credit in received:
        if credit.replayed:
            notices.append(f"{credit.bank_reference}: received before, posted once")
            continue
        applied += credit.share_account_id is not None
        unmatched += credit.share_account_id is None
    return NotificationResult(file_view(row), settled, returned, applied, unmatched, tuple(notices))
