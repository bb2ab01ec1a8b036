"""Members and their share balances as at a date, summed from the journal:
values by hand, every format with its manifest, the same bytes twice, later postings
leave a past date's export unchanged, and the CLI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from creditunion.exports.member_balances import member_balances_report
from creditunion.platform.database import unit_of_work
from launch.cli import app
from ledger.export.report import Report
from ledger.export.run import ExportFormat
from tests.evidence_helpers import check_every_format, csv_rows, export
from tests.factories_loans import (
    adopt_as_share_account,
    books,
    deposit,
    gbp,
    member,
    share_account,
    withdraw,
)

D1, D2, D3, D4 = (dt.date(2026, 3, d) for d in (2, 3, 4, 5))
runner = CliRunner()


@dataclass(frozen=True)
class People:
    ann: str  # membership numbers
    bob: str
    ann_account: str  # share account numbers
    bob_account: str


def _named(engine: Engine, member_id: int, given: str, family: str) -> str:
    with unit_of_work(engine) as s:
        number = s.execute(
            text(
                "UPDATE members SET given_name = :g, family_name = :f WHERE id = :id "
                "RETURNING membership_number"
            ),
            {"g": given, "f": family, "id": member_id},
        ).scalar_one()
    return str(number)


def _account_number(engine: Engine, ledger_account_id: int) -> str:
    with unit_of_work(engine) as s:
        return str(
            s.execute(
                text("SELECT account_number FROM share_accounts WHERE ledger_account_id = :a"),
                {"a": ledger_account_id},
            ).scalar_one()
        )


@pytest.fixture
def people(fresh_engine: Engine) -> People:
    """Ann (active since 2020): 100.00 paid in on D1, 25.50 on D2, 10.00 out on D3.
    Bob (joined D2, pending): 5.00 paid in on D3."""
    ann = member(fresh_engine, since=dt.date(2020, 1, 1))
    bob = member(fresh_engine, status="pending", since=D2)
    with unit_of_work(fresh_engine) as s:
        books(s)
        ann_ledger = share_account(s, gbp("100.00"), on=D1)
        adopt_as_share_account(s, ann_ledger, member_id=ann.member_id, on=D1)
        deposit(s, ann_ledger, gbp("25.50"), on=D2)
        withdraw(s, ann_ledger, gbp("10.00"), on=D3, key="ann-out")
        bob_ledger = share_account(s, gbp("5.00"), on=D3)
        adopt_as_share_account(s, bob_ledger, member_id=bob.member_id, on=D3)
    return People(
        ann=_named(fresh_engine, ann.member_id, "Ann", "Archer"),
        bob=_named(fresh_engine, bob.member_id, "Bob", "=Baker"),
        ann_account=_account_number(fresh_engine, ann_ledger),
        bob_account=_account_number(fresh_engine, bob_ledger),
    )


def _parts(
    engine: Engine, tmp_path: Path, as_of: dt.date
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    out = tmp_path / f"mb-{as_of}.csv"
    export(engine, lambda s: member_balances_report(s, as_of=as_of), ExportFormat.CSV, out)
    return csv_rows(out), csv_rows(out.with_name(f"{out.stem}.members.csv"))


def test_each_share_account_balance_as_at_a_date_comes_from_the_journal(
    fresh_engine: Engine, people: People, tmp_path: Path
) -> None:
    balances, members = _parts(fresh_engine, tmp_path, D1)
    assert [(r["membership_number"], r["member_name"], r["balance"]) for r in balances] == [
        (people.ann, "Ann Archer", "100.00")
    ]
    assert [(r["membership_number"], r["status"], r["share_accounts"]) for r in members] == [
        (people.ann, "active", "1")
    ]

    balances, members = _parts(fresh_engine, tmp_path, D2)
    assert [r["balance"] for r in balances] == ["125.50"]  # 100.00 + 25.50
    # Bob joined on D2 and holds no account yet.
    assert [(r["member_name"], r["status"], r["share_accounts"]) for r in members] == [
        ("Ann Archer", "active", "1"),
        ("Bob =Baker", "pending", "0"),
    ]

    balances, _ = _parts(fresh_engine, tmp_path, D3)
    by_account = {r["share_account"]: r for r in balances}
    assert by_account[people.ann_account]["balance"] == "115.50"  # 125.50 - 10.00
    assert by_account[people.bob_account]["balance"] == "5.00"
    bob_row = by_account[people.bob_account]
    assert (bob_row["product"], bob_row["status"], bob_row["opened_on"], bob_row["currency"]) == (
        "INSTANT",
        "open",
        "2026-03-04",
        "GBP",
    )


def test_every_format_the_same_twice_and_later_postings_leave_a_past_date_alone(
    fresh_engine: Engine, people: People, tmp_path: Path
) -> None:
    def build(s: Session) -> Report:
        return member_balances_report(s, as_of=D3)

    results = check_every_format(fresh_engine, build, tmp_path, "mb")
    manifest = results[ExportFormat.CSV].manifest
    assert manifest["parts"]["balances"]["rows"] == 2
    assert manifest["parts"]["balances"]["totals"] == {"GBP": {"balance": "120.50"}}
    assert manifest["parts"]["members"]["rows"] == 2
    before = results[ExportFormat.CSV].files[0].read_bytes()
    with unit_of_work(fresh_engine) as s:
        ann_ledger = s.execute(
            text("SELECT ledger_account_id FROM share_accounts WHERE account_number = :n"),
            {"n": people.ann_account},
        ).scalar_one()
        deposit(s, ann_ledger, gbp("1.00"), on=D4)
    again = export(fresh_engine, build, ExportFormat.CSV, tmp_path / "after" / "mb.csv")
    assert again.files[0].read_bytes() == before
    assert _parts(fresh_engine, tmp_path, D4)[0][0]["balance"] == "116.50"


@pytest.mark.usefixtures("cli_env", "people")
def test_the_cli_writes_member_balances(tmp_path: Path) -> None:
    out = tmp_path / "mb.xlsx"
    args = ["export", "member-balances", "--as-of", D3.isoformat(), "--format", "xlsx"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "balances: 2 rows" in result.output and "members: 2 rows" in result.output
    assert (tmp_path / "mb.xlsx.manifest.json").exists()
