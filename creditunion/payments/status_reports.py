"""Importing the bank's pain.002 status report on a pain.001 we sent: each payment it
names is settled, rejected (and reversed to the member) or left sent. On a pain.008 (our
direct debits) it is the unpaid report: each collection it rejects is unpaid, for the
reason it gives (`collections.unpaid`); Bacs confirms nothing else.

The whole report is read and checked first (its schema; that it answers a file we sent;
that every payment it names was in that file), so a bad report posts nothing. The same
bytes, or another report with the same message id, are refused: nothing posts twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import BigInteger, String, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from creditunion.errors import Refused
from creditunion.payments.collections.codes import unpaid_reason
from creditunion.payments.collections.files import PAIN008
from creditunion.payments.collections.unpaid import (
    CollectionNotFound,
    lock_collection,
    record_unpaid,
)
from creditunion.payments.inbound_files import hold_import_lock, store_inbound
from creditunion.payments.iso20022 import pain002
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import FileDirection, OutboundPayment, PaymentFile, PaymentStatus
from creditunion.payments.outbound_files import PAIN001, PaymentFileView, file_view
from creditunion.payments.outcomes import (
    KIND_SETTLED,
    OutcomeNotApplicable,
    UnknownPaymentReference,
    reject,
)
from creditunion.shares.ledger_link import post_movement
from creditunion.shares.models import ShareAccount
from ledger.entry import LINES_MAX, EntryRequest, Line
from ledger.money import Money
from ledger.posting import post_entry

# Statuses that settle a credit transfer, and the one that rejects it; the others (ACCP,
# ACSP, ACTC, PDNG, ...) leave it sent.
SETTLED: Final = frozenset({"ACSC", "ACCC"})
# An entry holds at most 200 lines: the clearing account's and 199 members'.
REJECTIONS_PER_ENTRY: Final = LINES_MAX - 1
KIND_REJECTED: Final = "payments.outbound_rejected"
REJECTED: Final = "RJCT"


class UnknownOriginalMessage(Refused):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"the status report answers message {message_id!r}, which we never sent")


@dataclass(frozen=True, slots=True)
class StatusReportResult:
    file: PaymentFileView
    settled: int
    rejected: int
    unchanged: int
    unpaid: int = 0
    notices: tuple[str, ...] = ()


def _sent_in(
    session: Session, original: PaymentFile, end_to_end_ids: list[str]
) -> dict[str, tuple[int, PaymentStatus, int, str]]:
    """(id, status, amount_minor, currency) of each named payment, locked, in one
    statement; a name that is not a payment of `original` refuses the whole report."""
    rows = session.execute(
        select(
            OutboundPayment.end_to_end_id,
            OutboundPayment.id,
            OutboundPayment.status,
            OutboundPayment.amount_minor,
            OutboundPayment.currency,
            OutboundPayment.file_id,
        )
        .where(OutboundPayment.end_to_end_id == any_(bindparam("ids", type_=ARRAY(String))))
        .order_by(OutboundPayment.id)
        .with_for_update(),
        {"ids": end_to_end_ids},
    ).all()
    found = {row[0]: (row[1], row[2], row[3], row[4]) for row in rows if row[5] == original.id}
    for end_to_end_id in end_to_end_ids:
        if end_to_end_id not in found:
            raise UnknownPaymentReference(end_to_end_id)
    return found


def _whole_file_status(
    session: Session, original: PaymentFile, report: pain002.StatusReport
) -> tuple[pain002.TransactionStatus, ...]:
    """A report with no payment of its own speaks for the whole file (GrpSts): each payment
    of the file still sent takes the group's status, so a rejected file comes back whole."""
    if report.group_status not in SETTLED and report.group_status != REJECTED:
        return ()
    sent = session.scalars(
        select(OutboundPayment.end_to_end_id)
        .where(
            OutboundPayment.file_id == original.id,
            OutboundPayment.status == PaymentStatus.SENT,
        )
        .order_by(OutboundPayment.id)
    ).all()
    return tuple(
        pain002.TransactionStatus(e2e, None, report.group_status, None, "the whole file")
        for e2e in sent
    )


