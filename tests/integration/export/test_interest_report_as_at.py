"""The interest report's accrued column as at a past business date: what close
of business had accrued and not posted by the end of that date, read from the accrual
history, the same bytes however many days close after it; a rerun of the step adds no
history."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from creditunion.cob.plan import run_close_of_business
from creditunion.exports.interest_report import interest_report
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.savings.cob_steps import accrue_savings_interest, post_savings_interest
from creditunion.shares.movements import deposit_cash
from creditunion.shares.product_service import create_share_product
from creditunion.shares.products import ProductDefinition
from ledger.export.run import ExportFormat
from ledger.money import Money
from loans.daycount import DayCount
from tests.evidence_helpers import csv_rows, export
from tests.factories import MemberFactory, ShareAccountFactory

START = dt.date(2026, 1, 1)
MID_JANUARY = dt.date(2026, 1, 15)
STAFF = "user:teller-1"


@pytest.fixture
def savers(fresh_engine: Engine) -> Engine:
    """Two savers in a 3.65% ACT/365F monthly product from 1 January: 1,234.56 and 5,000.00.
    At 3.65% / 365 = 0.01% a day they earn exactly 12.3456 and 50 pence a day (no rounding
    in the daily units), so every figure below is hand-worked."""
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=START)
        create_share_product(
            s,
            definition=ProductDefinition(
                code="SAVER",
                name="Saver",
                kind="instant_access",
                currency="GBP",
                minimum_balance="0.00",
                maximum_balance="100000.00",
                return_basis="interest",
                posting_frequency="monthly",
                annual_rate="0.0365",
                day_count=DayCount.ACT_365_FIXED,
            ),
            actor="user:manager-1",
        )
        for n, amount in enumerate(["1234.56", "5000.00"]):
            member = MemberFactory.create(session=s, business_date=START)
            account = ShareAccountFactory.create(
                session=s, member_id=member.id, product_code="SAVER", business_date=START
            )
            deposit_cash(
                s,
                share_account_id=account.id,
                amount=Money(amount, "GBP"),
                actor=STAFF,
                idempotency_key=f"open-{n}",
                business_date=START,
            )
    return fresh_engine


def _report(engine: Engine, out: Path, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    export(
        engine, lambda s: interest_report(s, from_date=start, to_date=end), ExportFormat.CSV, out
    )
    return csv_rows(out)


def _accrued(rows: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(r["interest_posted"], r["accrued_unposted"], r["accrued_through"]) for r in rows]


def _history_rows(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(text("SELECT count(*) FROM share_accrual_history")) or 0)


def test_accrued_per_member_at_a_past_date_is_the_exact_accrual_and_stays_so(
    savers: Engine, tmp_path: Path
) -> None:
    run_close_of_business(savers, until=MID_JANUARY)
    first = tmp_path / "first" / "interest.csv"
    first.parent.mkdir()
    # 15 days (1 to 15 January) x 12.3456p = 185.184p: 1.85 whole, rounded down as it would
    # post; 15 x 50p = 750p = 7.50. Nothing has posted yet.
    assert _accrued(_report(savers, first, START, MID_JANUARY)) == [
        ("0.00", "1.85", "2026-01-15"),
        ("0.00", "7.50", "2026-01-15"),
    ]

    run_close_of_business(savers, until=dt.date(2026, 2, 3))
    again = tmp_path / "again" / "interest.csv"
    again.parent.mkdir()
    _report(savers, again, START, MID_JANUARY)
    # Eighteen more days closed and January's interest posted: 15 January reads the same,
    # and so does its manifest (files' hashes, parameters, sums, the seals of the range)
    # but for how far the ledger is sealed now, which is when the export ran.
    for name in ("interest.csv", "interest.totals.csv"):
        assert (again.parent / name).read_bytes() == (first.parent / name).read_bytes(), name
    manifests = [
        json.loads((d / "interest.csv.manifest.json").read_text())
        for d in (first.parent, again.parent)
    ]
    assert [m["seals"].pop("sealed_through") for m in manifests] == ["2026-01-15", "2026-02-03"]
    assert manifests[0] == manifests[1]
    assert manifests[0]["parameters"]["accrued_recorded_from"] == "2026-01-01"

    # 31 January, after the posting: 31 x 12.3456p = 382.7136p, 3.82 posted and 0.7136p
    # carried (0.00 whole); 31 x 50p = 15.50 posted, nothing carried.
    january = tmp_path / "january.csv"
    assert _accrued(_report(savers, january, START, dt.date(2026, 1, 31))) == [
        ("3.82", "0.00", "2026-01-31"),
        ("15.50", "0.00", "2026-01-31"),
    ]
    # 2 February: the carry 0.7136p + 2 days on 1,238.38 (12.3838p a day) = 25.4812p, 0.25;
    # 2 x 50p on 5,015.50 (50.155p a day) = 100.31p, 1.00.
    february = tmp_path / "february.csv"
    assert _accrued(_report(savers, february, dt.date(2026, 2, 1), dt.date(2026, 2, 2))) == [
        ("0.00", "0.25", "2026-02-02"),
        ("0.00", "1.00", "2026-02-02"),
    ]


def test_the_accrual_and_posting_steps_rerun_add_no_history(savers: Engine) -> None:
    run_close_of_business(savers, until=dt.date(2026, 1, 31))
    # Two accounts accrued on each of 31 days; the posting rewrote 31 January's two rows.
    assert _history_rows(savers) == 62
    with unit_of_work(savers) as s:
        accrued = accrue_savings_interest(s, dt.date(2026, 1, 31), lambda done, total: None)
        posted = post_savings_interest(s, dt.date(2026, 1, 31), lambda done, total: None)
        assert (accrued.items, posted.items) == (0, 0)
        units = s.execute(
            text(
                "SELECT h.accrued_units FROM share_accrual_history h "
                "WHERE h.business_date = :d ORDER BY h.share_account_id"
            ),
            {"d": dt.date(2026, 1, 31)},
        ).scalars()
        # The carries: 0.7136p = 7,136,000,000 units; none on 5,000.00.
        assert [int(u) for u in units] == [7_136_000_000, 0]
    assert _history_rows(savers) == 62
