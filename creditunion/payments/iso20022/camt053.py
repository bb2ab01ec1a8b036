"""camt.053.001.08, bank to customer statement: the end-of-day statement of the credit
union's own account at its settlement bank, to reconcile the books against. Sent by the
bank (read by us), written by the bank simulator. (ledger/export/camt053.py is another
thing: the ledger's accounts written as statements for auditors.)

Mapping: GrpHdr/MsgId and CreDtTm; one Stmt (Id; FrToDt, whose FrDtTm and ToDtTm are
written as the first and last second of the dates, with no offset, and read by their
calendar dates; Acct by sort code and account number, with its currency); the opening
booked balance (OPBD, or PRCD where a bank gives no OPBD) and the closing booked one
(CLBD), a credit balance positive and a debit one negative; TxsSummry (checked when
present); each Ntry booked (BOOK), read as `camt_entries` reads it.

Refused on reading, beyond the schema: opening + credits - debits != closing, an entry not
booked, an amount or balance in another currency than the account's, and repeated entry
references, account servicer references, end-to-end ids of debits or of returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt_entries import (
    BOOKED,
    CamtEntry,
    add_entry,
    add_summary,
    check_summary,
    read_entry,
)
from creditunion.payments.iso20022.elements import Builder, timestamp_text, total
from creditunion.payments.iso20022.reading import Reader
from creditunion.payments.iso20022.schemas import parse
from creditunion.payments.iso20022.text_rules import checked_id
from ledger.money import Money

MESSAGE: Final = "camt.053.001.08"
ENTRIES_MAX: Final = 100_000
OPENING_BOOKED: Final = "OPBD"
PREVIOUSLY_CLOSED_BOOKED: Final = "PRCD"
CLOSING_BOOKED: Final = "CLBD"

__all__ = [
    "ENTRIES_MAX",
    "MESSAGE",
    "Statement",
    "StatementEntry",
    "read_camt053",
    "write_camt053",
]


@dataclass(frozen=True, slots=True)
class StatementEntry:
    entry_reference: str
    credit: bool
    amount: Money
    booking_date: dt.date
    value_date: dt.date
    account_servicer_reference: str
    end_to_end_id: str | None
    remittance_reference: str | None

    @property
    def signed(self) -> Money:
        """The amount as it moves the balance: credits positive, debits negative."""
        return self.amount if self.credit else -self.amount


@dataclass(frozen=True, slots=True)
class Statement:
    message_id: str
    created_at: dt.datetime
    statement_id: str
    account: SortCodeAccount
    currency: str
    from_date: dt.date
    to_date: dt.date
    opening_booked: Money
    closing_booked: Money
    entries: tuple[StatementEntry, ...]


def _to_camt(entry: StatementEntry) -> CamtEntry:
    return CamtEntry(
        entry_reference=entry.entry_reference,
        credit=entry.credit,
        amount=entry.amount,
        status=BOOKED,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        account_servicer_reference=entry.account_servicer_reference,
        end_to_end_id=entry.end_to_end_id,
        remittance_reference=entry.remittance_reference,
        counterparty_name=None,
        counterparty_account=None,
        return_reason_code=None,
    )


def _add_balance(b: Builder, stmt: etree._Element, code: str, money: Money, on: dt.date) -> None:
    balance = b.child(stmt, "Bal")
    b.path(balance, "Tp/CdOrPrtry/Cd", code)
    b.amount(balance, "Amt", abs(money))
    b.child(balance, "CdtDbtInd", "DBIT" if money.is_negative() else "CRDT")
    b.path(balance, "Dt/Dt", on.isoformat())


def write_camt053(statement: Statement) -> bytes:
    """The statement as a valid camt.053.001.08 document; raises ValueError if it cannot be
    one (entries that do not take the opening balance to the closing one, an amount in
    another currency than the account's, too many entries, a period that ends before it
    starts, an id outside the ISO set)."""
    if len(statement.entries) > ENTRIES_MAX:
        raise ValueError(f"a statement holds at most {ENTRIES_MAX} entries")
    if statement.from_date > statement.to_date:
        raise ValueError(f"the period {statement.from_date} to {statement.to_date} is reversed")
    currency = statement.currency
    moved = total((e.signed for e in statement.entries), currency)
    if total([statement.opening_booked, moved], currency) != statement.closing_booked:
        raise ValueError(
            f"opening {statement.opening_booked} and entries {moved} do not make the closing"
            f" {statement.closing_booked}"
        )
    entries = [_to_camt(e) for e in statement.entries]
    b = Builder(MESSAGE)
    document = b.document()
    root = b.child(document, "BkToCstmrStmt")
    header = b.child(root, "GrpHdr")
    b.child(header, "MsgId", checked_id(statement.message_id, "message_id"))
    b.child(header, "CreDtTm", timestamp_text(statement.created_at, "created_at"))
    stmt = b.child(root, "Stmt")
    b.child(stmt, "Id", checked_id(statement.statement_id, "statement_id"))
    period = b.child(stmt, "FrToDt")
    b.child(period, "FrDtTm", f"{statement.from_date.isoformat()}T00:00:00")
    b.child(period, "ToDtTm", f"{statement.to_date.isoformat()}T23:59:59")
    b.account(stmt, "Acct", statement.account, currency)
    _add_balance(b, stmt, OPENING_BOOKED, statement.opening_booked, statement.from_date)
    _add_balance(b, stmt, CLOSING_BOOKED, statement.closing_booked, statement.to_date)
    add_summary(b, stmt, entries)
    for entry in entries:
        add_entry(b, stmt, entry)
    return b.finish(document)


def _balances(r: Reader, stmt: etree._Element, currency: str) -> dict[str, Money]:
    found: dict[str, Money] = {}
    for balance in r.all(stmt, "Bal"):
        code = r.text(balance, "Tp/CdOrPrtry/Cd")
        if code not in (OPENING_BOOKED, PREVIOUSLY_CLOSED_BOOKED, CLOSING_BOOKED):
            continue
        if code in found:
            raise r.invalid(f"the statement gives two {code} balances")
        amount = r.required_money(balance, "Amt", f"the {code} balance")
        if amount.currency != currency:
            raise r.invalid(
                f"the {code} balance is in {amount.currency}; the account in {currency}"
            )
        debit = r.required(balance, "CdtDbtInd", f"the {code} balance's side") == "DBIT"
        found[code] = -amount if debit else amount
    if CLOSING_BOOKED not in found:
        raise r.invalid("the statement has no closing booked balance (CLBD)")
    if OPENING_BOOKED not in found and PREVIOUSLY_CLOSED_BOOKED not in found:
        raise r.invalid("the statement has no opening booked balance (OPBD or PRCD)")
    return found


def _from_camt(r: Reader, entry: CamtEntry) -> StatementEntry:
    if entry.status != BOOKED:
        raise r.invalid(f"entry {entry.entry_reference!r} is {entry.status}, not booked (BOOK)")
    if entry.account_servicer_reference is None:
        raise r.invalid(f"entry {entry.entry_reference!r} has no AcctSvcrRef")
    return StatementEntry(
        entry_reference=entry.entry_reference,
        credit=entry.credit,
        amount=entry.amount,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        account_servicer_reference=entry.account_servicer_reference,
        end_to_end_id=entry.end_to_end_id,
        remittance_reference=entry.remittance_reference,
    )


def read_camt053(document: bytes) -> Statement:
    """The statement in a camt.053.001.08 document; raises `MessageInvalid` for an invalid
    one, more than one statement, entries that do not sum to the change of balance, and the
    rest listed in this module's docstring."""
    r = Reader(MESSAGE)
    root = parse(MESSAGE, document)
    message = r.single(root, "BkToCstmrStmt", "statement messages")
    stmt = r.single(message, "Stmt", "statements")
    currency = r.required(stmt, "Acct/Ccy", "the account's currency")
    listed = r.at_most(r.all(stmt, "Ntry"), ENTRIES_MAX, "entries")
    camt_entries = [read_entry(r, ntry) for ntry in listed]
    for entry in camt_entries:
        if entry.amount.currency != currency:
            raise r.invalid(
                f"entry {entry.entry_reference!r} is in {entry.amount.currency};"
                f" the account is in {currency}"
            )
    check_summary(r, stmt, camt_entries)
    r.unique((e.entry_reference for e in camt_entries), "the entry reference")
    r.unique((e.account_servicer_reference for e in camt_entries), "the AcctSvcrRef")
    r.unique(
        (e.end_to_end_id for e in camt_entries if not e.credit), "the end-to-end id of a debit"
    )
    r.unique(
        (e.end_to_end_id for e in camt_entries if e.return_reason_code is not None),
        "the original end-to-end id of a return",
    )
    entries = tuple(_from_camt(r, e) for e in camt_entries)
    balances = _balances(r, stmt, currency)
    opening = balances.get(OPENING_BOOKED, balances.get(PREVIOUSLY_CLOSED_BOOKED))
    assert opening is not None  # _balances refuses a statement without one
    closing = balances[CLOSING_BOOKED]
    moved = total((e.signed for e in entries), currency)
    if opening + moved != closing:
        raise r.invalid(
            f"the entries do not sum: opening {opening} + credits - debits {moved}"
            f" = {opening + moved}, but the closing balance is {closing}"
        )
    from_date = r.day_of(stmt, "FrToDt/FrDtTm", "the statement's start")
    to_date = r.day_of(stmt, "FrToDt/ToDtTm", "the statement's end")
    if from_date > to_date:
        raise r.invalid(f"the statement's period {from_date} to {to_date} is reversed")
    return Statement(
        message_id=r.required(message, "GrpHdr/MsgId", "the message id"),
        created_at=r.date_time(message, "GrpHdr/CreDtTm", "the creation time"),
        statement_id=r.required(stmt, "Id", "the statement id"),
        account=r.required_account(stmt, "Acct", "the account"),
        currency=currency,
        from_date=from_date,
        to_date=to_date,
        opening_booked=opening,
        closing_booked=closing,
        entries=entries,
    )
