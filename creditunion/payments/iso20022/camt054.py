"""camt.054.001.08, bank to customer debit/credit notification: what the bank booked on the
credit union's account, above all incoming credits for members and our payments returned.
Sent by the bank (read by us), written by the bank simulator.

Mapping: GrpHdr/MsgId and CreDtTm; one Ntfctn (Id, Acct by sort code and account number,
with its currency); TxsSummry (counts and sums, checked when present); each Ntry as
`camt_entries` reads it. A returned payment (an entry with RtrInf) carries the end-to-end
id of our original pain.001 payment in Refs/EndToEndId: it is read as
`original_end_to_end_id`, and its `end_to_end_id` is None.

Repeated ids refused: entry references (the bank's reference of a booking), end-to-end ids
of debits (payments we sent) and original end-to-end ids of returns (each of our payments
comes back once). A payer's end-to-end id on an incoming credit may repeat: payers choose
them independently, and the entry reference tells the credits apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt_entries import (
    BOOKED,
    CamtEntry,
    add_entry,
    add_summary,
    check_summary,
    read_entry,
)
from creditunion.payments.iso20022.elements import Builder, timestamp_text
from creditunion.payments.iso20022.reading import Reader
from creditunion.payments.iso20022.schemas import parse
from creditunion.payments.iso20022.text_rules import checked_id
from ledger.money import Money

MESSAGE: Final = "camt.054.001.08"
ENTRIES_MAX: Final = 100_000

__all__ = [
    "BOOKED",
    "ENTRIES_MAX",
    "MESSAGE",
    "Notification",
    "NotificationEntry",
    "read_camt054",
    "write_camt054",
]


@dataclass(frozen=True, slots=True)
class NotificationEntry:
    entry_reference: str
    credit: bool
    amount: Money
    booking_date: dt.date
    value_date: dt.date
    status: str
    end_to_end_id: str | None
    remittance_reference: str | None
    counterparty_name: str | None
    counterparty_account: SortCodeAccount | None
    return_reason_code: str | None
    original_end_to_end_id: str | None

    @property
    def is_return(self) -> bool:
        return self.return_reason_code is not None


@dataclass(frozen=True, slots=True)
class Notification:
    message_id: str
    created_at: dt.datetime
    notification_id: str
    account: SortCodeAccount
    currency: str
    entries: tuple[NotificationEntry, ...]


def _to_camt(entry: NotificationEntry) -> CamtEntry:
    if entry.is_return:
        if not entry.credit or entry.original_end_to_end_id is None:
            raise ValueError(
                f"entry {entry.entry_reference}: a return is a credit naming the original"
                " end-to-end id"
            )
        if entry.end_to_end_id is not None:
            raise ValueError(
                f"entry {entry.entry_reference}: a return carries the original end-to-end id"
                " only (its end_to_end_id is None)"
            )
    elif entry.original_end_to_end_id is not None:
        raise ValueError(
            f"entry {entry.entry_reference}: only a return (with return_reason_code) names"
            " an original end-to-end id"
        )
    return CamtEntry(
        entry_reference=entry.entry_reference,
        credit=entry.credit,
        amount=entry.amount,
        status=entry.status,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        account_servicer_reference=None,
        end_to_end_id=entry.original_end_to_end_id if entry.is_return else entry.end_to_end_id,
        remittance_reference=entry.remittance_reference,
        counterparty_name=entry.counterparty_name,
        counterparty_account=entry.counterparty_account,
        return_reason_code=entry.return_reason_code,
    )


def _from_camt(entry: CamtEntry) -> NotificationEntry:
    returned = entry.return_reason_code is not None
    return NotificationEntry(
        entry_reference=entry.entry_reference,
        credit=entry.credit,
        amount=entry.amount,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        status=entry.status,
        end_to_end_id=None if returned else entry.end_to_end_id,
        remittance_reference=entry.remittance_reference,
        counterparty_name=entry.counterparty_name,
        counterparty_account=entry.counterparty_account,
        return_reason_code=entry.return_reason_code,
        original_end_to_end_id=entry.end_to_end_id if returned else None,
    )


def write_camt054(notification: Notification) -> bytes:
    """The notification as a valid camt.054.001.08 document; raises ValueError if it cannot
    be one (too many entries, an amount in another currency than the account's, a return
    without the original end-to-end id, an id outside the ISO set)."""
    if len(notification.entries) > ENTRIES_MAX:
        raise ValueError(f"a notification holds at most {ENTRIES_MAX} entries")
    entries = [_to_camt(e) for e in notification.entries]
    for entry in entries:
        if entry.amount.currency != notification.currency:
            raise ValueError(
                f"entry {entry.entry_reference}: {entry.amount} on a {notification.currency}"
                " account"
            )
    b = Builder(MESSAGE)
    document = b.document()
    root = b.child(document, "BkToCstmrDbtCdtNtfctn")
    header = b.child(root, "GrpHdr")
    b.child(header, "MsgId", checked_id(notification.message_id, "message_id"))
    b.child(header, "CreDtTm", timestamp_text(notification.created_at, "created_at"))
    body = b.child(root, "Ntfctn")
    b.child(body, "Id", checked_id(notification.notification_id, "notification_id"))
    b.account(body, "Acct", notification.account, notification.currency)
    add_summary(b, body, entries)
    for entry in entries:
        add_entry(b, body, entry)
    return b.finish(document)


def read_camt054(document: bytes) -> Notification:
    """The notification in a camt.054.001.08 document; raises `MessageInvalid` for an
    invalid one, more than one notification, an account not identified by sort code and
    account number or without a currency, an amount in another currency or with more
    decimals than it has, a summary that does not match the entries, or a repeated id."""
    r = Reader(MESSAGE)
    root = parse(MESSAGE, document)
    message = r.single(root, "BkToCstmrDbtCdtNtfctn", "notification messages")
    body = r.single(message, "Ntfctn", "notifications")
    currency = r.required(body, "Acct/Ccy", "the account's currency")
    listed = r.at_most(r.all(body, "Ntry"), ENTRIES_MAX, "entries")
    entries = [read_entry(r, ntry) for ntry in listed]
    for entry in entries:
        if entry.amount.currency != currency:
            raise r.invalid(
                f"entry {entry.entry_reference!r} is in {entry.amount.currency};"
                f" the account is in {currency}"
            )
    check_summary(r, body, entries)
    read = tuple(_from_camt(e) for e in entries)
    r.unique((e.entry_reference for e in read), "the entry reference")
    r.unique((e.end_to_end_id for e in read if not e.credit), "the end-to-end id of a debit")
    r.unique((e.original_end_to_end_id for e in read), "the original end-to-end id of a return")
    return Notification(
        message_id=r.required(message, "GrpHdr/MsgId", "the message id"),
        created_at=r.date_time(message, "GrpHdr/CreDtTm", "the creation time"),
        notification_id=r.required(body, "Id", "the notification id"),
        account=r.required_account(body, "Acct", "the account"),
        currency=currency,
        entries=read,
    )
