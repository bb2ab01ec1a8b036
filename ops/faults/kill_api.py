"""Fault: kill -9 every API process in the middle of load, restart it, let clients retry.

    python -m ops.faults.kill_api [--seconds 40] [--json out/fault_kill_api.json]

The API (supervisor and workers, one process group) gets SIGKILL at 40% of the run, so
requests in flight die with their connections; it is started again two seconds later.
Each client sends every unconfirmed operation again with its own Idempotency-Key until it
is confirmed or refused. Afterwards every key attempted is looked up in the journal: none
confirmed is missing, none is there twice, none unconfirmed slipped in.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from ops import harness
from ops.faults.common import emit, report
from ops.loadgen import mix
from ops.loadgen.client import OpBook
from ops.loadgen.reconcile import compare_journal, ledger_checks
from ops.loadgen.recorder import Recorder

DOWN_S = 2.0


def run(*, seconds: float, workers: int, png: Path | None) -> dict[str, Any]:
    with harness.prepared_credit_union(members=150, logins=20, echo=print) as prepared:
        mix.remember_logins(prepared.database_url)
        world = mix.World.load(prepared.database_url, prepared.members)
        server = harness.ApiServer(prepared.database_url, workers=workers)
        server.start()
        recorder, book = Recorder(), OpBook()
        config = mix.MixConfig(member_users=16, teller_users=4, think_s=0.02, seconds=seconds)
        killed: list[int] = []

        async def scenario() -> None:
            load = asyncio.create_task(mix.drive(server.base_url, world, config, recorder, book))
            await asyncio.sleep(seconds * 0.4)
            recorder.mark("kill -9 API")
            killed.extend(await asyncio.to_thread(server.kill9))
            await asyncio.sleep(DOWN_S)
            recorder.mark("API restarted")
            await asyncio.to_thread(server.start)
            await load
            await mix.settle(server.base_url, recorder, book, patience_s=120)

        try:
            asyncio.run(scenario())
        finally:
            server.stop()
        harness.run_cob(prepared.database_url)
        journal = compare_journal(prepared.database_url, book)
        ledger = ledger_checks(prepared.database_url)
    if png is not None:
        recorder.plot(png, title="fault: kill -9 of the API under load")
    return report(
        fault="kill_api",
        injected=f"SIGKILL to every process of the API's group ({len(killed)}: the supervisor, "
        f"its {workers} workers and their helpers) at {seconds * 0.4:.0f}s of {seconds:.0f}s; "
        f"restarted {DOWN_S:.0f}s later",
        recorder=recorder,
        book=book,
        journal=journal,
        ledger=ledger,
        extra={"transport_errors": sum(1 for s in recorder.samples if s[2] == 0)},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=Path("out/fault_kill_api.json"))
    parser.add_argument("--png", type=Path, default=Path("out/fault_kill_api.png"))
    args = parser.parse_args(argv)
    if not 10 <= args.seconds <= 600:
        parser.error("--seconds is 10 to 600")
    return emit(run(seconds=args.seconds, workers=args.workers, png=args.png), args.json)


if __name__ == "__main__":
    sys.exit(main())
