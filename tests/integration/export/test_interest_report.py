"""Savings interest and dividends per member for a period: posted from the
journal net of reversals, accrued where the accrual sub-ledger records it, the ledger's
expense and payable beside them; every format with its manifest, the same bytes twice;
the CLI."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.exports.interest_report import interest_report
from creditunion.platform.database import unit_of_work
from launch.cli import app
from ledger.accounts import get_account_by_code
from ledger.chart import DIVIDEND_AND_INTEREST_EXPENSE, INTEREST_AND_DIVIDENDS_PAYABLE
from ledger.export.run import ExportFormat
from ledger.posting import post_entry
from ledger.reversal import reverse_entry
from tests.evidence_helpers import check_every_format, csv_rows, export
from tests.factories_loans import adopt_as_share_account, books, gbp, member, share_account
from tests.ledger_helpers import transfer

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
runner = CliRunner()


def _day(d: int, month: int = 3) -> dt.date:
    return dt.date(2026, month, d)


@pytest.fixture
def savings(fresh_engine: Engine) -> Engine:
    """Ann's account: 0.50 interest on 28 February; in March 4.56 dividend on the 15th, a
    0.10 dividend on the 16th reversed on the 17th, 1.23 interest on the 31st, and 3.7
    pence accrued through the 31st. Payable (2200): 2.00 owed at the end of February,
    0.50 less on 31 March. Bob's account opens in April."""
    ann = member(fresh_engine, since=dt.date(2020, 1, 1))
    bob = member(fresh_engine, since=dt.date(2020, 1, 1))
    with unit_of_work(fresh_engine) as s:
        books(s)
        expense = get_account_by_code(s, DIVIDEND_AND_INTEREST_EXPENSE).id
        payable = get_account_by_code(s, INTEREST_AND_DIVIDENDS_PAYABLE).id
        ann_ledger = share_account(s, gbp("100.00"), on=_day(1, 2))
        adopt_as_share_account(s, ann_ledger, member_id=ann.member_id, on=_day(1, 2))
        bob_ledger = share_account(s, gbp("10.00"), on=_day(2, 4))
        adopt_as_share_account(s, bob_ledger, member_id=bob.member_id, on=_day(2, 4))

        def pay(amount: str, on: dt.date, kind: str, to: int = ann_ledger) -> uuid.UUID:
            entry = post_entry(s, transfer(expense, to, gbp(amount), business_date=on, kind=kind))
            return entry.id

        pay("0.50", _day(28, 2), "savings_interest")
        pay("2.00", _day(28, 2), "savings.payable", to=payable)
        pay("4.56", _day(15), "dividend")
        mistaken = pay("0.10", _day(16), "dividend")
        reverse_entry(
            s,
            entry_id=mistaken,
            idempotency_key="undo-dividend",
            business_date=_day(17),
            posted_by="user:manager-1",
        )
        pay("1.23", _day(31), "savings_interest")
        post_entry(
            s,
            transfer(payable, expense, gbp("0.50"), business_date=_day(31), kind="savings.payable"),
        )
        pay("2.22", _day(2, 4), "savings_interest", to=bob_ledger)
        # As the accrual step records it: the sub-ledger and that day's history row.
        s.execute(
            text(
                "INSERT INTO share_accruals (share_account_id, accrued_units, last_accrued_on) "
                "SELECT id, 37000000000, :d FROM share_accounts WHERE ledger_account_id = :a"
            ),
            {"d": _day(31), "a": ann_ledger},
        )
        s.execute(
            text(
                "INSERT INTO share_accrual_history "
                "(share_account_id, business_date, accrued_units, accrued_through) "
                "SELECT id, :d, 37000000000, :d FROM share_accounts WHERE ledger_account_id = :a"
            ),
            {"d": _day(31), "a": ann_ledger},
        )
    return fresh_engine


def _rows(
    engine: Engine, tmp_path: Path, start: dt.date, end: dt.date
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    out = tmp_path / f"interest-{start}-{end}.csv"
    export(
        engine,
        lambda s: interest_report(s, from_date=start, to_date=end),
        ExportFormat.CSV,
        out,
    )
    return csv_rows(out), csv_rows(out.with_name(f"{out.stem}.totals.csv"))


def test_interest_and_dividends_per_member_posted_and_accrued(
    savings: Engine, tmp_path: Path
) -> None:
    members, totals = _rows(savings, tmp_path, *MARCH)
    (ann,) = members  # Bob's account opened in April
    assert (ann["member_name"] != "", ann["currency"], ann["product"]) == (True, "GBP", "INSTANT")
    # The February interest is outside March; the reversed 0.10 dividend nets to nothing.
    assert (ann["interest_posted"], ann["dividends_paid"]) == ("1.23", "4.56")
    # 3.7 pence accrued through the 31st: 3 whole pence, rounded down as it will post.
    assert (ann["accrued_unposted"], ann["accrued_through"]) == ("0.03", "2026-03-31")
    # Expense: 4.56 + 0.10 - 0.10 + 1.23 - 0.50 = 5.29 = posted + paid + (1.50 - 2.00).
    assert totals == [
        {
            "currency": "GBP",
            "interest_posted": "1.23",
            "dividends_paid": "4.56",
            "expense": "5.29",
            "payable_opening": "2.00",
            "payable_closing": "1.50",
        }
    ]


def test_a_date_before_the_history_has_no_accrual_recorded_for_it(
    savings: Engine, tmp_path: Path
) -> None:
    members, totals = _rows(savings, tmp_path, _day(1), _day(16))
    (ann,) = members
    assert (ann["interest_posted"], ann["dividends_paid"]) == ("0.00", "4.66")
    assert (ann["accrued_unposted"], ann["accrued_through"]) == ("", "")
    assert totals[0]["payable_closing"] == "2.00"


def test_every_format_the_same_twice_with_its_manifest(savings: Engine, tmp_path: Path) -> None:
    results = check_every_format(
        savings,
        lambda s: interest_report(s, from_date=MARCH[0], to_date=MARCH[1]),
        tmp_path,
        "interest",
    )
    assert results[ExportFormat.CSV].manifest["parameters"] == {
        "accrued_recorded_from": "2026-03-31",
        "from": "2026-03-01",
        "to": "2026-03-31",
    }
    parts = results[ExportFormat.CSV].manifest["parts"]
    assert parts["members"] == {
        "rows": 1,
        "totals": {
            "GBP": {"accrued_unposted": "0.03", "dividends_paid": "4.56", "interest_posted": "1.23"}
        },
    }
    assert parts["totals"]["rows"] == 1


@pytest.mark.usefixtures("savings", "cli_env")
def test_the_cli_writes_the_interest_report(tmp_path: Path) -> None:
    out = tmp_path / "interest.jsonl"
    args = ["export", "interest-report", "--from", "2026-04-01", "--to", "2026-04-30"]
    result = runner.invoke(app, [*args, "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "members: 2 rows" in result.output and "totals: 1 rows" in result.output
    assert '"interest_posted":"2.22"' in out.read_text()
