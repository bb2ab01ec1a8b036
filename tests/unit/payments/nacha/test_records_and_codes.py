from __future__ import annotations

import subprocess
import sys

import pytest

from creditunion.payments.nacha import records
from creditunion.payments.nacha.records import (
    BATCH_CONTROL,
    ENTRY_DETAIL,
    FILE_CONTROL,
    FILE_HEADER,
    Field,
    Kind,
    Layout,
    NachaInvalid,
    format_record,
)
from creditunion.payments.nacha.return_codes import CHANGE_CODES, RETURN_CODES, describe

LAYOUTS = [
    records.FILE_HEADER,
    records.BATCH_HEADER,
    records.ENTRY_DETAIL,
    records.RETURN_ADDENDA,
    records.NOC_ADDENDA,
    records.BATCH_CONTROL,
    records.FILE_CONTROL,
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_each_layout_covers_94_characters_once(layout: Layout) -> None:
    covered = [i for field in layout.fields for i in range(field.start, field.start + field.length)]
    assert covered == list(range(1, 95))


def test_a_layout_with_a_gap_is_a_bug() -> None:
    with pytest.raises(ValueError, match="starts at 3"):
        Layout(
            "broken",
            (
                Field("record_type_code", 1, 1, Kind.NUMERIC, "1"),
                Field("x", 3, 92, Kind.ALPHANUMERIC),
            ),
        )


@pytest.mark.parametrize(
    ("layout", "field", "start", "length"),
    [
        (FILE_HEADER, "immediate_destination", 4, 10),
        (FILE_HEADER, "file_id_modifier", 34, 1),
        (ENTRY_DETAIL, "dfi_account_number", 13, 17),
        (ENTRY_DETAIL, "amount", 30, 10),
        (ENTRY_DETAIL, "trace_number", 80, 15),
        (BATCH_CONTROL, "entry_hash", 11, 10),
        (FILE_CONTROL, "block_count", 8, 6),
    ],
)
def test_fields_stand_where_nacha_puts_them(
    layout: Layout, field: str, start: int, length: int
) -> None:
    (found,) = [f for f in layout.fields if f.name == field]
    assert (found.start, found.length) == (start, length)


def _file_control(**changes: str | int) -> dict[str, str | int]:
    values: dict[str, str | int] = {
        "batch_count": 1,
        "block_count": 1,
        "entry_addenda_count": 2,
        "entry_hash": 3200003,
        "total_debit": 0,
        "total_credit": "12540",
        "reserved": "",
    }
    return values | changes


def test_numeric_fields_are_zero_padded_and_alphanumeric_ones_upper_cased_and_blank_padded() -> (
    None
):
    record = format_record(FILE_CONTROL, _file_control(reserved="note"))
    assert record == "9000001000001000000020003200003000000000000000000012540" + "NOTE".ljust(39)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_count": 1_000_000}, "batch_count does not fit in 6 digits"),
        ({"reserved": "x" * 40}, "reserved is longer than 39 characters"),
        ({"reserved": "caf\u00e9"}, "reserved has a character NACHA does not allow"),
    ],
)
def test_values_that_do_not_fit_are_refused_not_cut(
    changes: dict[str, str | int], message: str
) -> None:
    with pytest.raises(NachaInvalid, match=f"^{message}$"):
        format_record(FILE_CONTROL, _file_control(**changes))


@pytest.mark.parametrize(
    "changes", [{"batch_count": -1}, {"batch_count": "1 "}, {"entry_hash": ""}]
)
def test_a_numeric_field_given_anything_but_digits_is_a_bug(changes: dict[str, str | int]) -> None:
    with pytest.raises(ValueError, match="is not a number of digits"):
        format_record(FILE_CONTROL, _file_control(**changes))


def test_a_field_missing_or_unknown_is_a_bug() -> None:
    values = _file_control()
    del values["reserved"]
    with pytest.raises(KeyError):
        format_record(FILE_CONTROL, values)
    with pytest.raises(ValueError, match="has no field"):
        format_record(FILE_CONTROL, _file_control(colour="red"))


class TestCodes:
    @pytest.mark.parametrize(
        ("code", "shown"),
        [
            ("R01", "R01 insufficient funds"),
            ("R02", "R02 account closed"),
            ("R03", "R03 no account or unable to locate account"),
            ("R04", "R04 invalid account number structure"),
            ("R08", "R08 payment stopped"),
            ("R10", "R10 customer advises originator is not known or not authorized"),
            ("R16", "R16 account frozen or entry returned per OFAC instruction"),
            ("R20", "R20 non-transaction account"),
            ("C01", "C01 incorrect DFI account number"),
            ("C02", "C02 incorrect routing number"),
            ("C03", "C03 incorrect routing number and incorrect DFI account number"),
            ("C05", "C05 incorrect transaction code"),
            ("C06", "C06 incorrect DFI account number and incorrect transaction code"),
            ("C07", "C07 incorrect routing number, DFI account number and transaction code"),
        ],
    )
    def test_described_for_people(self, code: str, shown: str) -> None:
        assert describe(code) == shown

    def test_every_standard_return_code_and_no_dishonored_one(self) -> None:
        assert list(RETURN_CODES) == [f"R{n:02d}" for n in range(1, 40)]
        assert list(CHANGE_CODES) == ["C01", "C02", "C03", "C04", "C05", "C06", "C07", "C09"]

    @pytest.mark.parametrize("code", ["R61", "C61", "R00", "X01"])
    def test_an_unlisted_code_is_a_bug_to_describe(self, code: str) -> None:
        with pytest.raises(KeyError):
            describe(code)


def test_the_three_modules_are_pure() -> None:
    """No database: importing them loads neither SQLAlchemy nor a driver."""
    modules = [
        "creditunion.payments.bank_accounts",
        "creditunion.payments.settlement_calendar",
        "creditunion.payments.nacha.reader",
        "creditunion.payments.nacha.writer",
    ]
    code = "\n".join(
        [
            *(f"import {m}" for m in modules),
            "import sys",
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'psycopg'}))",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
