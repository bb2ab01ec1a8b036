"""What an `AchFile` refuses to hold, and what the writer does with names and letters."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from creditunion.payments.nacha import file as file_module
from creditunion.payments.nacha.file import (
    NocAddenda,
    ReturnAddenda,
    SecCode,
    ServiceClass,
)
from creditunion.payments.nacha.reader import read_ach_file
from creditunion.payments.nacha.records import NachaInvalid
from creditunion.payments.nacha.writer import write_ach_file
from ledger.money import Money
from tests.unit.payments.nacha.builders import payout_file, returns_file, usd

PAYOUT = payout_file()
BATCH = PAYOUT.batches[0]
CREDIT, DEBIT = BATCH.entries
RETURN = returns_file().batches[0].entries[0]
NOTICE = returns_file().batches[1].entries[0]


def _refused(build: object, **changes: object) -> str:
    with pytest.raises(NachaInvalid) as refused:
        dataclasses.replace(build, **changes)  # type: ignore[type-var]
    return str(refused.value)


class TestEntries:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            (
                {"receiving_dfi_routing": "011000016"},
                "receiving_dfi_routing fails the ABA check digit",
            ),
            ({"receiving_dfi_routing": "01100001"}, "receiving_dfi_routing must be 9 digits"),
            ({"dfi_account_number": ""}, "dfi_account_number is required"),
            ({"dfi_account_number": "1" * 18}, "dfi_account_number is longer than 17 characters"),
            ({"dfi_account_number": " 123"}, "dfi_account_number starts with a space"),
            ({"dfi_account_number": "123 "}, "dfi_account_number ends with a space"),
            (
                {"dfi_account_number": "12\u00e93"},
                "dfi_account_number has a character NACHA does not allow",
            ),
            ({"amount": Money("1.00", "GBP")}, "amount must be in USD"),
            ({"amount": usd("-1.00")}, "amount must be from 0.00 to 99,999,999.99"),
            ({"amount": usd("100000000.00")}, "amount must be from 0.00 to 99,999,999.99"),
            ({"amount": usd("0.00")}, "a live entry's amount must be more than zero"),
            ({"individual_id": "1" * 16}, "individual_id is longer than 15 characters"),
            ({"individual_name": ""}, "individual_name is required"),
            (
                {"individual_name": "ZO\u00cb"},
                "individual_name has a character NACHA does not allow",
            ),
            (
                {"individual_name": "TAB\tNAME"},
                "individual_name has a character NACHA does not allow",
            ),
            ({"trace_number": "09100001000001"}, "trace_number must be 15 digits"),
            ({"addenda": RETURN.addenda}, "only returns and notifications of change carry addenda"),
        ],
    )
    def test_refusals(self, changes: dict[str, object], message: str) -> None:
        assert _refused(CREDIT, **changes) == message

    def test_a_return_needs_its_addenda(self) -> None:
        assert (
            _refused(RETURN, addenda=None) == "transaction code 21 needs a return or change addenda"
        )

    def test_a_notification_of_change_moves_no_money(self) -> None:
        assert _refused(NOTICE, amount=usd("0.01")) == "a notification of change has a zero amount"

    def test_a_returned_prenote_has_a_zero_amount(self) -> None:
        assert dataclasses.replace(RETURN, amount=usd("0")).amount.is_zero()

    def test_the_largest_amount_fits(self) -> None:
        entry = dataclasses.replace(CREDIT, amount=usd("99999999.99"))
        assert entry.amount.minor_units == 9_999_999_999


class TestAddenda:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            (
                {"return_reason_code": "R1"},
                "return_reason_code is not a return reason code this reads",
            ),
            ({"original_trace_number": "1"}, "original_trace_number must be 15 digits"),
            ({"original_receiving_dfi": "011000015"}, "original_receiving_dfi must be 8 digits"),
            ({"addenda_information": "X" * 45}, "addenda_information is longer than 44 characters"),
            (
                {"date_of_death": dt.date(1999, 12, 31)},
                "date_of_death must be in the years 2000 to 2099",
            ),
        ],
    )
    def test_return_refusals(self, changes: dict[str, object], message: str) -> None:
        assert isinstance(RETURN.addenda, ReturnAddenda)
        assert _refused(RETURN.addenda, **changes) == message

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"change_code": "C08"}, "change_code is not a change code this reads"),
            ({"corrected_data": ""}, "corrected_data is required"),
            ({"corrected_data": "1" * 30}, "corrected_data is longer than 29 characters"),
        ],
    )
    def test_notice_refusals(self, changes: dict[str, object], message: str) -> None:
        assert isinstance(NOTICE.addenda, NocAddenda)
        assert _refused(NOTICE.addenda, **changes) == message


class TestBatches:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            (
                {"service_class_code": ServiceClass.CREDITS_ONLY},
                "a credits-only batch (220) holds a debit",
            ),
            (
                {"service_class_code": ServiceClass.DEBITS_ONLY},
                "a debits-only batch (225) holds a credit",
            ),
            (
                {"sec_code": SecCode.COR},
                "notifications of change, and only they, are in COR batches",
            ),
            ({"company_id": "12345678901"}, "company_id is longer than 10 characters"),
            ({"company_id": ""}, "company_id is required"),
            (
                {"entry_description": "PAYOUT TO ME"},
                "entry_description is longer than 10 characters",
            ),
            (
                {"effective_entry_date": dt.date(2100, 1, 1)},
                "effective_entry_date must be in the years 2000 to 2099",
            ),
            ({"originating_dfi": "091000019"}, "originating_dfi must be 8 digits"),
            (
                {"originating_dfi": "09100002"},
                "a trace number does not start with the originating DFI",
            ),
            ({"batch_number": 0}, "batch_number must be from 1 to 9999999"),
            ({"batch_number": 10_000_000}, "batch_number must be from 1 to 9999999"),
            ({"entries": ()}, "a batch holds at least one entry"),
            ({"entries": (DEBIT, CREDIT)}, "trace numbers are not in ascending order"),
            ({"entries": (CREDIT, CREDIT)}, "trace numbers are not in ascending order"),
        ],
    )
    def test_refusals(self, changes: dict[str, object], message: str) -> None:
        assert _refused(BATCH, **changes) == message

    def test_a_ppd_batch_holds_no_notification_of_change(self) -> None:
        notice = dataclasses.replace(NOTICE, trace_number="091000010000009")
        assert _refused(BATCH, entries=(CREDIT, notice)) == (
            "notifications of change, and only they, are in COR batches"
        )

    def test_totals_that_do_not_fit_twelve_digits_are_refused(self) -> None:
        largest = dataclasses.replace(CREDIT, amount=usd("99999999.99"))
        entries = tuple(
            dataclasses.replace(largest, trace_number=f"09100001{n:07d}") for n in range(1, 102)
        )
        assert dataclasses.replace(BATCH, entries=entries[:100]).totals().credit == usd(
            "9999999999.00"
        )
        assert _refused(BATCH, entries=entries) == (
            "the batch's total credit does not fit NACHA's 12 digits"
        )


class TestFiles:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            (
                {"immediate_destination": "091000018"},
                "immediate_destination fails the ABA check digit",
            ),
            (
                {"immediate_origin": "091000019"},
                "immediate_origin must be 10 digits, capitals or spaces",
            ),
            (
                {"immediate_origin": " " * 10},
                "immediate_origin must be 10 digits, capitals or spaces",
            ),
            (
                {"immediate_origin": "abcdefghij"},
                "immediate_origin must be 10 digits, capitals or spaces",
            ),
            (
                {"created_at": dt.datetime(2026, 12, 5, 9, 30, 1)},
                "created_at must be local time at a whole minute, no time zone",
            ),
            (
                {"created_at": dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)},
                "created_at must be local time at a whole minute, no time zone",
            ),
            ({"file_id_modifier": "a"}, "file_id_modifier must be one capital letter or digit"),
            ({"file_id_modifier": "AB"}, "file_id_modifier must be one capital letter or digit"),
            ({"batches": ()}, "a file holds at least one batch"),
            ({"batches": (BATCH, BATCH)}, "batch numbers are not in ascending order"),
        ],
    )
    def test_refusals(self, changes: dict[str, object], message: str) -> None:
        assert _refused(PAYOUT, **changes) == message

    def test_a_file_of_more_records_than_the_limit_is_refused(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Header, batch header, two entries, batch control, file control.
        monkeypatch.setattr(file_module, "FILE_RECORDS_MAX", 5)
        assert _refused(PAYOUT, file_id_modifier="B") == "a file holds at most 5 records"
        monkeypatch.setattr(file_module, "FILE_RECORDS_MAX", 6)
        assert dataclasses.replace(PAYOUT, file_id_modifier="B").record_count() == 6


class TestWriting:
    def test_names_are_cut_to_their_field_and_letters_upper_cased(self) -> None:
        entry = dataclasses.replace(
            CREDIT,
            individual_name="Maximilian Alexander Featherstonehaugh",
            dfi_account_number="ab12",
            individual_id="m-1001",
        )
        batch = dataclasses.replace(
            BATCH, company_name="First Community Credit Union", entries=(entry,)
        )
        file = dataclasses.replace(
            PAYOUT,
            immediate_destination_name="Federal Reserve Bank of Atlanta",
            immediate_origin_name="First Community Credit Union",
            batches=(batch,),
        )
        records = write_ach_file(file).decode("ascii").splitlines()
        assert records[0][40:63] == "FEDERAL RESERVE BANK OF"
        assert records[0][63:86] == "FIRST COMMUNITY CREDIT "
        assert records[1][4:20] == "FIRST COMMUNITY "
        assert records[2][54:76] == "MAXIMILIAN ALEXANDER F"
        assert records[2][12:29] == "AB12             "
        assert records[2][39:54] == "M-1001         "
        read = read_ach_file(write_ach_file(file))
        assert read.batches[0].entries[0].individual_name == "MAXIMILIAN ALEXANDER F"
        assert (
            read.batches[0].company_name == "FIRST COMMUNITY"
        )  # the cut's trailing blank is padding
        assert read.immediate_origin_name == "FIRST COMMUNITY CREDIT"

    def test_the_entry_hash_keeps_its_last_ten_digits(self) -> None:
        # 99999999 (routing 999999992) 120 times is 11 999 999 880.
        entries = tuple(
            dataclasses.replace(
                CREDIT, receiving_dfi_routing="999999992", trace_number=f"09100001{n:07d}"
            )
            for n in range(1, 121)
        )
        file = dataclasses.replace(PAYOUT, batches=(dataclasses.replace(BATCH, entries=entries),))
        records = write_ach_file(file).decode("ascii").splitlines()
        assert records[122][10:20] == "1999999880"  # batch control
        assert records[123][21:31] == "1999999880"  # file control
        assert len(records) == 130 and int(records[123][7:13]) == 13
        assert read_ach_file(write_ach_file(file)) == file

    def test_a_file_of_exactly_ten_records_has_no_padding(self) -> None:
        data = write_ach_file(returns_file())
        assert data.count(b"\n") == 10
        assert b"9" * 94 not in data
