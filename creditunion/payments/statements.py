"""Reconciling the settlement bank's end-of-day statement with the books, line by line.

Each statement line must be a movement the books already hold: a debit is a payment we
sent and the bank settled (by its end-to-end id), a credit is a credit we received (by
the bank's reference) or a payment of ours coming back. Anything else is a break, listed
until a staff member explains it. The statement's closing balance is compared with the
settlement bank account's balance in the ledger as at the statement's last day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy import String, any_, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import FieldError, ValidationProblem
from creditunion.members.text import clean_text
from creditunion.payments.collections.models import Collection
from creditunion.payments.config import PaymentConfig
from creditunion.payments.inbound_files import hold_import_lock, require_our_account, store_inbound
from creditunion.payments.iso20022 import camt053
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import (
    IncomingCredit,
    LineStatus,
    OutboundPayment,
    PaymentStatus,
    StatementLine,
)
from creditunion.payments.outbound_files import PaymentFileView, file_view
from ledger.models import JournalEntry, Posting
from ledger.money import Money

_Row = TypeVar("_Row", StatementLine, OutboundPayment, IncomingCredit, Collection)

NOTE_LENGTH_MAX: Final = 500
BREAKS_LISTED_MAX: Final = 1_000


class StatementLineNotFound(NotFound):
    def __init__(self, line_id: int) -> None:
        super().__init__(f"statement line {line_id} not found")


class StatementLineChanged(Conflict):
    """A bank reference seen before with another amount, date or end-to-end id: the bank
    has restated a line, which a person must look at before anything is recorded."""

    def __init__(self, bank_reference: str, statement_id: str) -> None:
        super().__init__(
            f"the line {bank_reference!r} was on statement {statement_id} with other details"
        )


class NotABreak(Conflict):
    def __init__(self, line_id: int, status: LineStatus) -> None:
        super().__init__(f"statement line {line_id} is {status.value}, not a break")


@dataclass(frozen=True, slots=True)
class BankLine:
    """One statement entry, signed as the bank sees our account (credits positive)."""

    bank_reference: str
    booking_date: dt.date
    amount: Money
    end_to_end_id: str | None


@dataclass(frozen=True, slots=True)
class StatementLineView:
    id: int
    statement_id: str
    bank_reference: str
    booking_date: dt.date
    amount: Money
    end_to_end_id: str | None
    status: LineStatus
    outbound_payment_id: int | None
    incoming_credit_id: int | None
    collection_id: int | None
    resolved_by: str | None
    resolution_note: str | None


@dataclass(frozen=True, slots=True)
class StatementResult:
    statement_id: str
    lines: int
    matched: int
    breaks: int
    # Lines an earlier statement already brought (statements that overlap), the same.
    already_recorded: int
    closing_balance: Money
    ledger_balance: Money

    @property
    def balance_difference(self) -> Money:
        return self.closing_balance - self.ledger_balance


def line_view(row: StatementLine) -> StatementLineView:
    return StatementLineView(
        id=row.id,
        statement_id=row.statement_id,
        bank_reference=row.bank_reference,
        booking_date=row.booking_date,
        amount=Money.from_minor(row.amount_minor, row.currency),
        end_to_end_id=row.end_to_end_id,
        status=row.status,
        outbound_payment_id=row.outbound_payment_id,
        incoming_credit_id=row.incoming_credit_id,
        collection_id=row.collection_id,
        resolved_by=row.resolved_by,
        resolution_note=row.resolution_note,
    )


def _payment_matches(payment: OutboundPayment | None, line: BankLine) -> bool:
    """A debit is a payment the bank paid (settled, or since returned); a credit naming a
    payment is its return."""
    if payment is None or payment.amount != abs(line.amount):
        return False
    if line.amount.is_negative():
        return payment.status in (PaymentStatus.SETTLED, PaymentStatus.RETURNED)
    return payment.status is PaymentStatus.RETURNED


def _credit_matches(credit: IncomingCredit | None, line: BankLine) -> bool:
    return credit is not None and not line.amount.is_negative() and credit.amount == line.amount


def _collection_matches(collection: Collection | None, line: BankLine) -> bool:
    """A credit is a direct debit the bank collected for us; a debit, one it took back
    unpaid after crediting it."""
    if collection is None or collection.amount_minor != abs(line.amount.minor_units):
        return False
    if line.amount.is_negative():
        return collection.unpaid_entry_id is not None
    return collection.collect_entry_id is not None


def _by_column(
    session: Session, model: type[_Row], column: InstrumentedAttribute[Any], values: list[str]
) -> dict[str, _Row]:
    """Rows of `model` whose `column` is one of `values`, by that value, in one statement."""
    rows = session.scalars(
        select(model).where(column == any_(bindparam("values", type_=ARRAY(String)))),
        {"values": values},
    )
    return {getattr(row, column.key): row for row in rows}


def ledger_balance_at(session: Session, account_id: int, as_of: dt.date, currency: str) -> Money:
    total = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_minor), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account_id == account_id, JournalEntry.business_date <= as_of)
    )
    return Money.from_minor(int(total or 0), currency)


def reconcile_statement(
    session: Session,
    *,
    file_id: int,
    statement_id: str,
    lines: tuple[BankLine, ...],
    to_date: dt.date,
    closing_balance: Money,
) -> StatementResult:
    """Record and match every line. A line an overlapping statement already brought is
    counted as already recorded; the same bank reference with other details refuses the
    statement (`StatementLineChanged`), writing nothing."""
    # The reader refuses a statement naming one entry twice.
    assert len({line.bank_reference for line in lines}) == len(lines)
    known = _by_column(
        session, StatementLine, StatementLine.bank_reference, [x.bank_reference for x in lines]
    )
    payments = _by_column(
        session,
        OutboundPayment,
        OutboundPayment.end_to_end_id,
        [x.end_to_end_id for x in lines if x.end_to_end_id is not None],
    )
    credits = _by_column(
        session, IncomingCredit, IncomingCredit.bank_reference, [x.bank_reference for x in lines]
    )
    collections = _by_column(
        session,
        Collection,
        Collection.end_to_end_id,
        [x.end_to_end_id for x in lines if x.end_to_end_id is not None],
    )
    matched = breaks = recorded = 0
    new_rows: list[dict[str, object]] = []
    for line in lines:
        earlier = known.get(line.bank_reference)
        if earlier is not None:
            if (earlier.amount_minor, earlier.booking_date, earlier.end_to_end_id) != (
                line.amount.minor_units,
                line.booking_date,
                line.end_to_end_id,
            ):
                raise StatementLineChanged(line.bank_reference, earlier.statement_id)
            recorded += 1
            continue
        payment = payments.get(line.end_to_end_id) if line.end_to_end_id else None
        payment = payment if _payment_matches(payment, line) else None
        credit = credits.get(line.bank_reference) if payment is None else None
        credit = credit if _credit_matches(credit, line) else None
        collection = None
        if payment is None and credit is None and line.end_to_end_id is not None:
            collection = collections.get(line.end_to_end_id)
            collection = collection if _collection_matches(collection, line) else None
        found = payment is not None or credit is not None or collection is not None
        new_rows.append(
            {
                "file_id": file_id,
                "statement_id": statement_id,
                "bank_reference": line.bank_reference,
                "booking_date": line.booking_date,
                "currency": line.amount.currency,
                "amount_minor": line.amount.minor_units,
                "end_to_end_id": line.end_to_end_id,
                "status": LineStatus.MATCHED if found else LineStatus.BREAK,
                "outbound_payment_id": payment.id if payment is not None else None,
                "incoming_credit_id": credit.id if credit is not None else None,
                "collection_id": collection.id if collection is not None else None,
            }
        )
        matched += found
        breaks += not found
    if new_rows:
        session.execute(insert(StatementLine), new_rows)
    session.flush()
    bank = payment_accounts(session).settlement_bank
    ledger = ledger_balance_at(session, bank, to_date, closing_balance.currency)
    return StatementResult(
        statement_id, len(lines), matched, breaks, recorded, closing_balance, ledger
    )


def list_breaks(
    session: Session, *, after_id: int = 0, limit: int = BREAKS_LISTED_MAX
) -> list[StatementLineView]:
    """Breaks in id order after `after_id`, at most `limit` (1 to BREAKS_LISTED_MAX)."""
    if not 0 < limit <= BREAKS_LISTED_MAX:
        raise ValueError(f"a page holds 1 to {BREAKS_LISTED_MAX} lines")
    rows = session.scalars(
        select(StatementLine)
        .where(StatementLine.status == LineStatus.BREAK, StatementLine.id > after_id)
        .order_by(StatementLine.id)
        .limit(limit)
    )
    return [line_view(row) for row in rows]


def resolve_break(session: Session, *, line_id: int, note: str, actor: str) -> StatementLineView:
    """A staff member explains a break (a bank charge booked by journal, say).
    Raises `StatementLineNotFound`, `NotABreak`, `ValidationProblem` (note)."""
    try:
        cleaned = clean_text(note, max_length=NOTE_LENGTH_MAX)
    except FieldError as exc:
        raise ValidationProblem.single("note", str(exc)) from None
    row = session.get(StatementLine, line_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise StatementLineNotFound(line_id)
    if row.status is not LineStatus.BREAK:
        raise NotABreak(line_id, row.status)
    row.status = LineStatus.RESOLVED
    row.resolved_by = actor
    row.resolution_note = cleaned
    session.flush()
    return line_view(row)


@dataclass(frozen=True, slots=True)
class StatementImport:
    file: PaymentFileView
    result: StatementResult


def import_statement(
    session: Session, *, content: bytes, config: PaymentConfig, actor: str, business_date: dt.date
) -> StatementImport:
    """Import the settlement bank's camt.053 and match it. Raises `MessageInvalid`,
    `FileForAnotherAccount`, `FileAlreadyImported`; any of them writes nothing."""
    statement = camt053.read_camt053(content)
    require_our_account(statement.account, config)
    hold_import_lock(session)
    row = store_inbound(
        session,
        content=content,
        kind=camt053.MESSAGE,
        message_id=statement.message_id,
        count=len(statement.entries),
        actor=actor,
        business_date=business_date,
    )
    lines = tuple(
        BankLine(
            bank_reference=entry.account_servicer_reference,
            booking_date=entry.booking_date,
            amount=entry.amount if entry.credit else -entry.amount,
            end_to_end_id=entry.end_to_end_id,
        )
        for entry in statement.entries
    )
    result = reconcile_statement(
        session,
        file_id=row.id,
        statement_id=statement.statement_id,
        lines=lines,
        to_date=statement.to_date,
        closing_balance=statement.closing_booked,
    )
    return StatementImport(file_view(row), result)
