"""Fault: kill -9 close of business in the middle of its run, with the API under load.

    python -m ops.faults.kill_scheduler [--seconds 40] [--kill-step savings_posting]
        [--json out/fault_kill_scheduler.json]

With the realistic mix running, `creditunion cob run --until <month end> --beyond-today`
(the month end is usually after today's calendar date) catches up the days to the end of
the month and is killed with SIGKILL while the month end's
`--kill-step` runs (default `savings_posting`, which posts every account's interest); it is
then run again to the end. For each
day closed: one completed record per step, each COB journal entry present once (idempotency
keys distinct, one entry per account and kind), the seals verifying; and the API's own
operations are checked against the journal as in the other faults.
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from creditunion.actors import COB_ACTOR
from creditunion.cob.plan import STEPS
from ops import harness
from ops.faults.common import emit, report
from ops.loadgen import mix
from ops.loadgen.client import OpBook
from ops.loadgen.reconcile import compare_journal, ledger_checks
from ops.loadgen.recorder import Recorder

COB_POSTED_BY = COB_ACTOR
KILL_WAIT_S = 120.0
KILL_POLL_S = 0.002
# Month end posts every account's interest: the heaviest step to be killed in.
DEFAULT_KILL_STEP = "savings_posting"


def _month_end(url: str) -> dt.date:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT business_date FROM business_calendar").fetchone()
    assert row is not None
    today: dt.date = row[0]
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _kill_cob_mid_run(url: str, first: dt.date, target: tuple[str, dt.date]) -> dict[str, Any]:
    """Start `cob run` from `first`, SIGKILL it while the target step of the target day runs
    (or just after it commits, if every poll misses it running)."""
    step, day = target
    process = subprocess.Popen(
        [
            *harness.creditunion_command(),
            "cob",
            "run",
            "--until",
            day.isoformat(),
            "--beyond-today",
        ],
        env=harness.cli_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + KILL_WAIT_S
    status: str | None = None
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline and process.poll() is None:
            row = conn.execute(
                "SELECT status FROM cob_step_runs WHERE step = %s AND business_date = %s",
                (step, day),
            ).fetchone()
            status = None if row is None else str(row[0])
            if status in ("running", "completed"):
                break
            time.sleep(KILL_POLL_S)
    exited_before_kill = process.poll() is not None
    if not exited_before_kill:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    with psycopg.connect(url) as conn:
        at_kill = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'completed'), "
            "count(*) FILTER (WHERE status = 'running') "
            "FROM cob_step_runs WHERE business_date >= %s",
            (first,),
        ).fetchone()
    assert at_kill is not None
    return {
        "killed_while": f"{day} {step} {status or 'not reached'}",
        "exited_before_kill": exited_before_kill,
        "steps_completed_at_kill": int(at_kill[0]),
        "steps_left_running_by_kill": int(at_kill[1]),
    }


def _cob_accounting(url: str, first: dt.date, until: dt.date) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        steps = conn.execute(
            "SELECT business_date, step, count(*), bool_and(status = 'completed'), max(attempts) "
            "FROM cob_step_runs WHERE business_date BETWEEN %s AND %s "
            "GROUP BY business_date, step ORDER BY business_date, step",
            (first, until),
        ).fetchall()
        entries = conn.execute(
            "SELECT e.business_date, e.kind, count(*), count(DISTINCT e.idempotency_key) "
            "FROM journal_entries e WHERE e.posted_by LIKE 'system:%%' "
            "AND e.business_date BETWEEN %s AND %s GROUP BY 1, 2 ORDER BY 1, 2",
            (first, until),
        ).fetchall()
        # The same account credited twice by one kind of COB entry on one day is a double post.
        doubled = conn.execute(
            "SELECT count(*) FROM (SELECT e.business_date, e.kind, p.account_id "
            "FROM journal_entries e JOIN postings p ON p.entry_id = e.id "
            "JOIN share_accounts s ON s.ledger_account_id = p.account_id "
            "WHERE e.posted_by = %s AND e.business_date BETWEEN %s AND %s "
            "GROUP BY 1, 2, 3 HAVING count(DISTINCT e.id) > 1) d",
            (COB_POSTED_BY, first, until),
        ).fetchone()
        seals = conn.execute(
            "SELECT count(*) FROM ledger_day_seals WHERE business_date BETWEEN %s AND %s",
            (first, until),
        ).fetchone()
    return {
        "steps": [
            {
                "date": str(d),
                "step": s,
                "records": n,
                "completed": ok,
                "attempts": attempts,
            }
            for d, s, n, ok, attempts in steps
        ],
        "cob_entries": [
            {"date": str(d), "kind": k, "entries": n, "distinct_keys": keys}
            for d, k, n, keys in entries
        ],
        "accounts_posted_twice_by_one_kind": int(doubled[0]) if doubled else None,
        "days_sealed": int(seals[0]) if seals else 0,
    }


def run(*, seconds: float, workers: int, kill_step: str) -> dict[str, Any]:
    with harness.prepared_credit_union(members=300, logins=20, echo=print) as prepared:
        url = prepared.database_url
        mix.remember_logins(url)
        world = mix.World.load(url, prepared.members)
        server = harness.ApiServer(url, workers=workers)
        server.start()
        recorder, book = Recorder(), OpBook()
        config = mix.MixConfig(member_users=12, teller_users=4, think_s=0.05, seconds=seconds)
        with psycopg.connect(url) as conn:
            first_row = conn.execute("SELECT business_date FROM business_calendar").fetchone()
        assert first_row is not None
        first: dt.date = first_row[0]
        until = _month_end(url)
        outcome: dict[str, Any] = {}

        async def scenario() -> None:
            load = asyncio.create_task(mix.drive(server.base_url, world, config, recorder, book))
            await asyncio.sleep(seconds * 0.3)
            recorder.mark("cob run started, killed -9 mid-run")
            outcome["kill"] = await asyncio.to_thread(
                _kill_cob_mid_run, url, first, (kill_step, until)
            )
            recorder.mark("cob run again")
            rerun = await asyncio.to_thread(
                subprocess.run,
                [
                    *harness.creditunion_command(),
                    "cob",
                    "run",
                    "--until",
                    until.isoformat(),
                    "--beyond-today",
                ],
                env=harness.cli_env(url),
                capture_output=True,
                text=True,
                timeout=600,
            )
            outcome["rerun_exit"] = rerun.returncode
            outcome["rerun_tail"] = rerun.stderr[-500:] if rerun.returncode else ""
            await load
            await mix.settle(server.base_url, recorder, book, patience_s=120)

        try:
            asyncio.run(scenario())
        finally:
            server.stop()
        accounting = _cob_accounting(url, first, until)
        journal = compare_journal(url, book)
        ledger = ledger_checks(url)
    result = report(
        fault="kill_scheduler",
        injected=f"SIGKILL to `creditunion cob run --until {until}` (from {first}) while "
        f"{outcome['kill']['killed_while']}; run again to the end, the API under load throughout",
        recorder=recorder,
        book=book,
        journal=journal,
        ledger=ledger,
        extra={**outcome, "cob": accounting},
    )
    steps_once = all(s["records"] == 1 and s["completed"] for s in accounting["steps"])
    keys_once = all(e["entries"] == e["distinct_keys"] for e in accounting["cob_entries"])
    days = (until - first).days + 1
    steps_per_day = len(accounting["steps"]) // max(days, 1)
    interrupted = (
        not outcome["kill"]["exited_before_kill"]
        and outcome["kill"]["steps_completed_at_kill"] < days * steps_per_day
    )
    result["ok"] = bool(
        result["ok"]
        and interrupted
        and outcome["rerun_exit"] == 0
        and steps_once
        and keys_once
        and accounting["accounts_posted_twice_by_one_kind"] == 0
        and accounting["days_sealed"] == days
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=Path("out/fault_kill_scheduler.json"))
    parser.add_argument(
        "--kill-step",
        choices=[step.name for step in STEPS],
        default=DEFAULT_KILL_STEP,
        help="the step of the month end's close during which the run is killed",
    )
    args = parser.parse_args(argv)
    if not 10 <= args.seconds <= 600:
        parser.error("--seconds is 10 to 600")
    return emit(
        run(seconds=args.seconds, workers=args.workers, kill_step=args.kill_step), args.json
    )


if __name__ == "__main__":
    sys.exit(main())
