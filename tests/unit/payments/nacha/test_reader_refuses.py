"""Hostile and broken input: each refused with `NachaInvalid` naming the record at fault."""

from __future__ import annotations

import pytest

from creditunion.errors import Refused
from creditunion.payments.nacha.reader import FILE_BYTES_MAX, read_ach_file
from creditunion.payments.nacha.records import NachaInvalid
from creditunion.payments.nacha.writer import write_ach_file
from tests.unit.payments.nacha.builders import payout_file, returns_file

# The payout file's records: 1 header, 2 batch header, 3-4 entries, 5 batch control,
# 6 file control, 7-10 padding. The returns file's: 1, then 2-5 a batch with a return
# (3 entry, 4 addenda), 6-9 a COR batch (7 entry, 8 addenda), 10 file control.


def _records(file: str = "payout") -> list[str]:
    data = write_ach_file(payout_file() if file == "payout" else returns_file())
    return data.decode("ascii").split("\n")[:-1]


def _bytes(records: list[str]) -> bytes:
    return "".join(record + "\n" for record in records).encode("ascii")


def _replace(records: list[str], number: int, start: int, text: str) -> list[str]:
    """`text` over record `number` (1-based) from position `start` (1-based, as NACHA's)."""
    changed = list(records)
    record = changed[number - 1]
    changed[number - 1] = record[: start - 1] + text + record[start - 1 + len(text) :]
    return changed


def _refused(data: bytes) -> NachaInvalid:
    with pytest.raises(NachaInvalid) as refused:
        read_ach_file(data)
    return refused.value


def test_the_untouched_files_read() -> None:
    assert read_ach_file(_bytes(_records())) == payout_file()
    assert read_ach_file(_bytes(_records("returns"))) == returns_file()


def test_a_refusal_is_a_domain_refusal() -> None:
    assert issubclass(NachaInvalid, Refused)


class TestTamperedControls:
    def test_a_batch_controls_total_credit(self) -> None:
        error = _refused(_bytes(_replace(_records(), 5, 33, "000000012541")))
        assert error.record == 5
        assert str(error) == (
            "record 5: the batch control's total credit is 12541, its entries make 12540"
        )

    def test_a_batch_controls_total_debit(self) -> None:
        error = _refused(_bytes(_replace(_records(), 5, 21, "000000000999")))
        assert (error.record, error.reason) == (
            5,
            "the batch control's total debit is 999, its entries make 1000",
        )

    def test_a_batch_controls_entry_hash(self) -> None:
        error = _refused(_bytes(_replace(_records(), 5, 11, "0003200004")))
        assert (error.record, error.reason) == (
            5,
            "the batch control's entry hash is 3200004, its entries make 3200003",
        )

    def test_a_batch_controls_count(self) -> None:
        error = _refused(_bytes(_replace(_records(), 5, 5, "000003")))
        assert error.record == 5
        assert "entry/addenda count is 3, its entries make 2" in error.reason

    @pytest.mark.parametrize(
        ("start", "text", "name"),
        [
            (2, "220", "service class code"),
            (45, "1234567891", "company id"),
            (80, "09100002", "originating DFI"),
            (88, "0000002", "batch number"),
        ],
    )
    def test_a_batch_control_that_is_not_its_headers(
        self, start: int, text: str, name: str
    ) -> None:
        error = _refused(_bytes(_replace(_records(), 5, start, text)))
        assert (error.record, error.reason) == (
            5,
            f"the batch control's {name} is not its header's",
        )

    @pytest.mark.parametrize(
        ("start", "text", "reason"),
        [
            (
                22,
                "0003200013",
                "the file control's entry hash is 3200013, its entries make 3200003",
            ),
            (
                44,
                "000000012539",
                "the file control's total credit is 12539, its entries make 12540",
            ),
            (32, "000000000000", "the file control's total debit is 0, its entries make 1000"),
            (14, "00000001", "the file control's entry/addenda count is 1, its entries make 2"),
            (2, "000002", "the batch count is 2, not 1"),
            (8, "000002", "the block count is 2, not 1"),
        ],
    )
    def test_a_file_control(self, start: int, text: str, reason: str) -> None:
        error = _refused(_bytes(_replace(_records(), 6, start, text)))
        assert (error.record, error.reason) == (6, reason)

    def test_an_entry_amount_changed_with_no_control_to_match(self) -> None:
        error = _refused(_bytes(_replace(_records(), 3, 30, "0000012541")))
        assert error.record == 5


