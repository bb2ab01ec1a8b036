"""The loans part of a close of business, timed: `python -m ops.bench_loans [--loans N] [--json PATH]`.

In a scratch database: a book of N active loans (`ops.loan_book`), then one business date's
loan steps, each in its own transaction as a COB would run them: accrue interest, collect
what falls due by mandate, age arrears; then the accrual again for the same date (a rerun,
which must post nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, select

from creditunion.platform.database import make_engine, unit_of_work
from launch.migrate import upgrade
from ledger.models import JournalEntry
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import accrue_interest
from loans.services.collection import collect_due_instalments
from ops.bench_ledger import drop_database, scratch_database, server_url
from ops.loan_book import generate_loan_book

BUSINESS_DATE: Final = dt.date(2026, 3, 2)
WRITE_OFF_DAYS: Final = 180


def run(
    *, loans: int = 20_000, loans_per_entry: int = 1, echo: Callable[[str], object] = print
) -> dict[str, Any]:
    server = server_url()
    name = f"cu_bench_loans_{uuid.uuid4().hex[:8]}"
    url = scratch_database(server, name)
    try:
        upgrade(url)
        engine = make_engine(url, pool_size=2)
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            generate_loan_book(session, count=loans, business_date=BUSINESS_DATE, echo=echo)
        setup = time.perf_counter() - started
        echo(f"book of {loans} loans made in {setup:.1f}s")
        steps: dict[str, float] = {}
        figures: dict[str, Any] = {}
        for step, work in (
            (
                "accrue_interest",
                lambda s: accrue_interest(
                    s, business_date=BUSINESS_DATE, loans_per_entry=loans_per_entry
                ),
            ),
            (
                "collect_due_instalments",
                lambda s: collect_due_instalments(s, business_date=BUSINESS_DATE),
            ),
            (
                "age_arrears",
                lambda s: age_arrears(
                    s, business_date=BUSINESS_DATE, write_off_after_days=WRITE_OFF_DAYS
                ),
            ),
            ("accrue_interest_rerun", lambda s: accrue_interest(s, business_date=BUSINESS_DATE)),
        ):
            started = time.perf_counter()
            with unit_of_work(engine) as session:
                result = work(session)
            steps[step] = round(time.perf_counter() - started, 3)
            figures[step] = _summary(result)
            echo(f"{step}: {steps[step]:.2f}s {figures[step]}")
        with unit_of_work(engine) as session:
            entries = session.scalar(
                select(func.count()).where(JournalEntry.business_date == BUSINESS_DATE)
            )
        engine.dispose()
    finally:
        drop_database(server, name)
    return {
        "loans": loans,
        "loans_per_entry": loans_per_entry,
        "business_date": BUSINESS_DATE.isoformat(),
        "setup_seconds": round(setup, 1),
        "step_seconds": steps,
        "loans_per_second_accrual": round(loans / steps["accrue_interest"]),
        "entries_on_the_date": entries,
        "results": figures,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _summary(result: Any) -> dict[str, Any]:
    keep = (
        "loans",
        "entries",
        "posted",
        "caught_up",
        "loans_due",
        "collected_in_full",
        "collected_in_part",
        "not_collected",
        "collected",
        "changed",
        "buckets",
        "late_fees",
    )
    return {key: getattr(result, key) for key in keep if hasattr(result, key)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=20_000)
    parser.add_argument("--loans-per-entry", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures = run(loans=args.loans, loans_per_entry=args.loans_per_entry)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
