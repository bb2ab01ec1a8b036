"""The chart of accounts as it stood at a date, and the trial balance's zero-balance lines:
values, every format, the manifest, the same bytes twice, CLI and API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.exports.chart_of_accounts import chart_of_accounts_report
from creditunion.platform.database import unit_of_work
from launch.cli import app
from ledger.accounts import close_account, get_account_by_code
from ledger.chart import DEFAULT_CHART, MEMBERS_SHARES, RECOVERIES_INCOME, install_chart
from ledger.export.run import ExportFormat
from ledger.export.trial_balance import trial_balance_report
from ledger.posting import post_entry
from tests.evidence_helpers import check_every_format, csv_rows, export
from tests.ledger_helpers import gbp, new_account, transfer

LONDON = ZoneInfo("Europe/London")
OPENED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
CLOSED = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
BEFORE = dt.date(2025, 12, 31)  # before the chart was opened on the wall clock
D1 = dt.date(2026, 3, 2)
runner = CliRunner()


@pytest.fixture
def chart(fresh_engine: Engine) -> Engine:
    """The default chart opened on 5 January 2026 (09:00 UTC); one member's account under
    2100; 50.00 paid in on 31 December 2025 and 20.00 on 2 March 2026; 4300 closed on
    15 June 2026 at 10:00 UTC."""
    with unit_of_work(fresh_engine) as s:
        install_chart(s, currency="GBP")
        cash = get_account_by_code(s, "1100")
        member = new_account(s, parent_id=get_account_by_code(s, MEMBERS_SHARES).id)
        s.execute(text("UPDATE ledger_accounts SET opened_at = :t"), {"t": OPENED})
        post_entry(s, transfer(cash.id, member.id, gbp("50.00"), business_date=BEFORE))
        post_entry(s, transfer(cash.id, member.id, gbp("20.00"), business_date=D1))
        recoveries = get_account_by_code(s, RECOVERIES_INCOME)
        close_account(s, account_id=recoveries.id, closed_at=CLOSED)
    return fresh_engine


def _chart(engine: Engine, tmp_path: Path, as_of: dt.date) -> list[dict[str, str]]:
    out = tmp_path / f"chart-{as_of}.csv"
    export(
        engine,
        lambda s: chart_of_accounts_report(s, as_of=as_of, zone=LONDON),
        ExportFormat.CSV,
        out,
    )
    return csv_rows(out)


def test_the_chart_lists_every_chart_account_with_its_role_and_status(
    chart: Engine, tmp_path: Path
) -> None:
    rows = _chart(chart, tmp_path, D1)
    # Every chart account, and not the member's own account (a sub-ledger account).
    assert [r["account_code"] for r in rows] == sorted(a.code for a in DEFAULT_CHART)
    by_code = {r["account_code"]: r for r in rows}
    assert by_code["1000"] == {
        "account_code": "1000",
        "account_name": "Assets",
        "account_type": "asset",
        "currency": "GBP",
        "normal_side": "debit",
        "parent_code": "",
        "role": "header",
        "status": "open",
        "opened_at": "2026-01-05T09:00:00.000000Z",
        "closed_at": "",
    }
    assert (by_code["2100"]["role"], by_code["2100"]["parent_code"]) == ("control", "2000")
    assert (by_code["2100"]["normal_side"], by_code["1100"]["role"]) == ("credit", "account")
    # Closed at 10:00 UTC on 15 June: still open at the end of 14 June, closed at the end
    # of the 15th (London midnight is 23:00 UTC in summer).
    assert by_code["4300"]["status"] == "open" and by_code["4300"]["closed_at"] == ""
    june_14 = {r["account_code"]: r for r in _chart(chart, tmp_path, dt.date(2026, 6, 14))}
    june_15 = {r["account_code"]: r for r in _chart(chart, tmp_path, dt.date(2026, 6, 15))}
    assert june_14["4300"]["status"] == "open"
    assert (june_15["4300"]["status"], june_15["4300"]["closed_at"]) == (
        "closed",
        "2026-06-15T10:00:00.000000Z",
    )


def test_before_the_chart_was_opened_it_lists_the_accounts_history_was_posted_to(
    chart: Engine, tmp_path: Path
) -> None:
    # On 31 December 2025 only 1100 and the member's account (under 2100) had postings:
    # they and their parents are the chart then.
    rows = _chart(chart, tmp_path, BEFORE)
    assert [(r["account_code"], r["role"]) for r in rows] == [
        ("1000", "header"),
        ("1100", "account"),
        ("2000", "header"),
        ("2100", "control"),
    ]


def test_the_chart_in_every_format_is_the_same_twice_with_its_manifest(
    chart: Engine, tmp_path: Path
) -> None:
    results = check_every_format(
        chart,
        lambda s: chart_of_accounts_report(s, as_of=D1, zone=LONDON),
        tmp_path,
        "chart",
    )
    manifest = results[ExportFormat.CSV].manifest
    assert manifest["parameters"] == {"as_of": "2026-03-02", "time_zone": "Europe/London"}
    assert manifest["parts"]["accounts"]["rows"] == len(DEFAULT_CHART)


def test_the_trial_balance_has_a_line_for_every_chart_account_at_zero_too(
    chart: Engine, tmp_path: Path
) -> None:
    results = check_every_format(chart, lambda s: trial_balance_report(s, as_of=D1), tmp_path, "tb")
    csv_result = results[ExportFormat.CSV]
    lines = {r["account_code"]: (r["debit"], r["credit"]) for r in csv_rows(csv_result.files[0])}
    # Every chart account but the five grouping headers; the member's 70.00 under 2100.
    expected_codes = {a.code for a in DEFAULT_CHART if not (a.header and a.parent is None)}
    assert set(lines) == expected_codes
    assert lines["1100"] == ("70.00", "0.00")
    assert lines["2100"] == ("0.00", "70.00")
    assert lines["1200"] == lines["4300"] == lines["1300"] == ("0.00", "0.00")
    assert csv_result.manifest["parts"]["accounts"]["rows"] == len(expected_codes)
    assert csv_result.manifest["totals"] == {"GBP": {"debit": "70.00", "credit": "70.00"}}


@pytest.mark.usefixtures("chart", "cli_env")
def test_the_cli_writes_the_chart_and_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "coa.jsonl"
    args = ["export", "chart-of-accounts", "--as-of", "2026-03-02", "--format", "jsonl"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"accounts: {len(DEFAULT_CHART)} rows" in result.output
    assert (tmp_path / "coa.jsonl.manifest.json").exists()
    assert '{"account_code":"2100","account_name":"Members\' shares"' in out.read_text()
