"""The export writers on rows made in memory: exact amounts, RFC 4180, determinism."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.export.csv_format import csv_chunks, restore_text
from ledger.export.jsonl_format import jsonl_chunks
from ledger.export.report import (
    Column,
    ColumnKind,
    Part,
    Report,
    Row,
    Tally,
    debit_credit,
    minor_to_decimal,
    split_balance,
)
from ledger.export.xlsx_format import write_xlsx

COLUMNS = (
    Column("description"),
    Column("business_date", ColumnKind.DATE),
    Column("count", ColumnKind.INTEGER),
    Column("debit", ColumnKind.AMOUNT),
    Column("credit", ColumnKind.AMOUNT),
    Column("currency"),
)
DAY = dt.date(2026, 3, 2)
CUTOFF = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)


def _part(rows: list[Row]) -> Part:
    return Part("lines", COLUMNS, lambda: iter(rows), currency_column="currency")


def _bytes(chunks: Iterator[bytes]) -> bytes:
    return b"".join(chunks)


def test_minor_units_become_exact_decimals_at_the_currency_exponent() -> None:
    assert str(minor_to_decimal(1230, "GBP")) == "12.30"
    assert str(minor_to_decimal(7, "GBP")) == "0.07"
    assert str(minor_to_decimal(1230, "JPY")) == "1230"
    assert str(minor_to_decimal(1230, "BHD")) == "1.230"
    assert str(minor_to_decimal(-9223372036854775807, "GBP")) == "-92233720368547758.07"
    assert debit_credit(-5, "GBP") == (None, Decimal("0.05"))
    assert debit_credit(5, "GBP") == (Decimal("0.05"), None)
    assert split_balance(0, "GBP") == (Decimal("0.00"), Decimal("0.00"))
    assert split_balance(-250, "GBP") == (Decimal("0.00"), Decimal("2.50"))


text_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@settings(max_examples=200)
@given(st.lists(st.tuples(text_values, st.integers(-(10**15), 10**15)), min_size=1, max_size=20))
def test_csv_round_trips_any_text_and_amount(rows: list[tuple[str, int]]) -> None:
    made: list[Row] = [
        (text, DAY, n, *debit_credit(minor or 1, "GBP"), "GBP")
        for n, (text, minor) in enumerate(rows)
    ]
    raw = _bytes(csv_chunks(_part(made), iter(made)))

    parsed = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert parsed[0] == [c.name for c in COLUMNS]
    # Text that a spreadsheet would run as a formula is written with a leading quote
    # (OWASP's CSV-injection rule); taking that quote off gives back the exact text.
    assert [restore_text(r[0]) for r in parsed[1:]] == [text for text, _ in rows]
    assert [r[3] or r[4] for r in parsed[1:]] == [str(r[3] or r[4]) for r in made]
    # Records end in CRLF; any other line break is inside a quoted field.
    assert raw.endswith(b"\r\n")


def test_csv_streams_in_chunks() -> None:
    made: list[Row] = [("x" * 100, DAY, n, Decimal("1.00"), None, "GBP") for n in range(5_000)]
    chunks = list(csv_chunks(_part(made), iter(made)))
    assert len(chunks) > 5
    assert max(len(c) for c in chunks) < 70_000


def test_json_lines_carry_amounts_as_strings_and_no_floats() -> None:
    made: list[Row] = [
        ("é\n", DAY, 1, Decimal("0.07"), None, "GBP"),
        ("b", DAY, 2, None, Decimal("1E+2"), "GBP"),
    ]
    lines = _bytes(jsonl_chunks(_part(made), iter(made))).decode().splitlines()

    def refuse(value: str) -> object:
        raise AssertionError(value)

    parsed = [json.loads(line, parse_float=refuse) for line in lines]
    assert parsed[0] == {
        "description": "é\n",
        "business_date": "2026-03-02",
        "count": 1,
        "debit": "0.07",
        "credit": None,
        "currency": "GBP",
    }
    assert list(parsed[0]) == [c.name for c in COLUMNS]


def test_the_tally_counts_rows_and_sums_amounts_per_currency() -> None:
    made: list[Row] = [
        ("a", DAY, 1, Decimal("0.07"), None, "GBP"),
        ("b", DAY, 2, None, Decimal("0.07"), "GBP"),
        ("c", DAY, 3, Decimal("5"), None, "JPY"),
    ]
    tally = Tally(_part(made))
    assert list(tally.count(iter(made))) == made
    summary = tally.summary()
    assert summary.rows == 3
    assert summary.totals == {
        "GBP": {"credit": "0.07", "debit": "0.07"},
        "JPY": {"credit": "0", "debit": "5"},
    }


def _sheet_xml(rows: list[Row]) -> str:
    out = io.BytesIO()
    write_xlsx([(_part(rows), iter(rows))], out, cutoff=CUTOFF)
    with zipfile.ZipFile(out) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 10**15 - 1), min_size=1, max_size=30))
def test_workbook_amounts_are_stored_as_their_exact_decimal_text(minors: list[int]) -> None:
    made: list[Row] = [("x", DAY, 1, minor_to_decimal(m, "GBP"), None, "GBP") for m in minors]
    values = re.findall(r'<c r="D\d+"[^>]*t="n"[^>]*><v>([^<]*)</v>', _sheet_xml(made))
    assert values == [str(minor_to_decimal(m, "GBP")) for m in minors]


def test_openpyxl_alone_would_not_keep_the_decimal_exact() -> None:
    # Why the writer does not hand openpyxl a Decimal: this is what openpyxl writes for one.
    from openpyxl.compat.strings import safe_string

    assert safe_string(Decimal("0.07")) == "0.07000000000000001"


def test_the_same_workbook_twice_is_the_same_bytes() -> None:
    made: list[Row] = [("=SUM(A1)", DAY, 1, Decimal("0.07"), None, "GBP")]

    def book() -> bytes:
        out = io.BytesIO()
        write_xlsx([(_part(made), iter(made))], out, cutoff=CUTOFF)
        return out.getvalue()

    first = book()
    assert first == book()
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2026-03-03T00:00:00Z" in core


def test_a_report_cut_off_is_midnight_after_its_last_day() -> None:
    report = Report("x", {}, (), covers_from=None, covers_to=DAY)
    assert report.cutoff == dt.datetime(2026, 3, 3, tzinfo=dt.UTC)


def test_a_part_without_a_currency_column_has_no_totals() -> None:
    part = Part("p", (Column("n", ColumnKind.INTEGER),), lambda: iter([(1,), (2,)]))
    tally = Tally(part)
    assert list(tally.count(part.rows())) == [(1,), (2,)]
    assert tally.summary().totals == {}
    with pytest.raises(KeyError):
        part.column_index("missing")