class TestMalformedRecords:
    @pytest.mark.parametrize("length", [93, 95, 0, 188])
    def test_a_record_not_of_94_characters(self, length: int) -> None:
        records = _records()
        records[2] = (records[2] * 2)[:length]
        error = _refused(_bytes(records))
        assert str(error) == f"record 3: {length} characters, not 94"

    def test_a_stray_record_type(self) -> None:
        error = _refused(_bytes(_replace(_records(), 4, 1, "4")))
        assert str(error) == "record 4: unknown record type '4'"

    @pytest.mark.parametrize(
        ("number", "record_type", "reason"),
        [
            (1, "5", "a batch header (5) where a file header (1) is expected"),
            (
                2,
                "6",
                "an entry detail (6) where a batch header (5) or a file control (9) is expected",
            ),
            (
                4,
                "1",
                "a file header (1) where an entry detail (6) or a batch control (8) is expected",
            ),
            (
                4,
                "9",
                "a file control (9) where an entry detail (6) or a batch control (8) is expected",
            ),
            (6, "5", "a record after the file control that is not padding (all nines)"),
        ],
    )
    def test_records_out_of_order(self, number: int, record_type: str, reason: str) -> None:
        records = _records()
        if number == 6:  # a batch header after the file control
            records.insert(6, records[1])
            records.pop()
            number = 7
        else:
            records = _replace(records, number, 1, record_type)
        error = _refused(_bytes(records))
        assert (error.record, error.reason) == (number, reason)

    def test_the_batch_control_before_an_entry(self) -> None:
        records = _records()
        records[3], records[4] = records[4], records[3]
        error = _refused(_bytes(records))
        # The batch closes with one entry, and its control counts two.
        assert (error.record, error.reason) == (
            4,
            "the batch control's entry/addenda count is 2, its entries make 1",
        )

    def test_a_return_addenda_without_its_entry(self) -> None:
        records = _records("returns")
        addenda = records[3]
        payout = _records()
        payout.insert(4, addenda)  # after the payout's second entry, which announces none
        payout.pop()  # one padding record fewer keeps ten
        error = _refused(_bytes(payout))
        assert (error.record, error.reason) == (5, "an addenda record no entry announces")

    def test_an_entry_announcing_an_addenda_that_is_not_there(self) -> None:
        records = _records("returns")
        del records[3]
        error = _refused(_bytes([*records, "9" * 94]))
        assert (error.record, error.reason) == (
            4,
            "a batch control (8) where the addenda (7) its entry announces is expected",
        )

    def test_an_addenda_for_another_entry(self) -> None:
        error = _refused(_bytes(_replace(_records("returns"), 4, 80, "011000010000018")))
        assert (error.record, error.reason) == (4, "the addenda's trace number is not its entry's")

    def test_an_addenda_type_not_read(self) -> None:
        error = _refused(_bytes(_replace(_records("returns"), 4, 2, "05")))
        assert error.record == 4
        assert error.reason.startswith("addenda type '05' is not one this reads")

    @pytest.mark.parametrize("code", ["R61", "R99", "C01", "X01"])
    def test_a_return_reason_not_read(self, code: str) -> None:
        error = _refused(_bytes(_replace(_records("returns"), 4, 4, code)))
        assert (error.record, error.reason) == (
            4,
            "return_reason_code is not a return reason code this reads",
        )

    @pytest.mark.parametrize("code", ["C61", "C99", "R01"])
    def test_a_change_code_not_read(self, code: str) -> None:
        error = _refused(_bytes(_replace(_records("returns"), 8, 4, code)))
        assert (error.record, error.reason) == (8, "change_code is not a change code this reads")

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("23", "transaction code 23 is a prenote, which this does not read"),
            ("38", "transaction code 38 is a prenote, which this does not read"),
            ("24", "transaction code 24 is not one this reads"),
            ("42", "transaction code 42 is not one this reads"),
        ],
    )
    def test_a_transaction_code_not_read(self, code: str, reason: str) -> None:
        error = _refused(_bytes(_replace(_records(), 3, 2, code)))
        assert (error.record, error.reason) == (3, reason)

    def test_a_non_digit_in_a_numeric_field(self) -> None:
        error = _refused(_bytes(_replace(_records(), 3, 30, "00000125 0")))
        assert (error.record, error.reason) == (3, "the entry detail's amount is not all digits")

    @pytest.mark.parametrize(
        ("start", "text", "field"),
        [(2, "02", "priority_code"), (35, "095", "record_size"), (38, "20", "blocking_factor")],
    )
    def test_a_file_header_constant(self, start: int, text: str, field: str) -> None:
        error = _refused(_bytes(_replace(_records(), 1, start, text)))
        assert error.record == 1
        assert error.reason.startswith(f"the file header's {field} is {text!r}")

    def test_a_bad_check_digit(self) -> None:
        error = _refused(_bytes(_replace(_records(), 3, 12, "6")))
        assert (error.record, error.reason) == (
            3,
            "receiving_dfi_routing fails the ABA check digit",
        )

    def test_an_impossible_date(self) -> None:
        error = _refused(_bytes(_replace(_records(), 2, 70, "261301")))
        assert (error.record, error.reason) == (2, "effective_entry_date is not a date (YYMMDD)")

    def test_an_impossible_time(self) -> None:
        error = _refused(_bytes(_replace(_records(), 1, 30, "2460")))
        assert (error.record, error.reason) == (1, "file_creation_time is not a time (HHMM)")

    def test_a_sec_code_not_read(self) -> None:
        error = _refused(_bytes(_replace(_records(), 2, 51, "WEB")))
        assert (error.record, error.reason) == (
            2,
            "SEC code 'WEB' is not one this reads (PPD, COR)",
        )


