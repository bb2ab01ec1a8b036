"""Exports of a small sealed history: totals, reversals, formats, manifests, determinism."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import time
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from creditunion.platform.database import unit_of_work
from ledger.export import csv_format, xlsx_format
from ledger.export.gl import general_ledger
from ledger.export.journal import JournalFilter, journal_listing
from ledger.export.report import Report
from ledger.export.run import ExportFormat, ExportResult, snapshot, write_camt053, write_report
from ledger.export.statement import StatementFilter, statement_report
from ledger.export.trial_balance import trial_balance_report
from ledger.models import AccountType
from ledger.posting import post_entry
from ledger.seal import seals_between
from ledger.trial_balance import trial_balance
from tests.ledger_helpers import gbp, new_account, transfer
from tests.seal_helpers import D1, D2, D3, History, build_history, close_and_seal

Build = Callable[[Session], Report]


def _export(engine: Engine, build: Build, fmt: ExportFormat, out: Path) -> ExportResult:
    out.parent.mkdir(parents=True, exist_ok=True)
    with snapshot(engine) as session:
        report = build(session)
        if fmt is ExportFormat.CAMT053:
            return write_camt053(session, report, out)
        return write_report(session, report, fmt, out)


def _gl(session: Session) -> Report:
    return general_ledger(session, from_date=D1, to_date=D3)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def sealed(fresh_engine: Engine) -> History:
    history = build_history(fresh_engine)
    close_and_seal(fresh_engine, [D1, D2, D3])
    return history


@pytest.mark.usefixtures("sealed")
def test_general_ledger_totals_equal_the_trial_balance(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    result = _export(fresh_engine, _gl, ExportFormat.CSV, tmp_path / "gl.csv")
    postings = _csv_rows(tmp_path / "gl.csv")
    balances = _csv_rows(tmp_path / "gl.balances.csv")
    with unit_of_work(fresh_engine) as s:
        tb = trial_balance(s, as_of=D3)

    debits = sum(Decimal(r["debit"]) for r in postings if r["debit"])
    credits = sum(Decimal(r["credit"]) for r in postings if r["credit"])
    assert debits == credits == Decimal("217.92")  # 112.37 on D1, 105.55 on D3
    assert result.manifest["totals"] == {"GBP": {"credit": "217.92", "debit": "217.92"}}
    assert result.manifest["parts"]["postings"]["rows"] == len(postings) == 10
    # Every balance line adds up, and the closing balances are the trial balance.
    closing = {}
    for line in balances:
        opening = Decimal(line["opening_debit"]) - Decimal(line["opening_credit"])
        moved = Decimal(line["period_debit"]) - Decimal(line["period_credit"])
        end = Decimal(line["closing_debit"]) - Decimal(line["closing_credit"])
        assert opening + moved == end
        closing[line["account_code"]] = (line["closing_debit"], line["closing_credit"])
    expected = {
        row.code: (str(row.debit.amount), str(row.credit.amount))
        for rows in tb.rows_by_type.values()
        for row in rows
    }
    assert closing == expected
    totals = result.manifest["parts"]["balances"]["totals"]["GBP"]
    assert (totals["closing_debit"], totals["closing_credit"]) == (
        str(tb.totals[0].debits.amount),
        str(tb.totals[0].credits.amount),
    )

    _export(
        fresh_engine,
        lambda s: trial_balance_report(s, as_of=D3),
        ExportFormat.CSV,
        tmp_path / "tb.csv",
    )
    tb_totals = _csv_rows(tmp_path / "tb.totals.csv")
    assert tb_totals == [
        {
            "currency": "GBP",
            "total_debit": str(tb.totals[0].debits.amount),
            "total_credit": str(tb.totals[0].credits.amount),
            "difference": "0.00",
            "balanced": "yes",
        }
    ]
    by_type = {
        (r["account_type"], r["currency"]): r for r in _csv_rows(tmp_path / "tb.by_type.csv")
    }
    assert sum(Decimal(r["debit"]) for r in by_type.values()) == tb.totals[0].debits.amount
    assert [r["account_type"] for r in _csv_rows(tmp_path / "tb.csv")] == sorted(
        (r["account_type"] for r in _csv_rows(tmp_path / "tb.csv")),
        key=[t.value for t in AccountType].index,
    )


def test_a_reversed_entry_appears_with_its_reversal(
    fresh_engine: Engine, sealed: History, tmp_path: Path
) -> None:
    _export(fresh_engine, _gl, ExportFormat.JSONL, tmp_path / "gl.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "gl.jsonl").read_text().splitlines()]
    original, reversal = str(sealed.day1[0].id), str(sealed.reversal.id)

    original_rows = [r for r in rows if r["entry_id"] == original]
    reversal_rows = [r for r in rows if r["entry_id"] == reversal]
    assert len(original_rows) == len(reversal_rows) == 2
    assert {r["reversed_by_entry_id"] for r in original_rows} == {reversal}
    assert {r["reverses_entry_id"] for r in original_rows} == {None}
    assert {r["reverses_entry_id"] for r in reversal_rows} == {original}
    assert {r["kind"] for r in reversal_rows} == {"reversal"}
    assert {r["posted_by"] for r in reversal_rows} == {"manager"}
    # The reversal mirrors the original line for line.
    mirrored = {(r["account_code"], r["credit"], r["debit"]) for r in original_rows}
    assert {(r["account_code"], r["debit"], r["credit"]) for r in reversal_rows} == mirrored


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("fmt", list(ExportFormat))
@pytest.mark.usefixtures("sealed")
def test_the_manifest_hashes_exactly_the_files_it_describes(
    fresh_engine: Engine, tmp_path: Path, fmt: ExportFormat
) -> None:
    out = tmp_path / f"gl{fmt.suffix}"
    result = _export(fresh_engine, _gl, fmt, out)
    manifest = json.loads(result.manifest_path.read_bytes())

    listed = {f["name"]: f for f in manifest["files"]}
    written = {p.name for p in tmp_path.iterdir()} - {result.manifest_path.name}
    assert set(listed) == written == {p.name for p in result.files}
    for name, entry in listed.items():
        assert entry["sha256"] == _sha256(tmp_path / name)
        assert entry["bytes"] == (tmp_path / name).stat().st_size
    assert manifest["report"] == "gl"
    assert manifest["format"] == fmt.value
    assert manifest["parameters"] == {"from": D1.isoformat(), "to": D3.isoformat()}
    with unit_of_work(fresh_engine) as s:
        seals = seals_between(s, from_date=D1, to_date=D3)
    assert manifest["seals"] == {
        "sealed_through": D3.isoformat(),
        "complete": True,
        "days": [
            {"business_date": seal.business_date.isoformat(), "seal_hash": seal.seal_hash.hex()}
            for seal in seals
        ],
    }


@pytest.mark.usefixtures("sealed")
def test_every_format_of_one_name_keeps_its_own_manifest_and_the_same_file_mode(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    results = {
        fmt: _export(fresh_engine, _gl, fmt, tmp_path / f"gl{fmt.suffix}")
        for fmt in (ExportFormat.CSV, ExportFormat.XLSX, ExportFormat.JSONL)
    }

    manifests = {fmt: json.loads(r.manifest_path.read_bytes()) for fmt, r in results.items()}
    assert {fmt: m["format"] for fmt, m in manifests.items()} == {fmt: fmt.value for fmt in results}
    assert sorted(r.manifest_path.name for r in results.values()) == [
        "gl.csv.manifest.json",
        "gl.jsonl.manifest.json",
        "gl.xlsx.manifest.json",
    ]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert len(set(modes.values())) == 1, modes


def test_the_manifest_says_when_the_range_is_not_all_sealed(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    build_history(fresh_engine)
    close_and_seal(fresh_engine, [D1])
    result = _export(fresh_engine, _gl, ExportFormat.CSV, tmp_path / "gl.csv")
    assert result.manifest["seals"]["complete"] is False
    assert result.manifest["seals"]["sealed_through"] == D1.isoformat()
    assert [d["business_date"] for d in result.manifest["seals"]["days"]] == [D1.isoformat()]


@pytest.mark.parametrize("fmt", list(ExportFormat))
@pytest.mark.usefixtures("sealed")
def test_the_same_export_twice_is_the_same_bytes(
    fresh_engine: Engine, tmp_path: Path, fmt: ExportFormat
) -> None:
    first = _export(fresh_engine, _gl, fmt, tmp_path / "one" / f"gl{fmt.suffix}")
    time.sleep(2.1)  # a zip timestamp has a two-second grain: a leaked clock would show
    second = _export(fresh_engine, _gl, fmt, tmp_path / "two" / f"gl{fmt.suffix}")

    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in second.files]
    assert first.manifest_path.read_bytes() == second.manifest_path.read_bytes()


def test_csv_is_rfc4180_and_round_trips_hostile_text(fresh_engine: Engine, tmp_path: Path) -> None:
    hostile = [
        'Comma, "quote" and\r\nCRLF',
        "line\nfeed only",
        '"',
        '=HYPERLINK("http://x")',
        "Café £5 — 😀",
        "trailing space ",
    ]
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET)
        member = new_account(s, name='Member, "M"')
        for description in hostile:
            post_entry(
                s,
                transfer(
                    cash.id, member.id, gbp("1.00"), business_date=D1, description=description
                ),
            )

    _export(fresh_engine, _gl, ExportFormat.CSV, tmp_path / "gl.csv")
    raw = (tmp_path / "gl.csv").read_bytes()

    assert raw.decode("utf-8")  # UTF-8, no BOM
    assert not raw.startswith(b"\xef\xbb\xbf")
    # Every record ends CRLF; bare LFs appear only inside quoted fields.
    assert raw.endswith(b"\r\n")
    records = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    assert records[0][:4] == ["entry_id", "sequence_no", "business_date", "posted_at"]
    # Formula text is written with a leading quote (OWASP CSV injection) and restored exactly.
    assert [csv_format.restore_text(r[11]) for r in records[1::2]] == hostile
    assert records[7][11] == '\'=HYPERLINK("http://x")'
    assert {r[6] for r in records[1:] if r[5] == member.code} == {'Member, "M"'}
    assert b'"Comma, ""quote"" and\r\nCRLF"' in raw


@pytest.mark.usefixtures("sealed")
def test_no_float_anywhere(fresh_engine: Engine, tmp_path: Path) -> None:
    def no_floats(value: str) -> Any:
        raise AssertionError(f"a JSON float: {value}")

    _export(fresh_engine, _gl, ExportFormat.JSONL, tmp_path / "gl.jsonl")
    result = _export(fresh_engine, _gl, ExportFormat.XLSX, tmp_path / "gl.xlsx")
    for line in (tmp_path / "gl.jsonl").read_text().splitlines():
        row = json.loads(line, parse_float=no_floats)
        assert row["debit"] is None or isinstance(row["debit"], str)
        assert row["credit"] is None or isinstance(row["credit"], str)
        assert isinstance(row["sequence_no"], int)
    json.loads(result.manifest_path.read_text(), parse_float=no_floats)

    # In the workbook, each amount's stored text is its exact decimal, not a float's.
    with zipfile.ZipFile(tmp_path / "gl.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>0.07</v>" in sheet
    assert "0.0700000" not in sheet
    assert "<v>12.30</v>" in sheet


@pytest.mark.usefixtures("sealed")
def test_the_workbook_has_a_sheet_per_part_with_frozen_bold_headers_and_typed_cells(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    _export(fresh_engine, _gl, ExportFormat.XLSX, tmp_path / "gl.xlsx")
    book = openpyxl.load_workbook(tmp_path / "gl.xlsx")

    assert book.sheetnames == ["postings", "balances"]
    postings = book["postings"]
    assert postings.freeze_panes == "A2"
    assert postings["A1"].value == "entry_id" and postings["A1"].font.b
    header = [c.value for c in postings[1]]
    debit, credit, date = header.index("debit") + 1, header.index("credit") + 1, 3
    amounts = [
        postings.cell(row=r, column=c)
        for r in range(2, postings.max_row + 1)
        for c in (debit, credit)
        if postings.cell(row=r, column=c).value is not None
    ]
    assert len(amounts) == 10
    assert all(cell.data_type == "n" and "GBP" in cell.number_format for cell in amounts)
    assert postings.cell(row=2, column=date).is_date
    assert book["balances"].freeze_panes == "A2"
    assert book.properties.created == book.properties.modified
    assert book.properties.created.date() == D3.replace(day=D3.day + 1)


@pytest.mark.usefixtures("sealed")
def test_a_part_longer_than_a_sheet_continues_on_the_next(
    fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_format, "SHEET_ROWS_MAX", 4)  # a header and three rows a sheet
    _export(fresh_engine, _gl, ExportFormat.XLSX, tmp_path / "gl.xlsx")
    book = openpyxl.load_workbook(tmp_path / "gl.xlsx")

    postings = [n for n in book.sheetnames if n.startswith("postings")]
    assert postings == ["postings", "postings 2", "postings 3", "postings 4"]
    rows = [row for name in postings for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 10
    assert all(book[name]["A1"].value == "entry_id" for name in postings)


def test_a_formula_in_a_description_stays_text_in_the_workbook(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    with unit_of_work(fresh_engine) as s:
        cash, member = new_account(s, AccountType.ASSET), new_account(s)
        post_entry(s, transfer(cash.id, member.id, gbp("1"), business_date=D1, description="=1+1"))
        post_entry(
            s, transfer(cash.id, member.id, gbp("1"), business_date=D1, description="bell\x07")
        )
    _export(fresh_engine, _gl, ExportFormat.XLSX, tmp_path / "gl.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "gl.xlsx")["postings"]
    descriptions = {sheet.cell(row=r, column=12).value for r in range(2, sheet.max_row + 1)}
    assert descriptions == {"=1+1", "bell\ufffd"}
    assert all(sheet.cell(row=r, column=12).data_type == "s" for r in range(2, sheet.max_row + 1))


def test_the_journal_listing_filters_whole_entries(
    fresh_engine: Engine, sealed: History, tmp_path: Path
) -> None:
    def listing(**filters: Any) -> list[dict[str, str]]:
        journal_filter = JournalFilter(from_date=D1, to_date=D3, **filters)
        out = tmp_path / f"j{len(list(tmp_path.iterdir()))}.csv"
        _export(
            fresh_engine,
            lambda s: journal_listing(s, journal_filter=journal_filter),
            ExportFormat.CSV,
            out,
        )
        return _csv_rows(out)

    def entries(rows: list[dict[str, str]]) -> set[str]:
        return {r["entry_id"] for r in rows}

    everything = listing()
    assert len(everything) == 10
    on_alice = listing(account_code=sealed.alice.code)
    assert entries(on_alice) == {
        str(sealed.day1[0].id),
        str(sealed.day1[2].id),
        str(sealed.reversal.id),
    }
    assert len(on_alice) == 6  # whole entries, the other side of each included
    assert entries(listing(kind="reversal")) == {str(sealed.reversal.id)}
    assert entries(listing(posted_by="manager")) == {str(sealed.reversal.id)}
    assert entries(listing(min_amount=Decimal("5.55"), max_amount=Decimal("12.30"))) == {
        str(sealed.day1[2].id),
        str(sealed.day3[0].id),
    }
    assert listing(min_amount=Decimal("1000")) == []
    with pytest.raises(ValueError, match="decimals"):
        listing(min_amount=Decimal("0.001"))


def test_an_account_statement_with_filters_keeps_the_running_balance(
    fresh_engine: Engine, sealed: History, tmp_path: Path
) -> None:
    statement_filter = StatementFilter(account_code=sealed.bob.code, from_date=D1, to_date=D3)
    _export(
        fresh_engine,
        lambda s: statement_report(s, statement_filter=statement_filter),
        ExportFormat.CSV,
        tmp_path / "st.csv",
    )
    lines = _csv_rows(tmp_path / "st.csv")
    assert [(r["amount"], r["running_balance"]) for r in lines] == [
        ("0.07", "0.07"),
        ("12.30", "12.37"),
        ("5.55", "17.92"),
    ]
    assert _csv_rows(tmp_path / "st.summary.csv")[0]["closing_balance"] == "17.92"

    big_only = StatementFilter(
        account_code=sealed.bob.code, from_date=D1, to_date=D3, min_amount=Decimal("1")
    )
    _export(
        fresh_engine,
        lambda s: statement_report(s, statement_filter=big_only),
        ExportFormat.JSONL,
        tmp_path / "big.jsonl",
    )
    shown = [json.loads(x) for x in (tmp_path / "big.jsonl").read_text().splitlines()]
    assert [(r["amount"], r["running_balance"]) for r in shown] == [
        ("12.30", "12.37"),
        ("5.55", "17.92"),
    ]


@pytest.mark.usefixtures("sealed")
def test_an_export_reads_a_consistent_snapshot_and_writes_nothing(
    fresh_engine: Engine,
) -> None:
    with snapshot(fresh_engine) as session, pytest.raises(Exception, match="read-only"):
        session.execute(text("UPDATE ledger_accounts SET name = 'x'"))


@pytest.mark.usefixtures("sealed")
def test_an_unknown_statement_account_is_refused(
    fresh_engine: Engine,
) -> None:
    with snapshot(fresh_engine) as session, pytest.raises(LookupError):
        statement_report(
            session,
            statement_filter=StatementFilter(account_code="NOPE", from_date=D1, to_date=D2),
        )
