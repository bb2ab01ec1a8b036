"""The ACH rail: credits to members' nominated accounts as a NACHA PPD file that reads back
under the layout rules, settled by close of business on their settlement date; the ODFI's
returns (R-codes) bring the money back, a notification of change corrects the nominated
account, and credits addressed to a member's share account number reach it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, select

from creditunion.payments.ach_files import settle_due_ach
from creditunion.payments.bank_files import import_bank_file
from creditunion.payments.config import AchOriginator, PaymentConfig
from creditunion.payments.inbound_files import FileForAnotherAccount
from creditunion.payments.models import (
    NominatedAccount,
    NominationStatus,
    OutboundPayment,
    PaymentStatus,
    Scheme,
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
from creditunion.payments.nominations import BankDetails, destination_of, nominate
from creditunion.payments.outbound import PayoutRequest, pay_out
from creditunion.payments.outbound_files import produce_outbound_file
from creditunion.payments.queries import get_file
from creditunion.payments.settlement_calendar import Rail
from creditunion.platform.database import unit_of_work
from creditunion.shares.movements import deposit_cash
from creditunion.shares.service import get_share_account
from ledger.money import Money
from ledger.ownership import STAFF
from tests.factories import ShareAccountFactory
from tests.integration.payments.books_check import assert_books

TODAY = dt.date(2026, 11, 24)  # a Tuesday: ACH settles on Wednesday 25th
ODFI = "09100001"
CONFIG = PaymentConfig(
    rail=Rail.ACH,
    currency="USD",
    settlement_bank_id="091000019",
    settlement_account_number="123456789",
    originator_name="Preston Federal CU",
    cooling_off_days=0,
    approval_limit=Money("1000.00", "USD"),
    # "1" and an EIN, as ODFIs often assign: files back are addressed to the routing number.
    ach=AchOriginator(
        immediate_origin="1311234567",
        company_id="1234567890",
        originating_dfi=ODFI,
        receiving_routing="091000019",
    ),
)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def _member(engine: Engine, amount: str) -> tuple[int, int, str]:
    with unit_of_work(engine) as s:
        account = ShareAccountFactory.create(session=s, business_date=TODAY)
        deposit_cash(
            s,
            share_account_id=account.id,
            amount=usd(amount),
            actor="user:t",
            idempotency_key=f"k{uuid.uuid4()}",
            business_date=TODAY,
        )
        nominate(
            s,
            member_id=account.member_id,
            scope=STAFF,
            destination=destination_of(
                BankDetails(
                    "Zoë Member",
                    "000123456789",
                    routing_number="011000015",
                    account_kind="checking",
                ),
                Scheme.US,
            ),
            by_member=False,
            cooling_off_days=0,
            actor="user:t",
            business_date=TODAY,
        )
        return account.member_id, account.id, account.account_number


def _pay(engine: Engine, account_id: int, amount: str) -> int:
    with unit_of_work(engine) as s:
        return pay_out(
            s,
            request=PayoutRequest(account_id, usd(amount), "RENT"),
            scope=STAFF,
            config=CONFIG,
            actor="user:t",
            idempotency_key=f"k{uuid.uuid4()}",
            business_date=TODAY,
        ).id


def _payment(engine: Engine, payment_id: int) -> OutboundPayment:
    with unit_of_work(engine) as s:
        row = s.get(OutboundPayment, payment_id)
        assert row is not None
        s.expunge(row)
        return row


def _batch(*entries: AchEntry, sec: SecCode = SecCode.PPD, number: int = 1) -> AchBatch:
    credits_only = all(e.transaction_code.is_credit for e in entries)
    return AchBatch(
        service_class_code=ServiceClass.CREDITS_ONLY if credits_only else ServiceClass.MIXED,
        company_name="ODFI RETURNS",
        company_id="9999999999",
        sec_code=sec,
        entry_description="RETURNS",
        effective_entry_date=dt.date(2026, 11, 25),
        originating_dfi="01100001",
        batch_number=number,
        entries=entries,
    )


def _odfi_file(*batches: AchBatch) -> bytes:
    return write_ach_file(
        AchFile(
            immediate_destination="091000019",
            immediate_origin=" 011000015",
            immediate_destination_name="PRESTON FEDERAL CU",
            immediate_origin_name="ODFI",
            created_at=dt.datetime(2026, 11, 25, 6, 0),
            file_id_modifier="B",
            batches=batches,
        )
    )


def _import(engine: Engine, content: bytes):  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        return import_bank_file(
            s, content=content, config=CONFIG, actor="system:odfi", business_date=TODAY
        )


def test_credits_go_out_as_a_nacha_file_and_settle_on_their_date(own_us_books: Engine) -> None:
    _, account_id, _ = _member(own_us_books, "500.00")
    first = _pay(own_us_books, account_id, "120.00")
    second = _pay(own_us_books, account_id, "30.00")
    with unit_of_work(own_us_books) as s:
        view = produce_outbound_file(
            s,
            config=CONFIG,
            actor="user:m",
            business_date=TODAY,
            created_at=dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC),
        )
        _, content = get_file(s, file_id=view.id)
    ach = read_ach_file(content)  # the layout, counts, hash and totals checked on reading
    (batch,) = ach.batches
    assert (batch.sec_code, batch.effective_entry_date) == (SecCode.PPD, dt.date(2026, 11, 25))
    assert [e.amount for e in batch.entries] == [usd("120.00"), usd("30.00")]
    assert {e.individual_name for e in batch.entries} == {"ZOE MEMBER"}
    assert all(len(line) == 94 for line in content.decode().splitlines())
    assert len(content.decode().splitlines()) % 10 == 0
    with unit_of_work(own_us_books) as s:
        assert settle_due_ach(s, business_date=TODAY, actor="system:cob") == 0
        assert settle_due_ach(s, business_date=dt.date(2026, 11, 25), actor="system:cob") == 2
    assert _payment(own_us_books, first).status is PaymentStatus.SETTLED
    assert _payment(own_us_books, second).status is PaymentStatus.SETTLED
    assert_books(own_us_books)


def test_a_return_brings_the_money_back_and_a_change_corrects_the_nomination(
    own_us_books: Engine,
) -> None:
    member_id, account_id, _ = _member(own_us_books, "500.00")
    returned_id = _pay(own_us_books, account_id, "200.00")
    corrected_id = _pay(own_us_books, account_id, "10.00")
    with unit_of_work(own_us_books) as s:
        produce_outbound_file(
            s,
            config=CONFIG,
            actor="user:m",
            business_date=TODAY,
            created_at=dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC),
        )
        settle_due_ach(s, business_date=dt.date(2026, 11, 25), actor="system:cob")
    returned, corrected = _payment(own_us_books, returned_id), _payment(own_us_books, corrected_id)
    back = AchEntry(
        transaction_code=TransactionCode.CHECKING_CREDIT_RETURN,
        receiving_dfi_routing="091000019",
        dfi_account_number="000123456789",
        amount=usd("200.00"),
        individual_id="RENT",
        individual_name="ZOE MEMBER",
        trace_number="011000010000001",
        addenda=ReturnAddenda("R03", returned.trace_number or "", "01100001", None, ""),
    )
    change = AchEntry(
        transaction_code=TransactionCode.CHECKING_CREDIT_RETURN,
        receiving_dfi_routing="091000019",
        dfi_account_number="000123456789",
        amount=usd("0.00"),
        individual_id="RENT",
        individual_name="ZOE MEMBER",
        trace_number="011000010000002",
        addenda=NocAddenda("C01", corrected.trace_number or "", "01100001", "987654321"),
    )
    file = _odfi_file(_batch(back), _batch(change, sec=SecCode.COR, number=2))
    result = _import(own_us_books, file)
    assert (result.returned, result.corrected) == (1, 1)
    assert any("R03" in notice for notice in result.notices)
    assert _payment(own_us_books, returned_id).status is PaymentStatus.RETURNED
    with unit_of_work(own_us_books) as s:
        assert get_share_account(s, share_account_id=account_id, scope=STAFF).balance == usd(
            "490.00"  # 500 - 200 - 10, the 200 back
        )
        active = s.scalars(
            select(NominatedAccount).where(
                NominatedAccount.member_id == member_id,
                NominatedAccount.status == NominationStatus.ACTIVE,
            )
        ).one()
        assert active.account_number == "987654321"
    assert_books(own_us_books)


def test_a_credit_addressed_to_a_share_account_number_reaches_it(own_us_books: Engine) -> None:
    _, account_id, number = _member(own_us_books, "10.00")
    payroll = _odfi_file(
        _batch(
            AchEntry(
                transaction_code=TransactionCode.SAVINGS_CREDIT,
                receiving_dfi_routing="091000019",
                dfi_account_number=number,
                amount=usd("1234.56"),
                individual_id="EMP 42",
                individual_name="ZOE MEMBER",
                trace_number="011000010000009",
            )
        )
    )
    assert _import(own_us_books, payroll).credits_applied == 1
    with unit_of_work(own_us_books) as s:
        assert get_share_account(s, share_account_id=account_id, scope=STAFF).balance == usd(
            "1244.56"
        )


def test_a_file_for_another_institution_is_refused(own_us_books: Engine) -> None:
    _, _, number = _member(own_us_books, "10.00")
    entry = AchEntry(
        transaction_code=TransactionCode.CHECKING_CREDIT,
        receiving_dfi_routing="091000019",
        dfi_account_number=number,
        amount=usd("5.00"),
        individual_id="X",
        individual_name="ZOE MEMBER",
        trace_number="011000010000003",
    )
    elsewhere = write_ach_file(
        AchFile(
            immediate_destination="011000015",
            immediate_origin=" 011000015",
            immediate_destination_name="ANOTHER CU",
            immediate_origin_name="ODFI",
            created_at=dt.datetime(2026, 11, 25, 6, 0),
            file_id_modifier="C",
            batches=(_batch(entry),),
        )
    )
    with pytest.raises(FileForAnotherAccount):
        _import(own_us_books, elsewhere)


def _notice_of_change(engine: Engine, code: str, corrected: str) -> tuple[int, NominatedAccount]:
    member_id, account_id, _ = _member(engine, "100.00")
    payment_id = _pay(engine, account_id, "10.00")
    with unit_of_work(engine) as s:
        produce_outbound_file(
            s,
            config=CONFIG,
            actor="user:m",
            business_date=TODAY,
            created_at=dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC),
        )
    trace = _payment(engine, payment_id).trace_number or ""
    change = AchEntry(
        transaction_code=TransactionCode.CHECKING_CREDIT_RETURN,
        receiving_dfi_routing="091000019",
        dfi_account_number="000123456789",
        amount=usd("0.00"),
        individual_id="RENT",
        individual_name="ZOE MEMBER",
        trace_number="011000010000004",
        addenda=NocAddenda(code, trace, "01100001", corrected),
    )
    assert _import(engine, _odfi_file(_batch(change, sec=SecCode.COR))).corrected == 1
    with unit_of_work(engine) as s:
        active = s.scalars(
            select(NominatedAccount).where(
                NominatedAccount.member_id == member_id,
                NominatedAccount.status == NominationStatus.ACTIVE,
            )
        ).one()
        s.expunge(active)
    return member_id, active


def test_a_change_of_transaction_code_makes_the_account_savings(own_us_books: Engine) -> None:
    _, active = _notice_of_change(own_us_books, "C05", "32")
    assert (active.account_number, active.account_kind) == ("000123456789", "savings")


def test_a_change_of_all_three_is_applied_field_by_field(own_us_books: Engine) -> None:
    corrected = "026009593" + "55512345".ljust(17) + "32"
    _, active = _notice_of_change(own_us_books, "C07", corrected)
    assert (active.bank_id, active.account_number, active.account_kind) == (
        "026009593",
        "55512345",
        "savings",
    )
