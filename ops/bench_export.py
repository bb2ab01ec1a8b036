"""`python -m ops bench export`: seal and export a journal of N postings; time and memory.

In a scratch database (dropped afterwards): N postings written set-based over a few
business dates; the dates closed and sealed (timed, as the seal throughput); verify
(timed); then the general ledger of the whole range exported as CSV, xlsx and JSON Lines,
each in a child process of its own that reports its own peak resident memory (VmHWM),
so one export's memory is never mistaken for another's or the parent's.

Run as `python -m ops.bench_export --child URL FORMAT OUT FROM TO` it is that child (the
streaming-memory test runs it too).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from creditunion.platform.database import make_engine, sqlalchemy_url, unit_of_work
from launch.migrate import upgrade
from ledger.export.gl import general_ledger
from ledger.export.run import ExportFormat, snapshot, write_camt053, write_report
from ledger.periods import close_business_date
from ledger.seal import seal_day
from ledger.verify import verify
from ops.bench_data import business_dates, generate_journal
from ops.bench_ledger import drop_database, scratch_database, server_url

DAYS: Final = 5
DATABASE: Final = "cu_bench_export"
CHILD_TIMEOUT_S: Final = 3_600


def export_in_child(
    url: str,
    export_format: ExportFormat,
    out: Path,
    *,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
) -> dict[str, float]:
    """Run one general-ledger export in a fresh interpreter; its seconds and peak RSS (MB)."""
    days = business_dates(DAYS)
    first, last = from_date or days[0], to_date or days[-1]
    command = [sys.executable, "-m", "ops.bench_export", "--child", url, export_format.value]
    completed = subprocess.run(
        [*command, str(out), first.isoformat(), last.isoformat()],
        check=True,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def _child(url: str, export_format: str, out: str, first: str, last: str) -> None:
    engine = make_engine(url, pool_size=1)
    from_date, to_date = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    started = time.perf_counter()
    with snapshot(engine) as session:
        report = general_ledger(session, from_date=from_date, to_date=to_date)
        if export_format == ExportFormat.CAMT053:
            result = write_camt053(session, report, Path(out))
        else:
            result = write_report(session, report, ExportFormat(export_format), Path(out))
    seconds = time.perf_counter() - started
    engine.dispose()
    peak_mb = peak_rss_mb()
    parts = result.manifest["parts"]
    rows = parts["entries" if "entries" in parts else "postings"]["rows"]
    print(
        json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb, 1), "rows": rows})
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (exec'd), in MB.

    Linux's VmHWM, not getrusage's ru_maxrss: the kernel carries ru_maxrss across exec, so a
    child forked from a large parent would report the parent's peak as its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(label: str, echo: Callable[[str], Any], work: Callable[[], Any]) -> float:
    echo(f"{label} ...")
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    echo(f"  {seconds:.1f} s")
    return seconds


def seal_days(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    days = business_dates(DAYS)
    with unit_of_work(engine) as session:
        close_business_date(session, business_date=days[-1], closed_by="bench")
    for day in days:
        with unit_of_work(engine) as session:
            seal_day(session, business_date=day, sealed_by="bench")
    engine.dispose()


def verify_all(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    with snapshot(engine) as session:
        report = verify(session)
    engine.dispose()
    if not report.ok:
        raise AssertionError(f"verify failed on a fresh bench journal: {report.first_break}")


def run(*, postings: int, echo: Callable[[str], Any]) -> dict[str, Any]:
    server = server_url()
    url = scratch_database(server, DATABASE)
    figures: dict[str, Any] = {"postings": postings}
    try:
        upgrade(sqlalchemy_url(url))
        generate = _timed(
            f"generating {postings:,} postings",
            echo,
            lambda: generate_journal(url, postings=postings, days=DAYS),
        )
        seal = _timed(f"closing and sealing {DAYS} days", echo, lambda: seal_days(url))
        check = _timed("verifying the seals and invariants", echo, lambda: verify_all(url))
        figures |= {
            "generate_seconds": round(generate, 2),
            "seal_seconds": round(seal, 2),
            "seal_postings_per_second": round(postings / seal),
            "verify_seconds": round(check, 2),
        }
        with tempfile.TemporaryDirectory(prefix="cu-bench-export-") as folder:
            for export_format in (ExportFormat.CSV, ExportFormat.XLSX, ExportFormat.JSONL):
                echo(f"exporting the general ledger as {export_format} ...")
                out = Path(folder) / f"gl{export_format.suffix}"
                child = export_in_child(url, export_format, out)
                echo(f"  {child['seconds']:.1f} s, peak {child['peak_rss_mb']:.0f} MB")
                figures[f"{export_format}_seconds"] = child["seconds"]
                figures[f"{export_format}_peak_rss_mb"] = child["peak_rss_mb"]
                figures[f"{export_format}_bytes"] = out.stat().st_size
    finally:
        drop_database(server, DATABASE)
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
    else:
        raise SystemExit("usage: python -m ops.bench_export --child URL FORMAT OUT FROM TO")
