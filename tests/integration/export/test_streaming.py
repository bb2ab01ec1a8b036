"""Exports stream: peak memory does not grow with the number of rows.

Each export runs in a child process of its own (as the benchmark runs them) over a journal
of 20,000 postings a day, once for one day and once for the whole range; the child reports
its own peak resident memory. Holding the rows would cost hundreds of megabytes more for
the larger run; streaming costs the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from creditunion.platform.database import libpq_url
from ledger.export.run import ExportFormat
from ops.bench_data import business_dates, generate_journal
from ops.bench_export import export_in_child

POSTINGS_PER_DAY = 20_000
GROWTH_MB_MAX = 15.0


@pytest.fixture(scope="module")
def journal_url(module_database_url: str) -> str:
    """One journal for every format: the exports only read it."""
    url = libpq_url(module_database_url)
    generate_journal(url, postings=POSTINGS_PER_DAY * 10, days=10)
    return url


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fmt", "days"),
    [
        (ExportFormat.CSV, 10),
        (ExportFormat.JSONL, 10),
        (ExportFormat.CAMT053, 10),
        (ExportFormat.XLSX, 5),
    ],
)
def test_peak_memory_stays_flat_as_the_rows_grow(
    journal_url: str, tmp_path: Path, fmt: ExportFormat, days: int
) -> None:
    dates = business_dates(days)
    small = export_in_child(
        journal_url, fmt, tmp_path / f"small{fmt.suffix}", from_date=dates[0], to_date=dates[0]
    )
    large = export_in_child(
        journal_url, fmt, tmp_path / f"large{fmt.suffix}", from_date=dates[0], to_date=dates[-1]
    )

    assert small["rows"] == POSTINGS_PER_DAY
    assert large["rows"] == POSTINGS_PER_DAY * days
    growth = large["peak_rss_mb"] - small["peak_rss_mb"]
    assert growth < GROWTH_MB_MAX, (small, large)
