"""The settlement bank simulator (`ops.banksim`): its pure model (reject shares of 0 and 1,
the same bytes for the same seed, statements that sum, NACHA answers that read back, direct
debits collected or reported unpaid, what the members' banks remember), the files it
writes when told to misbehave refused by the credit union's importer with nothing posted,
two whole business days on a database of their own that reconcile with no break, and
cycles of some weeks on each rail in which loans are collected by direct debit, some
unpaid, with the books agreeing every day."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from creditunion.business_date.service import current_business_date
from creditunion.commands import IdempotencyKey, staff_context
from creditunion.demo.data import demo_members
from creditunion.initial_data import initialise
from creditunion.members.commands import register_member
from creditunion.members.views import NiVisibility
from creditunion.payments.collections.codes import UK_UNPAID, US_UNPAID, Action
from creditunion.payments.collections.files import PAIN008
from creditunion.payments.collections.models import Collection, CollectionStatus
from creditunion.payments.config import payment_config
from creditunion.payments.inbound_files import FileAlreadyImported, FileForAnotherAccount
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt053 import read_camt053
from creditunion.payments.iso20022.camt054 import read_camt054
from creditunion.payments.iso20022.pain001 import (
    CreditTransfer,
    CreditTransferBatch,
    write_pain001,
)
from creditunion.payments.iso20022.pain002 import read_pain002
from creditunion.payments.iso20022.pain008 import (
    FIRST,
    DirectDebit,
    DirectDebitBatch,
    read_pain008,
    write_pain008,
)
from creditunion.payments.models import (
    CreditStatus,
    IncomingCredit,
    OutboundPayment,
    PaymentFile,
    PaymentStatus,
    StatementLine,
)
from creditunion.payments.nacha.file import (
    AchBatch,
    AchEntry,
    AchFile,
    NocAddenda,
    ReturnAddenda,
    SecCode,
    ServiceClass,
    TransactionCode,
)
from creditunion.payments.nacha.reader import read_ach_file
from creditunion.payments.nacha.writer import write_ach_file
from creditunion.payments.status_reports import UnknownOriginalMessage
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings, get_settings
from creditunion.shares.account_commands import open_share_account
from creditunion.shares.commands import deposit_cash
from creditunion.shares.products import INSTANT_ACCESS
from ledger.deadline import Deadline
from ledger.models import JournalEntry
from ledger.money import Money
from ops.banksim.ach_bank import (
    DEBIT_RETURN_REASONS,
    RETURN_REASONS,
    Odfi,
    ach_credits,
    respond_ach,
)
from ops.banksim.book import Kind, RoutingAccount, SettlementBook
from ops.banksim.book_file import load_book, save_book
from ops.banksim.cli import app
from ops.banksim.credit_union import STAFF_ACTOR, CreditUnion, FileRefused
from ops.banksim.cycle import CyclePlan, CycleRefused, run_cycle
from ops.banksim.payers_banks import PayersBanks
from ops.banksim.uk_bank import (
    REJECT_REASONS,
    UNPAID_REASONS,
    BankRefuses,
    Misbehaviour,
    Payee,
    SettlementBank,
)
from tests.integration.payments.books_check import assert_books

START = dt.date(2026, 3, 2)
AT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
OURS = SortCodeAccount("400000", "11112222")
SETTINGS = Settings(
    base_currency="GBP",
    payment_settlement_bank_id=OURS.sort_code,
    payment_settlement_account_number=OURS.account_number,
    payment_originator_name="PRESTON CU",
)
PAYEES = (
    Payee("M00000001", "00000018", "Zoë O'Brien"),
    Payee("M00000002", "00000026", "Kwame Okafor"),
)


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def _pain001(count: int, *, message_id: str = "CUTEST1") -> bytes:
    return write_pain001(
        CreditTransferBatch(
            message_id=message_id,
            created_at=AT,
            initiating_party_name="PRESTON CU",
            debtor_name="PRESTON CU",
            debtor_account=OURS,
            requested_execution_date=START,
            payments=tuple(
                CreditTransfer(
                    end_to_end_id=f"{message_id}E{n}",
                    instruction_id=f"{message_id}E{n}",
                    amount=Money.from_minor(1_000 + n, "GBP"),
                    creditor_name="Ann Member",
                    creditor_account=SortCodeAccount("200000", f"{n:08d}"),
                    remittance_reference=f"REF {n}",
                )
                for n in range(1, count + 1)
            ),
        )
    )


def _bank(seed: int = 7, opening: str = "100.00") -> SettlementBank:
    return SettlementBank(SettlementBook(OURS, "GBP", gbp(opening), seed=seed))


@pytest.mark.parametrize(("share", "settled"), [(0.0, 25), (1.0, 0)])
def test_a_reject_share_of_0_settles_every_payment_and_of_1_none(
    share: float, settled: int
) -> None:
    bank = _bank()
    answer = bank.respond(_pain001(25), day=START, at=AT, reject_share=share)
    report = read_pain002(answer.content)
    assert (report.original_message_id, report.original_message_name) == (
        "CUTEST1",
        "pain.001.001.09",
    )
    statuses = {tx.status for tx in report.transactions}
    assert len(report.transactions) == 25
    assert statuses == ({"ACSC"} if settled else {"RJCT"})
    assert report.group_status == ("ACSC" if settled else "RJCT")
    codes = {tx.reason_code for tx in report.transactions if tx.status == "RJCT"}
    assert codes <= {code for code, _ in REJECT_REASONS}
    debits = [b for b in bank.book.bookings if b.kind is Kind.PAYMENT]
    assert len(debits) == settled == len(answer.settled)
    assert sum((b.amount for b in debits), gbp("0")) == (
        Money.from_minor(sum(1_000 + n for n in range(1, 26)), "GBP") if settled else gbp("0")
    )


def test_the_bank_refuses_a_file_for_another_account_or_answered_twice() -> None:
    bank = _bank()
    content = _pain001(3)
    bank.respond(content, day=START, at=AT, reject_share=0.0)
    with pytest.raises(ValueError, match="answered already"):
        bank.respond(content, day=START, at=AT, reject_share=0.0)
    other = SettlementBank(
        SettlementBook(SortCodeAccount("400000", "99998888"), "GBP", gbp("0"), 1)
    )
    with pytest.raises(ValueError, match="this bank holds"):
        other.respond(content, day=START, at=AT, reject_share=0.0)


def _a_day(bank: SettlementBank, day: dt.date) -> list[bytes]:
    at = dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC)
    status = bank.respond(
        _pain001(20, message_id=f"CU{day:%m%d}"), day=day, at=at, reject_share=0.3
    )
    credits = bank.pay_in(PAYEES, day=day, at=at, count=12, unmatched_share=0.4)
    returns = bank.send_back(day=day, at=at, return_share=0.3)
    assert returns is not None
    statement = bank.statement(day=day, at=at)
    return [status.content, credits.content, returns.content, statement.content]


def test_one_seed_writes_the_same_bytes_and_another_seed_other_choices() -> None:
    first, again, other = _bank(seed=41), _bank(seed=41), _bank(seed=42)
    assert _a_day(first, START) == _a_day(again, START)
    assert first.book.bookings == again.book.bookings
    mine = read_pain002(_a_day(first, START + dt.timedelta(days=1))[0])
    theirs = read_pain002(_a_day(other, START + dt.timedelta(days=1))[0])
    assert [t.status for t in mine.transactions] != [t.status for t in theirs.transactions]


def test_statements_sum_and_quote_the_notifications_references() -> None:
    bank = _bank(opening="100.00")
    first = _a_day(bank, START)
    statement = read_camt053(first[3])
    credits, returns = read_camt054(first[1]), read_camt054(first[2])
    moved = sum((e.signed for e in statement.entries), gbp("0"))
    assert statement.opening_booked == gbp("100.00")
    assert statement.closing_booked == statement.opening_booked + moved
    assert len(statement.entries) == len(bank.book.bookings)
    servicer = {e.account_servicer_reference for e in statement.entries}
    notified = {e.entry_reference for e in credits.entries + returns.entries}
    assert notified <= servicer  # each credit and return is matched by its reference
    returned = {e.original_end_to_end_id for e in returns.entries}
    debited = {e.end_to_end_id for e in statement.entries if not e.credit}
    assert returned and returned <= debited
    assert {e.return_reason_code for e in returns.entries} <= {"AC01", "AC04", "MD07", "MS02"}

    second = read_camt053(_a_day(bank, START + dt.timedelta(days=1))[3])
    assert second.opening_booked == statement.closing_booked
    assert second.closing_booked == second.opening_booked + sum(
        (e.signed for e in second.entries), gbp("0")
    )


def test_credits_name_a_member_unless_told_to_match_nobody() -> None:
    bank = _bank()
    named = bank.pay_in(PAYEES, day=START, at=AT, count=30, unmatched_share=0.0).credits
    assert all(c.matchable and c.meant_for in {"00000018", "00000026"} for c in named)
    nobody = bank.pay_in(PAYEES, day=START, at=AT, count=30, unmatched_share=1.0).credits
    assert not any(c.matchable for c in nobody)
    assert {c.meant_for for c in nobody} == {None, "00000018", "00000026"}
    entries = read_camt054(_a_day(bank, START)[1]).entries
    assert all(e.counterparty_account is not None and e.counterparty_name for e in entries)


def test_the_book_kept_on_disk_reads_back_as_it_was(tmp_path: Path) -> None:
    bank = _bank(seed=5)
    _a_day(bank, START)
    bank.book.last_message_id = "SIMX"
    save_book(bank.book, tmp_path)
    assert load_book(tmp_path) == bank.book
    assert load_book(tmp_path / "nowhere") is None


TO_US = {"addressed_to": "091000019"}


def _ach_file() -> bytes:
    originated = AchFile(
        immediate_destination="011000015",
        immediate_origin="1311234567",
        immediate_destination_name="SETTLEMENT BANK",
        immediate_origin_name="OHIO CU",
        created_at=dt.datetime(2026, 3, 2, 14, 30),
        file_id_modifier="A",
        batches=(
            AchBatch(
                service_class_code=ServiceClass.CREDITS_ONLY,
                company_name="OHIO CU",
                company_id="1234567890",
                sec_code=SecCode.PPD,
                entry_description="PAYMENT",
                effective_entry_date=START,
                originating_dfi="01100001",
                batch_number=1,
                entries=tuple(
                    AchEntry(
                        transaction_code=TransactionCode.CHECKING_CREDIT,
                        receiving_dfi_routing="021000021" if n % 2 else "011000015",
                        dfi_account_number=f"55{n:06d}",
                        amount=Money.from_minor(2_000 + n, "USD"),
                        individual_id=f"M{n:08d}",
                        individual_name="ANN MEMBER",
                        trace_number=f"01100001{n:07d}",
                    )
                    for n in range(1, 11)
                ),
            ),
        ),
    )
    return write_ach_file(originated)


def test_nacha_returns_and_notifications_of_change_read_back() -> None:
    content = _ach_file()
    made = dt.datetime(2026, 3, 3, 9, 0)
    returned = respond_ach(
        content, seed=3, day=START, created_at=made, return_share=1.0, change_share=0.0, **TO_US
    )
    assert returned.content is not None
    read = read_ach_file(returned.content)
    assert (read.immediate_destination, read.immediate_origin) == ("091000019", " 011000015")
    entries = [e for b in read.batches for e in b.entries]
    assert len(entries) == len(returned.returned) == 10
    for entry in entries:
        assert isinstance(entry.addenda, ReturnAddenda)
        assert entry.addenda.return_reason_code in RETURN_REASONS
        assert entry.transaction_code is TransactionCode.CHECKING_CREDIT_RETURN
        assert entry.amount == Money.from_minor(
            2_000 + int(entry.addenda.original_trace_number[-7:]), "USD"
        )
    assert {b.originating_dfi for b in read.batches} == {"02100002", "01100001"}

    changed = respond_ach(
        content, seed=3, day=START, created_at=made, return_share=0.0, change_share=1.0, **TO_US
    )
    assert changed.content is not None and changed.returned == ()
    notices = [e for b in read_ach_file(changed.content).batches for e in b.entries]
    assert {b.sec_code for b in read_ach_file(changed.content).batches} == {SecCode.COR}
    assert all(
        isinstance(e.addenda, NocAddenda) and e.addenda.change_code == "C01" and e.amount.is_zero()
        for e in notices
    )
    nothing = respond_ach(
        content, seed=3, day=START, created_at=made, return_share=0.0, change_share=0.0, **TO_US
    )
    assert nothing == type(nothing)(None, (), ())


def test_nacha_credits_address_members_share_accounts() -> None:
    sent = ach_credits(
        PAYEES,
        seed=9,
        day=START,
        created_at=dt.datetime(2026, 3, 2, 10, 0),
        credit_union_routing="011000015",
        count=12,
        unmatched_share=0.5,
    )
    read = read_ach_file(sent.content)
    (batch,) = read.batches
    assert len(batch.entries) == 12
    for entry, credit in zip(batch.entries, sent.credits, strict=True):
        assert entry.transaction_code is TransactionCode.SAVINGS_CREDIT
        assert credit.reference == f"ACH{START:%y%m%d}{entry.trace_number}"
        assert credit.matchable is (entry.dfi_account_number in {"00000018", "00000026"})
    assert any(c.matchable for c in sent.credits) and not all(c.matchable for c in sent.credits)
    assert "ZOE O'BRIEN" in {e.individual_name for e in batch.entries}


COLLECT_ON = dt.date(2026, 3, 4)


def _pain008(count: int, *, message_id: str = "CUDD1", creditor: SortCodeAccount = OURS) -> bytes:
    return write_pain008(
        DirectDebitBatch(
            message_id=message_id,
            created_at=AT,
            initiating_party_name="PRESTON CU",
            creditor_name="PRESTON CU",
            creditor_account=creditor,
            creditor_scheme_id="123456",
            requested_collection_date=COLLECT_ON,
            sequence_type=FIRST,
            collections=tuple(
                DirectDebit(
                    end_to_end_id=f"{message_id}D{n}",
                    instruction_id=f"{message_id}D{n}",
                    amount=Money.from_minor(2_000 + n, "GBP"),
                    debtor_name="Ann Member",
                    debtor_account=SortCodeAccount("200000", f"{n:08d}"),
                    mandate_id=f"CUMANDATE{n:04d}",
                    mandate_signed_on=START,
                    remittance_reference=f"LOAN {n} INSTALMENT 1",
                )
                for n in range(1, count + 1)
            ),
        )
    )


def _signed(bank: SettlementBank, day: dt.date, kind: Kind) -> list[Money]:
    return [b.signed for b in bank.book.on(day) if b.kind is kind]


def test_direct_debits_are_credited_on_their_date_unless_left_unpaid() -> None:
    paid = _bank()
    taken = paid.take_direct_debits(_pain008(12), unpaid_share=0.0, late_share=1.0)
    assert (len(taken.credited), taken.unpaid, taken.collection_date) == (12, (), COLLECT_ON)
    credits = _signed(paid, COLLECT_ON, Kind.DIRECT_DEBIT)
    assert sum(credits, gbp("0")) == Money.from_minor(sum(2_000 + n for n in range(1, 13)), "GBP")
    assert paid.unpaid_reports(day=COLLECT_ON + dt.timedelta(days=5), at=AT) == []

    unpaid = _bank()
    taken = unpaid.take_direct_debits(_pain008(12), unpaid_share=1.0, late_share=0.0)
    assert taken.credited == () and len(taken.unpaid) == 12
    assert unpaid.book.bookings == []
    assert unpaid.unpaid_reports(day=COLLECT_ON - dt.timedelta(days=1), at=AT) == []
    (report,) = unpaid.unpaid_reports(day=COLLECT_ON, at=AT)
    read = read_pain002(report.content)
    assert (read.original_message_id, read.original_message_name) == ("CUDD1", PAIN008)
    assert [t.original_end_to_end_id for t in read.transactions] == list(taken.unpaid)
    assert {t.status for t in read.transactions} == {"RJCT"}
    codes = {t.reason_code for t in read.transactions}
    assert codes <= {code for code, _ in UNPAID_REASONS} and codes <= set(UK_UNPAID)
    assert unpaid.unpaid_reports(day=COLLECT_ON, at=AT) == []  # each reported once


def test_a_late_unpaid_advice_is_debited_back_the_day_after_with_the_same_id() -> None:
    bank = _bank(opening="0.00")
    taken = bank.take_direct_debits(_pain008(6), unpaid_share=1.0, late_share=1.0)
    assert taken.credited == taken.unpaid and taken.count == 6
    after = COLLECT_ON + dt.timedelta(days=1)
    assert bank.unpaid_reports(day=COLLECT_ON, at=AT) == []
    (report,) = bank.unpaid_reports(day=after, at=AT)
    on_the_day = read_camt053(bank.statement(day=COLLECT_ON, at=AT).content)
    next_day = read_camt053(bank.statement(day=after, at=AT).content)
    credited = {e.end_to_end_id: e.amount for e in on_the_day.entries if e.credit}
    debited = {e.end_to_end_id: e.amount for e in next_day.entries if not e.credit}
    assert credited == debited and set(credited) == set(report.unpaid)
    assert len({e.account_servicer_reference for e in on_the_day.entries + next_day.entries}) == 12
    assert next_day.closing_booked == gbp("0.00") < on_the_day.closing_booked


def test_the_bank_refuses_direct_debits_for_another_account_or_taken_twice() -> None:
    bank = _bank()
    content = _pain008(2)
    bank.take_direct_debits(content, unpaid_share=0.0, late_share=0.0)
    with pytest.raises(BankRefuses, match="taken already"):
        bank.take_direct_debits(content, unpaid_share=0.0, late_share=0.0)
    other = _pain008(2, message_id="CUDD2", creditor=SortCodeAccount("400000", "99998888"))
    with pytest.raises(BankRefuses, match="this bank holds"):
        bank.take_direct_debits(other, unpaid_share=0.0, late_share=0.0)


def test_a_members_bank_keeps_an_account_closed_and_is_often_short_again() -> None:
    payers = PayersBanks(US_UNPAID, DEBIT_RETURN_REASONS)
    rng = random.Random(8)
    first = {f"M{n}": payers.decide(rng, f"M{n}", 1.0) for n in range(400)}
    again = {mandate: payers.decide(rng, mandate, 0.0) for mandate in first}
    ended = [m for m, r in first.items() if r is not None and r.action is Action.CANCEL]
    short = [m for m, r in first.items() if r is not None and r.action is Action.REPRESENT]
    assert ended and all(again[m] == first[m] for m in ended)
    failed_again = [m for m in short if again[m] is not None]
    assert all(again[m] == first[m] for m in failed_again)
    assert 0.35 < len(failed_again) / len(short) < 0.65
    stopped = [m for m, r in first.items() if r is not None and r.action is Action.STOP]
    assert stopped and all(again[m] is None for m in stopped)
    assert {r.code for r in first.values() if r is not None} == {
        code for code, _ in DEBIT_RETURN_REASONS
    }


US_BOOK = RoutingAccount("091000019", "123456789")


def _ach_debits() -> bytes:
    return write_ach_file(
        AchFile(
            immediate_destination="091000019",
            immediate_origin="1311234567",
            immediate_destination_name="SETTLEMENT BANK",
            immediate_origin_name="OHIO CU",
            created_at=dt.datetime(2026, 3, 2, 18, 0),
            file_id_modifier="B",
            batches=(
                AchBatch(
                    service_class_code=ServiceClass.DEBITS_ONLY,
                    company_name="OHIO CU",
                    company_id="1234567890",
                    sec_code=SecCode.PPD,
                    entry_description="LOAN PMT",
                    effective_entry_date=START,
                    originating_dfi="09100001",
                    batch_number=1,
                    entries=tuple(
                        AchEntry(
                            transaction_code=(
                                TransactionCode.CHECKING_DEBIT
                                if n % 3
                                else TransactionCode.SAVINGS_DEBIT
                            ),
                            receiving_dfi_routing="021000021" if n % 2 else "011000015",
                            dfi_account_number=f"77{n:06d}",
                            amount=Money.from_minor(5_000 + n, "USD"),
                            individual_id=f"CUMANDATE{n:04d}",
                            individual_name="ZOE MEMBER",
                            trace_number=f"09100001{n:07d}",
                        )
                        for n in range(1, 13)
                    ),
                ),
            ),
        )
    )


def test_the_odfi_credits_our_debits_and_returns_the_unpaid_the_day_after() -> None:
    usd = Money.zero("USD")
    odfi = Odfi(SettlementBook(US_BOOK, "USD", usd, seed=6), addressed_to="091000019")
    taken = odfi.take(_ach_debits(), return_share=0.0, unpaid_share=1.0)
    assert len(taken.settled) == len(taken.returned) == 12 and taken.effective_on == START
    assert odfi.returns(day=START, created_at=dt.datetime(2026, 3, 2, 16, 0)) is None
    after = START + dt.timedelta(days=1)
    answer = odfi.returns(day=after, created_at=dt.datetime(2026, 3, 3, 16, 0))
    assert answer is not None and answer.content is not None
    read = read_ach_file(answer.content)
    assert read.immediate_destination == "091000019"
    entries = [e for b in read.batches for e in b.entries]
    assert {b.service_class_code for b in read.batches} == {ServiceClass.DEBITS_ONLY}
    assert {e.transaction_code for e in entries} == {
        TransactionCode.CHECKING_DEBIT_RETURN,
        TransactionCode.SAVINGS_DEBIT_RETURN,
    }
    for entry in entries:
        assert isinstance(entry.addenda, ReturnAddenda)
        assert entry.addenda.return_reason_code in {c for c, _ in DEBIT_RETURN_REASONS}
        serial = int(entry.addenda.original_trace_number[-7:])
        assert entry.amount == Money.from_minor(5_000 + serial, "USD")
    assert sorted(answer.returned) == sorted(taken.settled)
    assert odfi.closing(START) == Money.from_minor(sum(5_000 + n for n in range(1, 13)), "USD")
    assert odfi.closing(after) == usd
    with pytest.raises(BankRefuses, match="taken already"):
        odfi.take(_ach_debits(), return_share=0.0, unpaid_share=0.0)


def test_respond_returns_a_debit_with_a_debit_return_code() -> None:
    answer = respond_ach(
        _ach_debits(),
        seed=2,
        day=START,
        created_at=dt.datetime(2026, 3, 3, 9, 0),
        return_share=1.0,
        change_share=0.0,
        **TO_US,
    )
    assert answer.content is not None
    entries = [e for b in read_ach_file(answer.content).batches for e in b.entries]
    assert len(entries) == 12
    assert all(
        isinstance(e.addenda, ReturnAddenda)
        and e.addenda.return_reason_code in {c for c, _ in DEBIT_RETURN_REASONS}
        and not e.transaction_code.is_credit
        for e in entries
    )


def test_a_book_by_routing_number_reads_back_as_it_was(tmp_path: Path) -> None:
    odfi = Odfi(SettlementBook(US_BOOK, "USD", Money("10.00", "USD"), 3), addressed_to="091000019")
    odfi.take(_ach_debits(), return_share=0.0, unpaid_share=0.5)
    save_book(odfi.book, tmp_path)
    assert load_book(tmp_path) == odfi.book
    with pytest.raises(ValueError, match="sort code account"):
        SettlementBank(odfi.book)


def test_the_pure_model_imports_no_database() -> None:
    code = (
        "import sys, ops.banksim.uk_bank, ops.banksim.ach_bank, ops.banksim.book_file,"
        " ops.banksim.payers_banks;"
        "sys.exit('sqlalchemy' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_command_line_answers_a_file_then_writes_the_statement(tmp_path: Path) -> None:
    sent = tmp_path / "sent.xml"
    sent.write_bytes(_pain001(6))
    out = tmp_path / "bank"
    runner = CliRunner()
    answered = runner.invoke(
        app,
        ["respond", str(sent), "--out", str(out), "--seed", "4", "--date", "2026-03-02",
         "--reject-share", "0.5", "--return-share", "1.0", "--opening-balance", "50.00"],
    )  # fmt: skip
    assert answered.exit_code == 0, answered.output
    assert "settled" in answered.output
    again = runner.invoke(app, ["respond", str(sent), "--out", str(out), "--date", "2026-03-02"])
    assert again.exit_code == 2 and "answered already" in again.output
    statement = runner.invoke(app, ["statement", "--out", str(out), "--date", "2026-03-02"])
    assert statement.exit_code == 0, statement.output
    (path,) = out.glob("*-camt053.xml")
    read = read_camt053(path.read_bytes())
    book = load_book(out)
    assert book is not None and book.seed == 4
    # Every payment settled came back, so the day nets to nothing.
    assert (read.opening_booked, read.closing_booked) == (gbp("50.00"), gbp("50.00"))
    assert len(read.entries) == len(book.bookings) > 0


def test_the_command_line_reports_the_unpaid_of_a_pain008(tmp_path: Path) -> None:
    sent = tmp_path / "debits.xml"
    sent.write_bytes(_pain008(10))
    out = tmp_path / "bank"
    runner = CliRunner()
    answered = runner.invoke(
        app,
        ["respond", str(sent), "--out", str(out), "--seed", "3", "--date", "2026-03-02",
         "--reject-share", "0.5"],
    )  # fmt: skip
    assert answered.exit_code == 0, answered.output
    (report,) = out.glob("*-pain002-unpaid.xml")
    unpaid = read_pain002(report.read_bytes())
    assert unpaid.original_message_name == PAIN008 and 0 < len(unpaid.transactions) < 10
    statement = runner.invoke(app, ["statement", "--out", str(out), "--date", "2026-03-04"])
    assert statement.exit_code == 0, statement.output
    (path,) = out.glob("*-camt053.xml")
    credited = {e.end_to_end_id for e in read_camt053(path.read_bytes()).entries if e.credit}
    left = {t.original_end_to_end_id for t in unpaid.transactions}
    assert len(credited) + len(left) == 10 and not credited & left


def test_the_cycle_takes_an_unpaid_share_from_0_to_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cycle", "--out", str(tmp_path), "--unpaid-share", "1.5"])
    assert result.exit_code == 2
    assert "Invalid value for '--unpaid-share'" in result.output


def test_the_cycle_refuses_to_start_without_payment_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from creditunion.platform.settings import get_settings

    for name in (
        "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID",
        "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["cycle", "--out", str(tmp_path), "--days", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID" in result.output
    assert "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER" in result.output
    assert list(tmp_path.iterdir()) == []


def _members(engine: Engine, count: int, settings: Settings = SETTINGS) -> None:
    """Demo-like members registered, given an instant access account and paid in, through
    the same commands as the branch."""
    with unit_of_work(engine) as session:
        initialise(session, settings=settings, business_date=START)
    deadline = Deadline.after(60)
    for person in demo_members(count, today=START):
        if person.junior:
            continue
        with unit_of_work(engine) as session:
            acting = staff_context(STAFF_ACTOR, business_date=START, deadline=deadline)
            member = register_member(
                session,
                acting,
                application=person.application,
                login=None,
                settings=settings,
                ni_visibility=NiVisibility.MASKED,
            ).member
            account = open_share_account(
                session,
                acting,
                member_id=member.id,
                product_code=INSTANT_ACCESS,
                repayment_mandate=False,
            )
            keyed = staff_context(
                STAFF_ACTOR,
                business_date=START,
                deadline=deadline,
                idempotency=IdempotencyKey("test", "staff", f"open-{person.index}"),
            )
            deposit_cash(
                session,
                keyed,
                share_account_id=account.id,
                amount=Money(Decimal(200 + 37 * person.index), settings.base_currency),
                reference=None,
            )


@pytest.fixture
def credit_union(fresh_engine: Engine) -> CreditUnion:
    _members(fresh_engine, 8)
    return CreditUnion(fresh_engine, SETTINGS, payment_config(SETTINGS))


def _posted(engine: Engine) -> tuple[int, ...]:
    with unit_of_work(engine) as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (JournalEntry, PaymentFile, IncomingCredit, StatementLine)
        )


def _book(cu: CreditUnion, misbehaviour: Misbehaviour | None = None) -> SettlementBank:
    book = SettlementBook(OURS, "GBP", cu.settlement_balance(), seed=17)
    return SettlementBank(book, misbehaviour=misbehaviour)


def test_a_statement_for_another_account_is_refused_and_posts_nothing(
    credit_union: CreditUnion,
) -> None:
    bank = _book(credit_union)
    credits = bank.pay_in(credit_union.payees(), day=START, at=AT, count=3, unmatched_share=0.0)
    assert credit_union.import_file(credits.content, "credits").credits_applied == 3
    bank.misbehaviour = Misbehaviour.OTHER_ACCOUNT
    before = _posted(credit_union.engine)
    with pytest.raises(FileRefused) as refused:
        credit_union.import_file(bank.statement(day=START, at=AT).content, "camt.053")
    assert isinstance(refused.value.__cause__, FileForAnotherAccount)
    assert _posted(credit_union.engine) == before


def test_a_repeated_message_id_is_refused_and_posts_nothing(credit_union: CreditUnion) -> None:
    bank = _book(credit_union)
    payees = credit_union.payees()
    first = bank.pay_in(payees, day=START, at=AT, count=2, unmatched_share=0.0)
    credit_union.import_file(first.content, "credits")
    bank.misbehaviour = Misbehaviour.REPEATED_MESSAGE_ID
    second = bank.pay_in(payees, day=START, at=AT, count=2, unmatched_share=0.0)
    assert read_camt054(second.content).message_id == read_camt054(first.content).message_id
    before = _posted(credit_union.engine)
    with pytest.raises(FileRefused) as refused:
        credit_union.import_file(second.content, "credits")
    assert isinstance(refused.value.__cause__, FileAlreadyImported)
    assert _posted(credit_union.engine) == before


def test_a_status_report_on_a_file_never_sent_is_refused_and_posts_nothing(
    credit_union: CreditUnion,
) -> None:
    import random

    paid = credit_union.pay_out(random.Random(3), count=2, key_prefix="hostile")
    assert paid.made == 2
    produced = credit_union.produce(AT)
    assert produced is not None
    view, content = produced
    bank = _book(credit_union, Misbehaviour.UNKNOWN_ORIGINAL)
    report = bank.respond(content, day=START, at=AT, reject_share=0.5).content
    assert read_pain002(report).original_message_id != view.message_id
    before = _posted(credit_union.engine)
    with pytest.raises(FileRefused) as refused:
        credit_union.import_file(report, "pain.002")
    assert isinstance(refused.value.__cause__, UnknownOriginalMessage)
    assert _posted(credit_union.engine) == before
    with unit_of_work(credit_union.engine) as session:
        statuses = session.scalars(
            select(OutboundPayment.status).where(OutboundPayment.file_id == view.id)
        ).all()
    assert statuses == [PaymentStatus.SENT, PaymentStatus.SENT]


def test_two_business_days_reconcile_with_no_break(
    credit_union: CreditUnion, tmp_path: Path
) -> None:
    plan = CyclePlan(
        days=2,
        seed=4,
        payments_per_day=5,
        credits_per_day=6,
        reject_share=0.2,
        return_share=0.3,
        unmatched_share=0.4,
    )
    said: list[str] = []
    summary = run_cycle(
        credit_union.engine,
        settings=SETTINGS,
        config=credit_union.config,
        out=tmp_path,
        plan=plan,
        echo=said.append,
    )
    json.dumps(summary)  # printable as the command prints it
    assert (summary["stopped"], summary["days_closed"]) == (None, 2)
    assert summary["business_dates"] == ["2026-03-02", "2026-03-03"]
    assert summary["statement_breaks_per_day"] == [0, 0]
    assert summary["balance_difference_per_day"] == ["0.00", "0.00"]
    assert summary["invariants_ok"] is True
    payments, credits = summary["payments"], summary["credits"]
    assert payments["sent"] == payments["settled"] + payments["rejected"] > 0
    assert payments["rejected"] > 0 and payments["returned"] > 0
    assert credits["received"] == 12 == credits["applied"] + credits["unmatched"]
    assert credits["unmatched"] == credits["assigned"] + credits["returned"] > 0
    assert summary["loans_disbursed"] >= 1, [d["loan"] for d in summary["per_day"]]
    assert summary["payments_sub_ledger_ok"] is True
    assert len(said) == 2
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".xml")
    assert len(written) == summary["files"]
    assert written[0] == "day01-2026-03-02-01-pain001.xml"
    assert any(name.endswith("camt053.xml") for name in written)
    with unit_of_work(credit_union.engine) as session:
        assert current_business_date(session) == START + dt.timedelta(days=2)
    # The statements' lines are every booking of the bank's, each matched.
    with unit_of_work(credit_union.engine) as session:
        lines = session.scalar(select(func.count()).select_from(StatementLine))
    book = load_book(tmp_path)
    assert book is not None and lines == len(book.bookings)
    assert_books(credit_union.engine)


def test_a_return_to_sender_the_bank_rejects_goes_back_to_the_work_queue(
    credit_union: CreditUnion,
) -> None:
    bank = _book(credit_union)
    sent = bank.pay_in(credit_union.payees(), day=START, at=AT, count=1, unmatched_share=1.0)
    assert credit_union.import_file(sent.content, "credits").credits_unmatched == 1
    assert credit_union.work_suspense({}).returned == 1
    produced = credit_union.produce(AT)
    assert produced is not None
    answer = bank.respond(produced[1], day=START, at=AT, reject_share=1.0)
    assert credit_union.import_file(answer.content, "pain.002").rejected == 1
    with unit_of_work(credit_union.engine) as session:
        (credit,) = session.scalars(select(IncomingCredit)).all()
        assert credit.status is CreditStatus.UNMATCHED
    assert_books(credit_union.engine)


US_SETTINGS = Settings(
    base_currency="USD",
    payment_rail="ach",
    payment_settlement_bank_id="091000019",
    payment_settlement_account_number="123456789",
    payment_originator_name="OHIO FEDERAL CU",
    ach_immediate_origin="1311234567",
    ach_receiving_routing="091000019",
    ach_company_id="1234567890",
    ach_originating_dfi="09100001",
)


def test_the_odfis_files_go_through_the_credit_unions_importer(fresh_engine: Engine) -> None:
    import random

    _members(fresh_engine, 6, US_SETTINGS)
    cu = CreditUnion(fresh_engine, US_SETTINGS, payment_config(US_SETTINGS))
    assert cu.pay_out(random.Random(5), count=4, key_prefix="ach").made == 4
    produced = cu.produce(AT)
    assert produced is not None
    answer = respond_ach(
        produced[1],
        seed=5,
        day=START,
        created_at=dt.datetime(2026, 3, 3, 9, 0),
        return_share=0.5,
        change_share=0.5,
        addressed_to="091000019",
    )
    assert answer.content is not None and answer.returned and answer.changed
    applied = cu.import_file(answer.content, "NACHA returns")
    assert (applied.returned, applied.corrected) == (len(answer.returned), len(answer.changed))
    with unit_of_work(fresh_engine) as session:
        returned = session.scalars(
            select(OutboundPayment).where(OutboundPayment.trace_number.in_(answer.returned))
        ).all()
        assert {p.status for p in returned} == {PaymentStatus.RETURNED}
        assert {p.reason_code for p in returned} <= set(RETURN_REASONS)
    credits = ach_credits(
        cu.payees(),
        seed=5,
        day=START,
        created_at=dt.datetime(2026, 3, 3, 10, 0),
        credit_union_routing="091000019",
        count=6,
        unmatched_share=0.5,
    )
    received = cu.import_file(credits.content, "NACHA credits")
    matchable = sum(c.matchable for c in credits.credits)
    assert (received.credits_applied, received.credits_unmatched) == (matchable, 6 - matchable)
    assert_books(fresh_engine)


UK_COLLECTING = {
    "CREDITUNION_BASE_CURRENCY": "GBP",
    "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID": OURS.sort_code,
    "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER": OURS.account_number,
    "CREDITUNION_PAYMENT_ORIGINATOR_NAME": "PRESTON CU",
    "CREDITUNION_BACS_SERVICE_USER_NUMBER": "123456",
    # Three Bacs days of notice rather than ten: a cycle of weeks, not months, asks for an
    # unpaid collection again.
    "CREDITUNION_COLLECTION_NOTICE_DAYS": "3",
}
UK_DAYS, UK_SEED = 24, 5
US_DAYS, US_SEED = 37, 1
US_COLLECTING = {
    "CREDITUNION_BASE_CURRENCY": "USD",
    "CREDITUNION_PAYMENT_RAIL": "ach",
    "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID": "091000019",
    "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER": "123456789",
    "CREDITUNION_PAYMENT_ORIGINATOR_NAME": "OHIO FEDERAL CU",
    "CREDITUNION_ACH_IMMEDIATE_ORIGIN": "1311234567",
    "CREDITUNION_ACH_RECEIVING_ROUTING": "091000019",
    "CREDITUNION_ACH_COMPANY_ID": "1234567890",
    "CREDITUNION_ACH_ORIGINATING_DFI": "09100001",
    "CREDITUNION_COLLECTION_NOTICE_DAYS": "3",
    # PAL loans are limited by the credit union's net worth.
    "CREDITUNION_LOAN_NET_WORTH": "10000000",
}


def _environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> Iterator[Settings]:
    """The settings close of business reads too (it takes them from the environment)."""
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def uk_collecting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from _environment(monkeypatch, UK_COLLECTING)


@pytest.fixture
def us_collecting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from _environment(monkeypatch, US_COLLECTING)


def _collection_cycle(
    engine: Engine, settings: Settings, out: Path, *, days: int, seed: int
) -> dict[str, Any]:
    _members(engine, 8, settings)
    plan = CyclePlan(
        days=days,
        seed=seed,
        payments_per_day=3,
        credits_per_day=2,
        unpaid_share=0.3,
        mandate_share=1.0,
    )
    return run_cycle(
        engine,
        settings=settings,
        config=payment_config(settings),
        out=out,
        plan=plan,
        echo=lambda _: None,
    )


def _collections(engine: Engine) -> list[Collection]:
    with unit_of_work(engine) as session:
        rows = list(session.scalars(select(Collection).order_by(Collection.id)))
        session.expunge_all()
        return rows


def test_a_uk_cycle_collects_direct_debits_and_reconciles_the_unpaid(
    fresh_engine: Engine, uk_collecting: Settings, tmp_path: Path
) -> None:
    summary = _collection_cycle(fresh_engine, uk_collecting, tmp_path, days=UK_DAYS, seed=UK_SEED)
    assert (summary["stopped"], summary["days_closed"]) == (None, UK_DAYS)
    assert summary["statement_breaks_per_day"] == [0] * UK_DAYS
    assert summary["balance_difference_per_day"] == ["0.00"] * UK_DAYS
    assert summary["invariants_ok"] is True and summary["payments_sub_ledger_ok"] is True
    debits = summary["direct_debits"]
    assert debits["mandates_set_up"] > 0 and debits["sent"] > 0
    rows = _collections(fresh_engine)
    by_status = {s: [r for r in rows if r.status is s] for s in CollectionStatus}
    assert by_status[CollectionStatus.COLLECTED] and by_status[CollectionStatus.UNPAID]
    assert debits["unpaid"] == len(by_status[CollectionStatus.UNPAID])
    assert {r.reason_code for r in by_status[CollectionStatus.UNPAID]} <= set(UK_UNPAID)
    # Asked for again after the notice, and a second failure not asked for a third time.
    again = [r for r in rows if r.attempt == 2 and r.status is not CollectionStatus.CANCELLED]
    assert again and all(r.collection_date >= r.created_on + dt.timedelta(days=3) for r in again)
    assert any(r.status is CollectionStatus.UNPAID and not r.represent for r in again)
    assert not [r for r in rows if r.attempt > 2]
    # Each collection the bank credited is a statement line matched to it; each it took back
    # unpaid after crediting is a debit line with the same end-to-end id, matched too.
    with unit_of_work(fresh_engine) as session:
        matched = session.execute(
            select(StatementLine.collection_id, StatementLine.amount_minor).where(
                StatementLine.collection_id.is_not(None)
            )
        ).all()
    credited = {c for c, amount in matched if amount > 0}
    debited_back = {c for c, amount in matched if amount < 0}
    assert credited >= {r.id for r in by_status[CollectionStatus.COLLECTED]}
    assert debited_back and debited_back <= credited
    assert debited_back <= {r.id for r in by_status[CollectionStatus.UNPAID]}
    assert debits["credited"] == len(credited)
    files = sorted(tmp_path.glob("*-pain008.xml"))
    assert len(files) >= 2
    assert sum(len(read_pain008(f.read_bytes()).collections) for f in files) == debits["sent"]
    for report in tmp_path.glob("*-pain002-unpaid.xml"):
        assert read_pain002(report.read_bytes()).original_message_name == PAIN008
    assert_books(fresh_engine)


def test_a_us_cycle_collects_debits_and_takes_their_returns(
    fresh_engine: Engine, us_collecting: Settings, tmp_path: Path
) -> None:
    summary = _collection_cycle(fresh_engine, us_collecting, tmp_path, days=US_DAYS, seed=US_SEED)
    assert (summary["stopped"], summary["days_closed"]) == (None, US_DAYS)
    # The ODFI's closing balance agrees with the ledger every day; no statement is taken.
    assert summary["balance_difference_per_day"] == ["0.00"] * US_DAYS
    assert summary["statement_breaks_per_day"] == [None] * US_DAYS
    assert summary["invariants_ok"] is True and summary["payments_sub_ledger_ok"] is True
    debits = summary["direct_debits"]
    rows = _collections(fresh_engine)
    collected = [r for r in rows if r.status is CollectionStatus.COLLECTED]
    unpaid = [r for r in rows if r.status is CollectionStatus.UNPAID]
    assert collected and unpaid and debits["unpaid"] == len(unpaid)
    assert {r.reason_code for r in unpaid} <= {c for c, _ in DEBIT_RETURN_REASONS}
    debit_files = sorted(tmp_path.glob("*-ach-debits.ach"))
    assert debit_files
    traces = set()
    for path in debit_files:
        (batch,) = read_ach_file(path.read_bytes()).batches
        assert batch.service_class_code is ServiceClass.DEBITS_ONLY
        traces |= {e.trace_number for e in batch.entries}
    assert traces == {r.trace_number for r in rows if r.file_id is not None}
    returned = set()
    for path in tmp_path.glob("*.ach"):
        for batch in read_ach_file(path.read_bytes()).batches:
            returned |= {
                e.addenda.original_trace_number
                for e in batch.entries
                if isinstance(e.addenda, ReturnAddenda) and not e.transaction_code.is_credit
            }
    assert returned == {r.trace_number for r in unpaid}
    assert_books(fresh_engine)


def test_the_cycle_refuses_when_close_of_business_would_not_collect(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(**{**SETTINGS.model_dump(), "bacs_service_user_number": "123456"})
    plan = CyclePlan(days=1, seed=1)
    with pytest.raises(CycleRefused, match="close of business reads the payment settings"):
        run_cycle(
            fresh_engine,
            settings=settings,
            config=payment_config(settings),
            out=tmp_path,
            plan=plan,
            echo=print,
        )
    assert list(tmp_path.iterdir()) == []
