"""The bank's camt.054 notifications and camt.053 statement through the one import door:
a payment debited (settled), a salary for a member, a credit nobody matches, a payment
returned; then the statement reconciles with no break, a bank charge is a break until a
person explains it, and a file for another account or imported twice posts nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, select

from creditunion.members.service import get_member
from creditunion.payments.bank_files import BankFileResult, import_bank_file
from creditunion.payments.inbound_files import FileAlreadyImported, FileForAnotherAccount
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt053 import Statement, StatementEntry, write_camt053
from creditunion.payments.iso20022.camt054 import (
    Notification,
    NotificationEntry,
    write_camt054,
)
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import CreditStatus, IncomingCredit, OutboundPayment, PaymentStatus
from creditunion.payments.outbound_files import produce_outbound_file
from creditunion.payments.statements import StatementLineChanged, list_breaks, resolve_break
from creditunion.platform.database import unit_of_work
from creditunion.shares.movements import withdraw_cash
from creditunion.shares.service import close_share_account
from ledger.accounts import get_account
from ledger.money import Money
from ledger.ownership import STAFF
from tests.integration.payments.books_check import assert_books
from tests.integration.payments.test_payments_out import CONFIG, TODAY, _balance, _member_with, _pay
from tests.share_account_helpers import gbp

OURS = SortCodeAccount(CONFIG.settlement_bank_id, CONFIG.settlement_account_number)
AT = dt.datetime(2026, 1, 15, 18, 0, tzinfo=dt.UTC)
PAYER = SortCodeAccount("401276", "40404040")


def _entry(
    ref: str,
    amount: str,
    *,
    credit: bool = True,
    end_to_end: str | None = None,
    remittance: str | None = None,
    returned: str | None = None,
    returned_code: str | None = None,
) -> NotificationEntry:
    return NotificationEntry(
        entry_reference=ref,
        credit=credit,
        amount=gbp(amount),
        booking_date=TODAY,
        value_date=TODAY,
        status="BOOK",
        end_to_end_id=end_to_end,
        remittance_reference=remittance,
        counterparty_name="ACME PAYROLL" if credit and not returned else None,
        counterparty_account=PAYER if credit and not returned else None,
        return_reason_code=returned_code,
        original_end_to_end_id=returned,
    )


def _notification(*entries: NotificationEntry, account: SortCodeAccount = OURS) -> bytes:
    return write_camt054(
        Notification(
            message_id="N" + uuid.uuid4().hex[:20].upper(),
            created_at=AT,
            notification_id="NTF" + uuid.uuid4().hex[:10].upper(),
            account=account,
            currency="GBP",
            entries=entries,
        )
    )


def _line(ref: str, amount: str, *, credit: bool, end_to_end: str | None = None) -> StatementEntry:
    return StatementEntry(
        entry_reference=ref,
        credit=credit,
        amount=gbp(amount),
        booking_date=TODAY,
        value_date=TODAY,
        account_servicer_reference=ref,
        end_to_end_id=end_to_end,
        remittance_reference=None,
    )


def _statement(opening: Money, *lines: StatementEntry) -> bytes:
    closing = opening
    for line in lines:
        closing = closing + line.amount if line.credit else closing - line.amount
    return write_camt053(
        Statement(
            message_id="S" + uuid.uuid4().hex[:20].upper(),
            created_at=AT,
            statement_id="STMT" + uuid.uuid4().hex[:8].upper(),
            account=OURS,
            currency="GBP",
            from_date=TODAY,
            to_date=TODAY,
            opening_booked=opening,
            closing_booked=closing,
            entries=lines,
        )
    )


def _import(engine: Engine, content: bytes) -> BankFileResult:
    with unit_of_work(engine) as s:
        return import_bank_file(
            s, content=content, config=CONFIG, actor="system:bank", business_date=TODAY
        )


def _sent(engine: Engine, account_id: int, amount: str) -> str:
    payment = _pay(engine, account_id, amount)
    with unit_of_work(engine) as s:
        produce_outbound_file(s, config=CONFIG, actor="user:m", business_date=TODAY, created_at=AT)
        row = s.get(OutboundPayment, payment.id)
        assert row is not None
        return row.end_to_end_id


def _settlement_bank(engine: Engine) -> Money:
    with unit_of_work(engine) as s:
        return get_account(s, payment_accounts(s).settlement_bank).balance


def test_a_day_of_notifications_then_a_statement_with_no_break(own_books: Engine) -> None:
    member_id, account_id = _member_with(own_books, "300.00")
    with unit_of_work(own_books) as s:
        membership = get_member(s, member_id=member_id).membership_number
    rent = _sent(own_books, account_id, "100.00")
    paid = _import(own_books, _notification(_entry("D1", "100.00", credit=False, end_to_end=rent)))
    assert paid.settled == 1
    day = _import(
        own_books,
        _notification(
            _entry("C1", "500.00", remittance=f"SALARY {membership}"),
            _entry("C2", "75.00", remittance="INVOICE 9"),
            _entry("R1", "100.00", returned=rent, returned_code="AC04"),
        ),
    )
    assert (day.credits_applied, day.credits_unmatched, day.returned) == (1, 1, 1)
    assert _balance(own_books, account_id) == gbp("800.00")
    with unit_of_work(own_books) as s:
        row = s.scalars(select(OutboundPayment).where(OutboundPayment.end_to_end_id == rent)).one()
        assert (row.status, row.reason_code) == (PaymentStatus.RETURNED, "AC04")
    assert _settlement_bank(own_books) == gbp("575.00")

    statement = _statement(
        gbp("0.00"),
        _line("D1", "100.00", credit=False, end_to_end=rent),
        _line("C1", "500.00", credit=True),
        _line("C2", "75.00", credit=True),
        _line("R1", "100.00", credit=True, end_to_end=rent),
    )
    result = _import(own_books, statement).statement
    assert result is not None
    assert (result.matched, result.breaks) == (4, 0)
    assert result.balance_difference == gbp("0.00")

    charge = _statement(gbp("575.00"), _line("FEE1", "2.50", credit=False))
    charged = _import(own_books, charge).statement
    assert charged is not None and (charged.breaks, charged.balance_difference) == (
        1,
        gbp("-2.50"),
    )
    with unit_of_work(own_books) as s:
        (brk,) = list_breaks(s)
        resolved = resolve_break(s, line_id=brk.id, note="monthly bank charge", actor="user:f")
    assert resolved.resolved_by == "user:f"
    with unit_of_work(own_books) as s:
        assert list_breaks(s) == []
    assert_books(own_books)


def test_files_for_another_account_or_twice_post_nothing(own_books: Engine) -> None:
    before = _settlement_bank(own_books)
    elsewhere = _notification(
        _entry("X1", "10.00", remittance="x"), account=SortCodeAccount("999999", "12345678")
    )
    with pytest.raises(FileForAnotherAccount):
        _import(own_books, elsewhere)
    once = _notification(_entry("Y1", "10.00", remittance="nobody"))
    assert _import(own_books, once).credits_unmatched == 1
    with pytest.raises(FileAlreadyImported):
        _import(own_books, once)
    assert _settlement_bank(own_books) == before + gbp("10.00")


def test_a_return_for_a_closed_account_waits_in_suspense(own_books: Engine) -> None:
    member_id, account_id = _member_with(own_books, "41.00")
    sent = _sent(own_books, account_id, "40.00")
    _import(own_books, _notification(_entry("D9", "40.00", credit=False, end_to_end=sent)))
    with unit_of_work(own_books) as s:
        withdraw_cash(
            s,
            share_account_id=account_id,
            amount=gbp("1.00"),
            actor="user:t",
            idempotency_key=f"k{uuid.uuid4()}",
            business_date=TODAY,
            approval_limit=gbp("1000.00"),
            final=True,
        )
        close_share_account(
            s, share_account_id=account_id, actor="user:t", business_date=TODAY, scope=STAFF
        )
    back = _import(
        own_books, _notification(_entry("R9", "40.00", returned=sent, returned_code="AC01"))
    )
    assert back.returned == 1
    with unit_of_work(own_books) as s:
        waiting = s.scalars(
            select(IncomingCredit).where(IncomingCredit.bank_reference == "R9")
        ).one()
        assert (waiting.status, waiting.member_id, waiting.amount) == (
            CreditStatus.UNMATCHED,
            member_id,
            gbp("40.00"),
        )
    assert_books(own_books)


def test_an_overlapping_statement_counts_lines_once_and_a_restated_line_is_refused(
    own_books: Engine,
) -> None:
    _import(own_books, _notification(_entry("O1", "20.00", remittance="nobody")))
    first = _import(own_books, _statement(gbp("0.00"), _line("O1", "20.00", credit=True)))
    assert first.statement is not None and first.statement.matched == 1
    again = _import(
        own_books,
        _statement(
            gbp("0.00"), _line("O1", "20.00", credit=True), _line("O2", "1.00", credit=False)
        ),
    ).statement
    assert again is not None
    assert (again.lines, again.already_recorded, again.matched, again.breaks) == (2, 1, 0, 1)
    with unit_of_work(own_books) as s:
        breaks_before = len(list_breaks(s))
    with pytest.raises(StatementLineChanged):
        _import(
            own_books,
            _statement(
                gbp("0.00"), _line("O1", "21.00", credit=True), _line("O3", "2.00", credit=False)
            ),
        )
    with unit_of_work(own_books) as s:
        assert len(list_breaks(s)) == breaks_before  # O3 was not recorded either


def test_a_bank_charge_is_told_not_posted_and_a_credit_told_twice_counts_once(
    own_books: Engine,
) -> None:
    before = _settlement_bank(own_books)
    salary = _entry("K1", "30.00", remittance="nobody here")
    first = _import(own_books, _notification(salary, _entry("FEE9", "1.50", credit=False)))
    assert (first.credits_unmatched, first.settled) == (1, 0)
    assert first.notices == ["FEE9: a debit of 1.50 GBP naming no payment of ours"]
    again = _import(own_books, _notification(salary))
    assert (again.credits_applied, again.credits_unmatched) == (0, 0)
    assert again.notices == ["K1: received before, posted once"]
    assert _settlement_bank(own_books) == before + gbp("30.00")
    assert_books(own_books)
