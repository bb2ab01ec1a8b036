"""Checks every evidence export must pass: each format written twice gives the
same bytes, and the manifest describes what was written (rows, sums, files' hashes)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.export.report import ColumnKind, Part, Report
from ledger.export.run import ExportFormat, ExportResult, snapshot, write_report

TABLE_FORMATS = (ExportFormat.CSV, ExportFormat.XLSX, ExportFormat.JSONL)


def export(
    engine: Engine, build: Callable[[Session], Report], fmt: ExportFormat, out: Path
) -> ExportResult:
    out.parent.mkdir(parents=True, exist_ok=True)
    with snapshot(engine) as session:
        return write_report(session, build(session), fmt, out)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_every_format(
    engine: Engine, build: Callable[[Session], Report], tmp_path: Path, stem: str
) -> dict[ExportFormat, ExportResult]:
    """Write the report in CSV, xlsx and JSON Lines twice, a second apart: the same bytes,
    and a manifest that agrees with the files. Returns the first run of each format."""
    results: dict[ExportFormat, ExportResult] = {}
    for fmt in TABLE_FORMATS:
        first = export(engine, build, fmt, tmp_path / "one" / f"{stem}{fmt.suffix}")
        results[fmt] = first
    time.sleep(1.1)
    for fmt, first in results.items():
        again = export(engine, build, fmt, tmp_path / "two" / f"{stem}{fmt.suffix}")
        assert [p.name for p in again.files] == [p.name for p in first.files]
        for a, b in zip(first.files, again.files, strict=True):
            assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two runs"
        assert first.manifest_path.read_bytes() == again.manifest_path.read_bytes()
        check_manifest(engine, build, first, fmt)
    # The formats carry the same rows.
    with snapshot(engine) as session:
        report = build(session)
    jsonl = _jsonl_parts(results[ExportFormat.JSONL], report)
    assert _csv_parts(results[ExportFormat.CSV], report) == jsonl
    assert _xlsx_parts(results[ExportFormat.XLSX], report) == jsonl
    return results


def check_manifest(
    engine: Engine, build: Callable[[Session], Report], result: ExportResult, fmt: ExportFormat
) -> None:
    manifest: dict[str, Any] = json.loads(result.manifest_path.read_text())
    with snapshot(engine) as session:
        report = build(session)
    assert manifest["manifest_version"] == 1
    assert manifest["report"] == report.name
    assert manifest["format"] == fmt.value
    assert manifest["parameters"] == dict(sorted(report.parameters.items()))
    # The manifest's keys are sorted (canonical JSON).
    assert sorted(manifest["parts"]) == sorted(p.name for p in report.parts)
    assert set(manifest["seals"]) == {"sealed_through", "complete", "days"}
    for entry, path in zip(manifest["files"], result.files, strict=True):
        data = path.read_bytes()
        assert entry == {
            "name": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
    parts = _jsonl_parts(result, report) if fmt is ExportFormat.JSONL else None
    if parts is None:
        parts = (
            _csv_parts(result, report) if fmt is ExportFormat.CSV else _xlsx_parts(result, report)
        )
    for part in report.parts:
        rows = parts[part.name]
        summary = manifest["parts"][part.name]
        assert summary["rows"] == len(rows)
        amounts = [c.name for c in part.columns if c.kind is ColumnKind.AMOUNT]
        if part.currency_column is None or not amounts:
            assert summary["totals"] == {}
            continue
        sums: dict[str, dict[str, Decimal]] = {}
        for row in rows:
            per = sums.setdefault(row[part.currency_column], {})
            for name in amounts:
                value = row[name]
                per[name] = per.get(name, Decimal(0)) + (
                    Decimal(value) if value not in (None, "") else Decimal(0)
                )
        for currency, per in sums.items():
            for name, total in per.items():
                assert Decimal(summary["totals"][currency][name]) == total


def _canon(part: Part, name: str, value: Any) -> str | None:
    """One cell as comparable text, whichever format it was read from."""
    if value is None or value == "":
        return None
    kind = part.columns[part.column_index(name)].kind
    if kind is ColumnKind.DATE and isinstance(value, dt.datetime):
        return value.date().isoformat()
    if kind is ColumnKind.AMOUNT:
        return format(Decimal(str(value)).normalize(), "f")
    if kind is ColumnKind.INTEGER:
        return str(int(value))
    return str(value)


def _csv_parts(result: ExportResult, report: Report) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for part, path in zip(report.parts, result.files, strict=True):
        rows = csv_rows(path)
        out[part.name] = [{k: _canon(part, k, v) for k, v in row.items()} for row in rows]
    return out


def _jsonl_parts(result: ExportResult, report: Report) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for part, path in zip(report.parts, result.files, strict=True):
        lines = path.read_text(encoding="utf-8").splitlines()
        out[part.name] = [
            {k: _canon(part, k, v) for k, v in json.loads(line).items()} for line in lines
        ]
    return out


def _xlsx_parts(result: ExportResult, report: Report) -> dict[str, list[dict[str, Any]]]:
    (path,) = result.files
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    out = {}
    for part in report.parts:
        sheet = book[part.name]
        values = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in values[0]]
        out[part.name] = [
            # A read-only sheet leaves out a row's trailing empty cells.
            {k: _canon(part, k, v) for k, v in zip(header, _padded(row, len(header)), strict=True)}
            for row in values[1:]
        ]
    return out


def _padded(row: tuple[Any, ...], width: int) -> tuple[Any, ...]:
    return row + (None,) * (width - len(row))
