"""Two small files checked by hand: the expected text is built here field by field from
NACHA's layouts (positions in the comments), apart from the code under test."""

from __future__ import annotations

from creditunion.payments.nacha.reader import read_ach_file
from creditunion.payments.nacha.writer import write_ach_file
from tests.unit.payments.nacha.builders import payout_file, returns_file

NINES = "9" * 94


def _record(*fields: str) -> str:
    record = "".join(fields)
    assert len(record) == 94, (len(record), record)
    return record


PAYOUT_RECORDS = [
    _record(
        "1",  # 01 record type
        "01",  # 02-03 priority code
        " 091000019",  # 04-13 immediate destination: a blank, then the routing number
        " 091000019",  # 14-23 immediate origin
        "261205",  # 24-29 file creation date YYMMDD
        "0930",  # 30-33 file creation time HHMM
        "A",  # 34 file id modifier
        "094",  # 35-37 record size
        "10",  # 38-39 blocking factor
        "1",  # 40 format code
        "FEDERAL RESERVE BANK   ",  # 41-63 immediate destination name
        "FIRST CU               ",  # 64-86 immediate origin name
        "        ",  # 87-94 reference code
    ),
    _record(
        "5",  # 01 record type
        "200",  # 02-04 service class: mixed debits and credits
        "FIRST CU        ",  # 05-20 company name
        " " * 20,  # 21-40 company discretionary data
        "1234567890",  # 41-50 company identification
        "PPD",  # 51-53 standard entry class
        "PAYOUT    ",  # 54-63 company entry description
        "      ",  # 64-69 company descriptive date
        "261207",  # 70-75 effective entry date
        "   ",  # 76-78 settlement date, the ACH operator's
        "1",  # 79 originator status code
        "09100001",  # 80-87 originating DFI
        "0000001",  # 88-94 batch number
    ),
    _record(
        "6",  # 01 record type
        "22",  # 02-03 transaction code: checking credit
        "01100001",  # 04-11 receiving DFI identification
        "5",  # 12 check digit
        "000123456789     ",  # 13-29 DFI account number
        "0000012540",  # 30-39 amount in cents
        "M1001          ",  # 40-54 individual identification number
        "JANE Q MEMBER         ",  # 55-76 individual name
        "  ",  # 77-78 discretionary data
        "0",  # 79 addenda record indicator
        "091000010000001",  # 80-94 trace number
    ),
    _record(
        "6",
        "37",  # savings debit
        "02100002",
        "1",
        "98765            ",
        "0000001000",
        " " * 15,
        "JOHN O'BRIEN-SMITH    ",
        "  ",
        "0",
        "091000010000002",
    ),
    _record(
        "8",  # 01 record type
        "200",  # 02-04 service class
        "000002",  # 05-10 entry/addenda count
        "0003200003",  # 11-20 entry hash: 01100001 + 02100002
        "000000001000",  # 21-32 total debit: 10.00
        "000000012540",  # 33-44 total credit: 125.40
        "1234567890",  # 45-54 company identification
        " " * 19,  # 55-73 message authentication code
        " " * 6,  # 74-79 reserved
        "09100001",  # 80-87 originating DFI
        "0000001",  # 88-94 batch number
    ),
    _record(
        "9",  # 01 record type
        "000001",  # 02-07 batch count
        "000001",  # 08-13 block count
        "00000002",  # 14-21 entry/addenda count
        "0003200003",  # 22-31 entry hash
        "000000001000",  # 32-43 total debit
        "000000012540",  # 44-55 total credit
        " " * 39,  # 56-94 reserved
    ),
    *[NINES] * 4,
]

RETURNS_RECORDS = [
    _record(
        "1",
        "01",
        " 091000019",
        " 091000019",
        "261208",
        "2359",
        "1",
        "094",
        "10",
        "1",
        "FIRST CU               ",
        "FEDERAL RESERVE BANK   ",
        " " * 8,
    ),
    _record(
        "5",
        "220",
        "FIRST CU        ",
        " " * 20,
        "1234567890",
        "PPD",
        "PAYOUT    ",
        " " * 6,
        "261207",
        "   ",
        "1",
        "01100001",
        "0000001",
    ),
    _record(
        "6",
        "21",  # return of a checking credit
        "09100001",
        "9",
        "000123456789     ",
        "0000012540",
        "M1001          ",
        "JANE Q MEMBER         ",
        "  ",
        "1",  # an addenda follows
        "011000010000017",
    ),
    _record(
        "7",  # 01 record type
        "99",  # 02-03 addenda type: return
        "R03",  # 04-06 return reason code
        "091000010000001",  # 07-21 original entry trace number
        "      ",  # 22-27 date of death
        "01100001",  # 28-35 original receiving DFI
        "NO SUCH ACCOUNT".ljust(44),  # 36-79 addenda information
        "011000010000017",  # 80-94 trace number: the return entry's
    ),
    _record(
        "8",
        "220",
        "000002",
        "0009100001",
        "0" * 12,
        "000000012540",
        "1234567890",
        " " * 19,
        " " * 6,
        "01100001",
        "0000001",
    ),
    _record(
        "5",
        "225",
        "FIRST CU        ",
        " " * 20,
        "1234567890",
        "COR",
        "PAYOUT    ",
        " " * 6,
        "261207",
        "   ",
        "1",
        "02100002",
        "0000002",
    ),
    _record(
        "6",
        "36",
        "09100001",
        "9",
        "98765            ",
        "0000000000",
        " " * 15,
        "JOHN O'BRIEN-SMITH    ",
        "  ",
        "1",
        "021000020000004",
    ),
    _record(
        "7",  # 01 record type
        "98",  # 02-03 addenda type: notification of change
        "C01",  # 04-06 change code
        "091000010000002",  # 07-21 original entry trace number
        " " * 6,  # 22-27 reserved
        "02100002",  # 28-35 original receiving DFI
        "987650".ljust(29),  # 36-64 corrected data
        " " * 15,  # 65-79 reserved
        "021000020000004",  # 80-94 trace number
    ),
    _record(
        "8",
        "225",
        "000002",
        "0009100001",
        "0" * 12,
        "0" * 12,
        "1234567890",
        " " * 19,
        " " * 6,
        "02100002",
        "0000002",
    ),
    _record("9", "000002", "000001", "00000004", "0018200002", "0" * 12, "000000012540", " " * 39),
]


def _text(records: list[str]) -> bytes:
    return "".join(record + "\n" for record in records).encode("ascii")


def test_a_payout_file_is_written_as_checked_by_hand() -> None:
    assert write_ach_file(payout_file()).decode("ascii").splitlines() == PAYOUT_RECORDS
    assert write_ach_file(payout_file()) == _text(PAYOUT_RECORDS)


def test_the_payout_file_checked_by_hand_reads_back() -> None:
    assert read_ach_file(_text(PAYOUT_RECORDS)) == payout_file()


def test_a_returns_file_checked_by_hand_reads_and_writes() -> None:
    # Ten records exactly: one block, no padding.
    assert read_ach_file(_text(RETURNS_RECORDS)) == returns_file()
    assert write_ach_file(returns_file()) == _text(RETURNS_RECORDS)


def test_carriage_returns_before_the_newlines_are_read_too() -> None:
    crlf = _text(PAYOUT_RECORDS).replace(b"\n", b"\r\n")
    assert read_ach_file(crlf) == payout_file()


def test_the_last_newline_may_be_missing() -> None:
    assert read_ach_file(_text(PAYOUT_RECORDS).rstrip(b"\n")) == payout_file()
