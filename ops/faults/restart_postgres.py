"""Fault: restart PostgreSQL in the middle of load (a private cluster, never the shared one).

    python -m ops.faults.restart_postgres [--seconds 40] [--down 5] [--json out/fault_restart_pg.json]

A PostgreSQL 15 cluster of its own on a free loopback port holds the credit union; the API
runs against it under the realistic mix. At 35% of the run the cluster is stopped
(`pg_ctl -m fast`, which ends every connection), left down for `--down` seconds, then
started again. Meanwhile a probe reads and posts every 200 ms and keeps every answer: while
the database is down the API must answer 503 problem+json with Retry-After (never 500),
and it must recover by itself, without a restart. Then the journal and invariants.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from ops import harness
from ops.faults.common import emit, report
from ops.loadgen import mix
from ops.loadgen.client import OpBook
from ops.loadgen.reconcile import compare_journal, ledger_checks
from ops.loadgen.recorder import Recorder

PROBE_EVERY_S = 0.2


async def probe(
    base_url: str, token: str, account_id: int, stop: asyncio.Event, seen: list[dict[str, Any]]
) -> None:
    """Answers to a read and a deposit, all through the outage; each with its timestamp."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=15.0) as http:
        while not stop.is_set():
            for method, path, body in (
                ("GET", f"/v1/share-accounts/{account_id}", None),
                (
                    "POST",
                    "/v1/cash/deposits",
                    {"account_id": account_id, "amount": {"amount": "0.01", "currency": "GBP"}},
                ),
            ):
                sent = {**headers, "Idempotency-Key": f"probe-{uuid.uuid4()}"}
                try:
                    answer = await http.request(method, path, json=body, headers=sent)
                except httpx.HTTPError as exc:
                    seen.append({"t": time.monotonic(), "status": 0, "error": type(exc).__name__})
                    continue
                seen.append(
                    {
                        "t": time.monotonic(),
                        "status": answer.status_code,
                        "content_type": answer.headers.get("content-type"),
                        "retry_after": answer.headers.get("retry-after"),
                        "type": answer.json().get("type") if answer.status_code >= 400 else None,
                    }
                )
            await asyncio.sleep(PROBE_EVERY_S)


def run(*, seconds: float, down_s: float, workers: int, png: Path | None) -> dict[str, Any]:
    with (
        harness.private_cluster() as cluster,
        harness.prepared_credit_union(
            members=150, logins=20, server=cluster.url, echo=print
        ) as prepared,
    ):
        mix.remember_logins(prepared.database_url)
        world = mix.World.load(prepared.database_url, prepared.members)
        server = harness.ApiServer(prepared.database_url, workers=workers)
        server.start()
        recorder, book = Recorder(), OpBook()
        config = mix.MixConfig(member_users=16, teller_users=4, think_s=0.02, seconds=seconds)
        seen: list[dict[str, Any]] = []
        marks: dict[str, float] = {}
        token = httpx.post(
            server.base_url + "/v1/auth/token",
            data={"username": "demo.teller", "password": harness.DEMO_PASSWORD},
        ).json()["access_token"]

        async def scenario() -> None:
            stop = asyncio.Event()
            watch = asyncio.create_task(
                probe(server.base_url, token, world.accounts[0].id, stop, seen)
            )
            load = asyncio.create_task(mix.drive(server.base_url, world, config, recorder, book))
            await asyncio.sleep(seconds * 0.35)
            recorder.mark("PostgreSQL stopped")
            marks["stopped"] = time.monotonic()
            await asyncio.to_thread(cluster.stop, "fast")
            marks["down"] = time.monotonic()
            await asyncio.sleep(down_s)
            recorder.mark("PostgreSQL started")
            await asyncio.to_thread(cluster.start)
            marks["started"] = time.monotonic()
            await load
            await mix.settle(server.base_url, recorder, book, patience_s=120)
            stop.set()
            await watch

        try:
            asyncio.run(scenario())
            api_survived = server.process is not None and server.process.poll() is None
        finally:
            server.stop()
        harness.run_cob(prepared.database_url)
        journal = compare_journal(prepared.database_url, book)
        ledger = ledger_checks(prepared.database_url)
    during = [s for s in seen if marks["down"] <= s["t"] < marks["started"]]
    after = [s for s in seen if s["t"] >= marks["started"]]
    first_ok = next((s["t"] for s in after if 200 <= s["status"] < 300), None)
    statuses_during = Counter(s["status"] for s in during)
    well_formed_503 = sum(
        1
        for s in during
        if s["status"] == 503
        and s["content_type"] == "application/problem+json"
        and (s["retry_after"] or "").isdigit()
    )
    all_5xx = Counter(s[2] for s in recorder.samples if s[2] >= 500)
    if png is not None:
        recorder.plot(png, title="fault: PostgreSQL restarted under load")
    result = report(
        fault="restart_postgres",
        injected=f"pg_ctl stop -m fast of the private cluster at {seconds * 0.35:.0f}s of "
        f"{seconds:.0f}s, down {down_s:.0f}s, then pg_ctl start; the API was not restarted",
        recorder=recorder,
        book=book,
        journal=journal,
        ledger=ledger,
        extra={
            "probe_answers_while_down": dict(statuses_during),
            "probe_503_problem_json_with_retry_after": well_formed_503,
            "probe_problem_types_while_down": dict(Counter(s["type"] for s in during)),
            "load_5xx_by_status": {str(k): v for k, v in all_5xx.items()},
            "seconds_to_first_success_after_start": None
            if first_ok is None
            else round(first_ok - marks["started"], 2),
            "api_process_survived": api_survived,
        },
    )
    result["ok"] = bool(
        result["ok"]
        and api_survived
        and first_ok is not None
        and statuses_during.get(500, 0) == 0
        and "500" not in result["load_5xx_by_status"]
        and well_formed_503 == statuses_during.get(503, 0) > 0
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--down", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=Path("out/fault_restart_pg.json"))
    parser.add_argument("--png", type=Path, default=Path("out/fault_restart_pg.png"))
    args = parser.parse_args(argv)
    if not 10 <= args.seconds <= 600 or not 1 <= args.down <= 60:
        parser.error("--seconds 10-600, --down 1-60")
    return emit(
        run(seconds=args.seconds, down_s=args.down, workers=args.workers, png=args.png), args.json
    )


if __name__ == "__main__":
    sys.exit(main())