class TestTheWholeFile:
    def test_non_ascii(self) -> None:
        data = _bytes(_records()).replace(b"JANE", "JAN\u00c9".encode())
        error = _refused(data)
        assert (error.record, error.reason) == (3, "a byte that is not ASCII")

    @pytest.mark.parametrize("control", ["\t", "\x00", "\x7f", "\r"])
    def test_a_control_character(self, control: str) -> None:
        error = _refused(_bytes(_replace(_records(), 4, 60, control)))
        assert (error.record, error.reason) == (4, "a control character")

    def test_oversize(self) -> None:
        error = _refused(b"9" * (FILE_BYTES_MAX + 1))
        assert error.record is None
        assert str(error) == f"the file is larger than {FILE_BYTES_MAX} bytes"

    def test_empty(self) -> None:
        assert str(_refused(b"")) == "the file is empty"

    def test_records_not_a_multiple_of_ten(self) -> None:
        error = _refused(_bytes(_records()[:-1]))
        assert (error.record, error.reason) == (6, "the file has 9 records, not a multiple of 10")

    def test_a_block_of_padding_too_many(self) -> None:
        records = _records()
        error = _refused(_bytes(records + ["9" * 94] * 10))
        assert error.reason == "14 padding records fill more than the last block"

    def test_no_file_control(self) -> None:
        error = _refused(_bytes(_records()[:5]))
        assert str(error) == (
            "the file ends where a batch header (5) or a file control (9) is expected"
        )

    def test_no_batches(self) -> None:
        records = _records()
        records = [records[0], records[5][:1] + "0" * 54 + " " * 39, *["9" * 94] * 8]
        error = _refused(_bytes(records))
        assert (error.record, error.reason) == (1, "a file holds at least one batch")

    def test_a_destination_without_its_leading_blank(self) -> None:
        error = _refused(_bytes(_replace(_records(), 1, 4, "0")))
        assert (error.record, error.reason) == (
            1,
            "immediate_destination is not a blank and a routing number",
        )

    def test_trace_numbers_out_of_order(self) -> None:
        records = _records()
        records[2], records[3] = records[3], records[2]
        error = _refused(_bytes(records))
        assert (error.record, error.reason) == (2, "trace numbers are not in ascending order")
