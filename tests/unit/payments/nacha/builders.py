"""Valid ACH files for the tests: two small ones by hand and Hypothesis strategies."""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import strategies as st

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
from creditunion.payments.nacha.return_codes import CHANGE_CODES, RETURN_CODES
from ledger.money import Money

ODFI = "09100001"  # the ODFI's routing number less its check digit (091000019)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def payout_file() -> AchFile:
    """A credit to a checking account and a debit to a savings account."""
    credit = AchEntry(
        transaction_code=TransactionCode.CHECKING_CREDIT,
        receiving_dfi_routing="011000015",
        dfi_account_number="000123456789",
        amount=usd("125.40"),
        individual_id="M1001",
        individual_name="JANE Q MEMBER",
        trace_number="091000010000001",
    )
    debit = AchEntry(
        transaction_code=TransactionCode.SAVINGS_DEBIT,
        receiving_dfi_routing="021000021",
        dfi_account_number="98765",
        amount=usd("10.00"),
        individual_id="",
        individual_name="JOHN O'BRIEN-SMITH",
        trace_number="091000010000002",
    )
    batch = AchBatch(
        service_class_code=ServiceClass.MIXED,
        company_name="FIRST CU",
        company_id="1234567890",
        sec_code=SecCode.PPD,
        entry_description="PAYOUT",
        effective_entry_date=dt.date(2026, 12, 7),
        originating_dfi=ODFI,
        batch_number=1,
        entries=(credit, debit),
    )
    return AchFile(
        immediate_destination="091000019",
        immediate_origin=" 091000019",
        immediate_destination_name="FEDERAL RESERVE BANK",
        immediate_origin_name="FIRST CU",
        created_at=dt.datetime(2026, 12, 5, 9, 30),
        file_id_modifier="A",
        batches=(batch,),
    )


def returns_file() -> AchFile:
    """What the ODFI sends back: a credit returned R03, and a C01 notification of change."""
    returned = AchEntry(
        transaction_code=TransactionCode.CHECKING_CREDIT_RETURN,
        receiving_dfi_routing="091000019",
        dfi_account_number="000123456789",
        amount=usd("125.40"),
        individual_id="M1001",
        individual_name="JANE Q MEMBER",
        trace_number="011000010000017",
        addenda=ReturnAddenda(
            return_reason_code="R03",
            original_trace_number="091000010000001",
            original_receiving_dfi="01100001",
            date_of_death=None,
            addenda_information="NO SUCH ACCOUNT",
        ),
    )
    notice = AchEntry(
        transaction_code=TransactionCode.SAVINGS_DEBIT_RETURN,
        receiving_dfi_routing="091000019",
        dfi_account_number="98765",
        amount=usd("0.00"),
        individual_id="",
        individual_name="JOHN O'BRIEN-SMITH",
        trace_number="021000020000004",
        addenda=NocAddenda(
            change_code="C01",
            original_trace_number="091000010000002",
            original_receiving_dfi="02100002",
            corrected_data="987650",
        ),
    )
    return AchFile(
        immediate_destination="091000019",
        immediate_origin=" 091000019",
        immediate_destination_name="FIRST CU",
        immediate_origin_name="FEDERAL RESERVE BANK",
        created_at=dt.datetime(2026, 12, 8, 23, 59),
        file_id_modifier="1",
        batches=(
            AchBatch(
                service_class_code=ServiceClass.CREDITS_ONLY,
                company_name="FIRST CU",
                company_id="1234567890",
                sec_code=SecCode.PPD,
                entry_description="PAYOUT",
                effective_entry_date=dt.date(2026, 12, 7),
                originating_dfi="01100001",
                batch_number=1,
                entries=(returned,),
            ),
            AchBatch(
                service_class_code=ServiceClass.DEBITS_ONLY,
                company_name="FIRST CU",
                company_id="1234567890",
                sec_code=SecCode.COR,
                entry_description="PAYOUT",
                effective_entry_date=dt.date(2026, 12, 7),
                originating_dfi="02100002",
                batch_number=2,
                entries=(notice,),
            ),
        ),
    )


def with_check_digit(prefix: str) -> str:
    """The ABA check digit worked out here, apart from python-stdnum: weights 3, 7, 1."""
    weighted = sum(int(d) * w for d, w in zip(prefix, [3, 7, 1, 3, 7, 1, 3, 7], strict=True))
    return prefix + str(-weighted % 10)


