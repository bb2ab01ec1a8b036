"""Cut-off testing: entries of a period posted after its cut-off, back-dated or
forward-dated, with who and when; London's clock change; a post-close entry flagged; every
format with its manifest and the same bytes twice; the CLI.

The wall-clock times are set as a superuser would (the journal refuses updates), since a
test cannot wait for the clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from creditunion.exports.cut_off import cut_off_report
from creditunion.platform.database import unit_of_work
from launch.cli import app
from ledger.export.run import ExportFormat
from ledger.models import AccountType
from ledger.periods import close_business_date
from ledger.posting import post_entry
from tests.evidence_helpers import check_every_format, csv_rows, export
from tests.ledger_helpers import gbp, new_account, transfer
from tests.seal_helpers import tamper

LONDON = ZoneInfo("Europe/London")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
runner = CliRunner()

# (business date, posted at UTC, amount); London moves to BST on 29 March 2026.
ENTRIES = {
    "same day": (dt.date(2026, 3, 10), "2026-03-10T12:00:00Z", "1.00"),
    "back-dated": (dt.date(2026, 3, 20), "2026-03-23T09:00:00Z", "12.34"),
    "next morning": (dt.date(2026, 3, 31), "2026-04-01T08:00:00Z", "5.00"),
    # 23:30 UTC on 31 March is 00:30 on 1 April in London: after the cut-off.
    "half past midnight": (dt.date(2026, 3, 31), "2026-03-31T23:30:00Z", "7.50"),
    # Posted on 31 March, booked on 1 April: out of March.
    "forward": (dt.date(2026, 4, 1), "2026-03-31T15:00:00Z", "3.00"),
    "april": (dt.date(2026, 4, 2), "2026-04-02T10:00:00Z", "9.99"),
}


@pytest.fixture
def journal(fresh_engine: Engine) -> dict[str, str]:
    """The entries above (entry ids by name); 20 March closed at 01:00 UTC on the 21st."""
    ids = {}
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET, name="Cash")
        shares = new_account(s, name="Shares")
        for name, (day, _, amount) in ENTRIES.items():
            posted = post_entry(s, transfer(cash.id, shares.id, gbp(amount), business_date=day))
            ids[name] = str(posted.id)
    for name, (_, at, _) in ENTRIES.items():
        tamper(
            fresh_engine,
            "journal_entries",
            "UPDATE journal_entries SET posted_at = %s WHERE id = %s",
            (at, ids[name]),
        )
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=dt.date(2026, 3, 20), closed_by="cob")
    with unit_of_work(fresh_engine) as s:
        s.connection().exec_driver_sql(
            "UPDATE ledger_day_closes SET closed_at = '2026-03-21T01:00:00Z'"
        )
    return ids


def _march(engine: Engine, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "cut-off.csv"
    export(
        engine,
        lambda s: cut_off_report(s, from_date=MARCH[0], to_date=MARCH[1], zone=LONDON),
        ExportFormat.CSV,
        out,
    )
    return csv_rows(out)


def test_the_cut_off_lists_entries_posted_on_another_day(
    fresh_engine: Engine, journal: dict[str, str], tmp_path: Path
) -> None:
    rows = _march(fresh_engine, tmp_path)
    found = [
        (r["entry_id"], r["finding"], r["business_date"], r["posted_local_date"], r["days_late"])
        for r in rows
    ]
    assert found == [
        (journal["back-dated"], "back-dated", "2026-03-20", "2026-03-23", "3"),
        (journal["next morning"], "posted after the cut-off", "2026-03-31", "2026-04-01", "1"),
        (
            journal["half past midnight"],
            "posted after the cut-off",
            "2026-03-31",
            "2026-04-01",
            "1",
        ),
        (journal["forward"], "forward-dated", "2026-04-01", "2026-03-31", "-1"),
    ]
    back = rows[0]
    assert (back["posted_at"], back["posted_by"], back["amount"], back["currency"]) == (
        "2026-03-23T09:00:00.000000Z",
        "test",
        "12.34",
        "GBP",
    )
    # 20 March was closed at 01:00 on the 21st; the entry was written two days later.
    assert (back["day_closed_at"], back["after_close"]) == ("2026-03-21T01:00:00.000000Z", "yes")
    assert [r["after_close"] for r in rows[1:]] == ["no", "no", "no"]
    assert rows[1]["day_closed_at"] == ""


@pytest.mark.usefixtures("journal")
def test_every_format_the_same_twice_with_its_manifest(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    results = check_every_format(
        fresh_engine,
        lambda s: cut_off_report(s, from_date=MARCH[0], to_date=MARCH[1], zone=LONDON),
        tmp_path,
        "cut-off",
    )
    manifest = results[ExportFormat.JSONL].manifest
    assert manifest["parameters"] == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "time_zone": "Europe/London",
    }
    # 12.34 + 5.00 + 7.50 + 3.00
    assert manifest["parts"]["entries"] == {"rows": 4, "totals": {"GBP": {"amount": "27.84"}}}


def test_a_reversed_range_is_refused(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s, pytest.raises(ValueError, match="after its end"):
        cut_off_report(s, from_date=MARCH[1], to_date=MARCH[0], zone=LONDON)


@pytest.mark.usefixtures("cli_env", "journal")
def test_the_cli_writes_the_cut_off(tmp_path: Path) -> None:
    out = tmp_path / "cut.csv"
    args = ["export", "cut-off", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "entries: 4 rows" in result.output
    assert len(csv_rows(out)) == 4
