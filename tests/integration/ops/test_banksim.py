"""The settlement bank simulator (`ops.banksim`): its pure model (reject shares of 0 and 1,
the same bytes for the same seed, statements that sum, NACHA answers that read back), the
files it writes when told to misbehave refused by the credit union's importer with nothing
posted, and two whole business days on a database of their own that reconcile with no
break."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from creditunion.business_date.service import current_business_date
from creditunion.commands import IdempotencyKey, staff_context
from creditunion.demo.data import demo_members
from creditunion.initial_data import initialise
from creditunion.members.commands import register_member
from creditunion.members.views import NiVisibility
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
from creditunion.platform.settings import Settings
from creditunion.shares.account_commands import open_share_account
from creditunion.shares.commands import deposit_cash
from creditunion.shares.products import INSTANT_ACCESS
from ledger.deadline import Deadline
from ledger.models import JournalEntry
from ledger.money import Money
from ops.banksim.ach_bank import RETURN_REASONS, ach_credits, respond_ach
from ops.banksim.book import Kind, SettlementBook
from ops.banksim.book_file import load_book, save_book
from ops.banksim.cli import app
from ops.banksim.credit_union import STAFF_ACTOR, CreditUnion, FileRefused
from ops.banksim.cycle import CyclePlan, run_cycle
from ops.banksim.uk_bank import REJECT_REASONS, Misbehaviour, Payee, SettlementBank
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


def test_the_pure_model_imports_no_database() -> None:
    code = (
        "import sys, ops.banksim.uk_bank, ops.banksim.ach_bank, ops.banksim.book_file;"
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
    assert summary["loans_disbursed"] >= 1
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