# NACHA's characters (printable ASCII) less the lower case the writer would upper-case.
UPPER_TEXT = "".join(c for c in map(chr, range(0x20, 0x7F)) if c not in string.ascii_lowercase)


def text(max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    return (
        st.text(UPPER_TEXT, min_size=min_size, max_size=max_size)
        .map(lambda t: t.rstrip(" "))
        .filter(lambda t: len(t) >= min_size)
    )


digits = st.text("0123456789", min_size=8, max_size=8)
routings = digits.map(with_check_digit)
LIVE = [c for c in TransactionCode if not c.is_return_or_notice]
RETURNS = [c for c in TransactionCode if c.is_return_or_notice]


@st.composite
def return_addenda(draw: st.DrawFn) -> ReturnAddenda:
    return ReturnAddenda(
        return_reason_code=draw(st.sampled_from(sorted(RETURN_CODES))),
        original_trace_number=draw(st.text("0123456789", min_size=15, max_size=15)),
        original_receiving_dfi=draw(digits),
        date_of_death=draw(st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))),
        addenda_information=draw(text(44)),
    )


@st.composite
def noc_addenda(draw: st.DrawFn) -> NocAddenda:
    return NocAddenda(
        change_code=draw(st.sampled_from(sorted(CHANGE_CODES))),
        original_trace_number=draw(st.text("0123456789", min_size=15, max_size=15)),
        original_receiving_dfi=draw(digits),
        corrected_data=draw(text(29, min_size=1)),
    )


@st.composite
def entries(
    draw: st.DrawFn, trace_number: str, sec_code: SecCode, service_class: ServiceClass
) -> AchEntry:
    codes = RETURNS if sec_code is SecCode.COR else LIVE + RETURNS
    if service_class is not ServiceClass.MIXED:
        credits_only = service_class is ServiceClass.CREDITS_ONLY
        codes = [c for c in codes if c.is_credit is credits_only]
    code = draw(st.sampled_from(codes))
    addenda: ReturnAddenda | NocAddenda | None = None
    cents = draw(st.integers(1, 10**10 - 1))
    if sec_code is SecCode.COR:
        addenda, cents = draw(noc_addenda()), 0
    elif code.is_return_or_notice:
        addenda = draw(return_addenda())
        cents = draw(st.integers(0, 10**10 - 1))
    return AchEntry(
        transaction_code=code,
        receiving_dfi_routing=draw(routings),
        dfi_account_number=draw(text(17, min_size=1).filter(lambda t: not t.startswith(" "))),
        amount=Money.from_minor(cents, "USD"),
        individual_id=draw(text(15)),
        individual_name=draw(text(22, min_size=1)),
        trace_number=trace_number,
        addenda=addenda,
    )


@st.composite
def batches(draw: st.DrawFn, batch_number: int) -> AchBatch:
    sec_code = draw(st.sampled_from(SecCode))
    service_class = draw(st.sampled_from(ServiceClass))
    odfi = draw(digits)
    sequence = sorted(draw(st.sets(st.integers(0, 9_999_999), min_size=1, max_size=12)))
    return AchBatch(
        service_class_code=service_class,
        company_name=draw(text(16, min_size=1)),
        company_id=draw(text(10, min_size=1)),
        sec_code=sec_code,
        entry_description=draw(text(10, min_size=1)),
        effective_entry_date=draw(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))),
        originating_dfi=odfi,
        batch_number=batch_number,
        entries=tuple(draw(entries(f"{odfi}{n:07d}", sec_code, service_class)) for n in sequence),
    )


@st.composite
def ach_files(draw: st.DrawFn) -> AchFile:
    numbers = sorted(draw(st.sets(st.integers(1, 9_999_999), min_size=1, max_size=4)))
    return AchFile(
        immediate_destination=draw(routings),
        immediate_origin=draw(
            st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ", min_size=10, max_size=10).filter(
                str.strip
            )
        ),
        immediate_destination_name=draw(text(23)),
        immediate_origin_name=draw(text(23)),
        created_at=draw(
            st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31, 23, 59))
        ).replace(second=0, microsecond=0),
        file_id_modifier=draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
        batches=tuple(draw(batches(n)) for n in numbers),
    )