def _settle_together(
    session: Session,
    file_id: int,
    payments: list[tuple[int, int, str]],
    *,
    actor: str,
    business_date: dt.date,
) -> None:
    """One entry for every payment the report settles (outbound clearing -> settlement
    bank), as the bank settles them, and each payment pointed at it: a report of 100,000
    payments posts one entry, not 100,000."""
    currencies = {currency for _, _, currency in payments}
    if len(currencies) != 1:
        raise ValueError(f"one report settles one currency, not {sorted(currencies)}")
    total = Money.from_minor(sum(amount for _, amount, _ in payments), currencies.pop())
    accounts = payment_accounts(session)
    entry = post_movement(
        session,
        key=f"payment-file:{file_id}:settle",
        business_date=business_date,
        debit=accounts.outbound_clearing,
        credit=accounts.settlement_bank,
        amount=total,
        description=f"{len(payments)} payments settled by the bank",
        kind=KIND_SETTLED,
        actor=actor,
        reference=None,
        metadata={"payment_file_id": file_id, "payments": len(payments)},
    )
    session.execute(
        update(OutboundPayment)
        .where(OutboundPayment.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
        .values(
            status=PaymentStatus.SETTLED,
            settle_entry_id=entry.id,
            updated_on=business_date,
            updated_by=actor,
        )
        .execution_options(synchronize_session=False),
        {"ids": [payment_id for payment_id, _, _ in payments]},
    )


def _reject_together(
    session: Session,
    file_id: int,
    rejections: list[tuple[int, str | None, str | None]],
    *,
    actor: str,
    business_date: dt.date,
) -> None:
    """Rejected payments back to their members' share accounts, up to 199 in one entry
    (outbound clearing -> each account): 2,000 rejections are 11 entries, not 2,000 that
    each lock the clearing account again. A payment out of suspense goes back on its own."""
    reasons = {payment_id: (code, text) for payment_id, code, text in rejections}
    rows = session.execute(
        select(OutboundPayment, ShareAccount.ledger_account_id)
        .outerjoin(ShareAccount, ShareAccount.id == OutboundPayment.share_account_id)
        .where(OutboundPayment.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
        .order_by(OutboundPayment.id),
        {"ids": list(reasons)},
    ).all()
    together = []
    for payment, ledger_account_id in rows:
        if payment.status is PaymentStatus.REJECTED:
            continue
        if payment.status is not PaymentStatus.SENT:
            raise OutcomeNotApplicable(payment.id, payment.status, "rejected")
        if ledger_account_id is None:
            code, text = reasons[payment.id]
            reject(session, payment, code=code, text=text, actor=actor, business_date=business_date)
        else:
            together.append((payment, ledger_account_id))
    clearing = payment_accounts(session).outbound_clearing
    for start in range(0, len(together), REJECTIONS_PER_ENTRY):
        chunk = together[start : start + REJECTIONS_PER_ENTRY]
        back: dict[int, Money] = {}
        for payment, ledger_account_id in chunk:
            back[ledger_account_id] = (
                back.get(ledger_account_id, Money.zero(payment.currency)) + payment.amount
            )
        total = sum(back.values(), Money.zero(chunk[0][0].currency))
        entry = post_entry(
            session,
            EntryRequest(
                idempotency_key=f"payment-file:{file_id}:reject:{start}",
                business_date=business_date,
                lines=(
                    Line.debit(clearing, total),
                    *(Line.credit(account, amount) for account, amount in sorted(back.items())),
                ),
                description=f"{len(chunk)} payments rejected by the bank: money back to members",
                posted_by=actor,
                kind=KIND_REJECTED,
                metadata={"payment_file_id": file_id, "payments": len(chunk)},
            ),
        )
        session.execute(
            update(OutboundPayment),
            [
                {
                    "id": payment.id,
                    "status": PaymentStatus.REJECTED,
                    "reverse_entry_id": entry.id,
                    "reason_code": reasons[payment.id][0],
                    "reason_text": reasons[payment.id][1],
                    "updated_on": business_date,
                    "updated_by": actor,
                }
                for payment, _ in chunk
            ],
        )


def _import_unpaid_report(
    session: Session,
    report: pain002.StatusReport,
    content: bytes,
    actor: str,
    business_date: dt.date,
) -> StatusReportResult:
    original = session.scalar(
        select(PaymentFile).where(
            PaymentFile.direction == FileDirection.OUTBOUND,
            PaymentFile.kind == PAIN008,
            PaymentFile.message_id == report.original_message_id,
        )
    )
    if original is None:
        raise UnknownOriginalMessage(report.original_message_id)
    unpaid = [t for t in report.transactions if t.status == REJECTED]
    named = []
    for status in unpaid:
        try:
            collection = lock_collection(session, end_to_end_id=status.original_end_to_end_id)
        except CollectionNotFound:
            raise UnknownPaymentReference(status.original_end_to_end_id) from None
        if collection.file_id != original.id:
            raise UnknownPaymentReference(status.original_end_to_end_id)
        named.append((collection, status))
    row = store_inbound(
        session,
        content=content,
        kind=pain002.MESSAGE,
        message_id=report.message_id,
        count=len(report.transactions),
        actor=actor,
        business_date=business_date,
    )
    notices = []
    for collection, status in named:
        reason = unpaid_reason(us=False, code=status.reason_code)
        outcome = record_unpaid(
            session,
            collection=collection,
            reason=reason,
            bank_reference=report.message_id,
            business_date=business_date,
            actor=actor,
        )
        then = "asked for again" if outcome.represent else "not asked for again"
        notices.append(
            f"{collection.end_to_end_id}: unpaid, {reason.scheme_code} {reason.text}; {then}"
        )
    return StatusReportResult(
        file_view(row),
        settled=0,
        rejected=0,
        unchanged=len(report.transactions) - len(named),
        unpaid=len(named),
        notices=tuple(notices),
    )


def import_status_report(
    session: Session, *, content: bytes, actor: str, business_date: dt.date
) -> StatusReportResult:
    """Raises `MessageInvalid`, `UnknownOriginalMessage`, `UnknownPaymentReference`,
    `FileAlreadyImported` and `OutcomeNotApplicable`; any of them writes nothing."""
    report = pain002.read_pain002(content)
    hold_import_lock(session)
    if report.original_message_name == PAIN008:
        return _import_unpaid_report(session, report, content, actor, business_date)
    original = session.scalar(
        select(PaymentFile).where(
            PaymentFile.direction == FileDirection.OUTBOUND,
            PaymentFile.kind == PAIN001,
            PaymentFile.message_id == report.original_message_id,
        )
    )
    if original is None or report.original_message_name != PAIN001:
        raise UnknownOriginalMessage(report.original_message_id)
    transactions = report.transactions or _whole_file_status(session, original, report)
    named = _sent_in(session, original, [t.original_end_to_end_id for t in transactions])
    to_settle: list[tuple[int, int, str]] = []
    to_reject: list[tuple[int, str | None, str | None]] = []
    for status in transactions:
        payment_id, current, amount_minor, currency = named[status.original_end_to_end_id]
        if status.status in SETTLED:
            if current is PaymentStatus.SENT:
                to_settle.append((payment_id, amount_minor, currency))
            elif current not in (PaymentStatus.SETTLED, PaymentStatus.RETURNED):
                raise OutcomeNotApplicable(payment_id, current, "settled")
        elif status.status == REJECTED:
            to_reject.append((payment_id, status.reason_code, status.reason_text))
    row = store_inbound(
        session,
        content=content,
        kind=pain002.MESSAGE,
        message_id=report.message_id,
        count=len(transactions),
        actor=actor,
        business_date=business_date,
    )
    if to_settle:
        _settle_together(session, row.id, to_settle, actor=actor, business_date=business_date)
    _reject_together(session, row.id, to_reject, actor=actor, business_date=business_date)
    settled, rejected = len(to_settle), len(to_reject)
    unchanged = len(transactions) - settled - rejected
    return StatusReportResult(file_view(row), settled, rejected, unchanged)
