"""The load run: the realistic mix against `creditunion serve`, then the books checked.

    python -m ops.load --seconds 60 --workers 2 --members 24 --tellers 6 \
        --json out/load.json --png out/load.png

On a scratch database of the shared server (dropped afterwards): the demo seeded, member
logins added, one close of business (sealing the demo's history); the API served with N
workers; the mix driven for the given time (bounded), then every unconfirmed operation
retried with its own key; close of business again (sealing the day of load); then the
journal compared with what the clients saw and every invariant and seal checked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any, Final

import httpx

from ops import harness
from ops.loadgen import mix
from ops.loadgen.client import OpBook
from ops.loadgen.reconcile import compare_journal, ledger_checks
from ops.loadgen.recorder import Recorder

SECONDS_MAX: Final = 900.0
USERS_MAX: Final = 400
SETTLE_S: Final = 120.0


def generator_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_load(
    *,
    seconds: float,
    workers: int,
    members: int,
    tellers: int,
    think_ms: float,
    seed_members: int,
    echo: Any = print,
) -> dict[str, Any]:
    if not 0 < seconds <= SECONDS_MAX or not 0 < members + tellers <= USERS_MAX:
        raise ValueError(f"1-{SECONDS_MAX:.0f}s and 1-{USERS_MAX} users")
    with harness.prepared_credit_union(
        members=seed_members, logins=max(members, 10), echo=echo
    ) as prepared:
        mix.remember_logins(prepared.database_url)
        world = mix.World.load(prepared.database_url, prepared.members)
        server = harness.ApiServer(prepared.database_url, workers=workers)
        server.start()
        try:
            paths = set(httpx.get(server.base_url + "/openapi.json", timeout=60).json()["paths"])
            loans = mix.loan_actions(paths)
            config = mix.MixConfig(
                member_users=members, teller_users=tellers, think_s=think_ms / 1000, seconds=seconds
            )
            recorder, book = Recorder(), OpBook()
            load_before = harness.load_average()
            server_pids = server.pids()
            server_cpu, own_cpu, wall = (
                harness.cpu_seconds(server_pids),
                generator_cpu_s(),
                time.monotonic(),
            )
            echo(
                f"load: {members} members + {tellers} tellers for {seconds:.0f}s, {workers} API workers ..."
            )
            asyncio.run(mix.drive(server.base_url, world, config, recorder, book, loans=loans))
            wall = time.monotonic() - wall
            server_cpu = harness.cpu_seconds(server_pids) - server_cpu
            own_cpu = generator_cpu_s() - own_cpu
            load_after = harness.load_average()
            asyncio.run(mix.settle(server.base_url, recorder, book, patience_s=SETTLE_S))
        finally:
            server.stop()
        echo("closing the day of load and checking the books ...")
        harness.run_cob(prepared.database_url)
        journal = compare_journal(prepared.database_url, book)
        ledger = ledger_checks(prepared.database_url)
    summary = recorder.summary(window=(0.0, seconds))
    return {
        "config": {
            "seconds": seconds,
            "api_workers": workers,
            "member_users": members,
            "teller_users": tellers,
            "think_ms": think_ms,
            "demo_members": seed_members,
            "generator": "asyncio + httpx, one process",
        },
        "loans_in_mix": bool(loans),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "generator_cpu_share_of_one_core": round(own_cpu / wall, 2),
        "api_cpu_share_of_one_core": round(server_cpu / wall, 2),
        "summary": summary,
        "money_ops": book.counts(),
        "journal": journal,
        "ledger": ledger,
        "timeline": recorder.timeline(),
        "_recorder": recorder,
    }


def write_outputs(
    report: dict[str, Any], json_path: Path | None, png_path: Path | None, title: str
) -> None:
    recorder: Recorder = report.pop("_recorder")
    if png_path is not None:
        if recorder.plot(png_path, title=title):
            report["png"] = str(png_path)
        else:
            report["png"] = "not drawn: matplotlib is not installed (pip install -e '.[dev]')"
    text = json.dumps(report, indent=2)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text + "\n")


def headline(report: dict[str, Any]) -> str:
    overall = report["summary"]["overall"]
    lines = [
        f"overall: {overall['per_s']} req/s, p50 {overall['p50_ms']} ms, p95 {overall['p95_ms']} ms, "
        f"p99 {overall['p99_ms']} ms, errors {overall['errors']}",
    ]
    for name, figures in report["summary"]["endpoints"].items():
        lines.append(
            f"  {name:<42} {figures['per_s']:>7} /s  p50 {figures['p50_ms']:>7}  "
            f"p95 {figures['p95_ms']:>7}  p99 {figures['p99_ms']:>7}  errors {figures['errors']}  "
            f"statuses {figures['statuses']}"
        )
    lines.append(f"money ops: {report['money_ops']}")
    journal = {k: v for k, v in report["journal"].items() if k != "samples"}
    lines.append(f"journal vs clients: {journal}")
    ledger = report["ledger"]
    lines.append(
        f"ledger: invariants ok={ledger['invariants_ok']}, seals ok={ledger['seals_ok']} "
        f"({ledger['sealed_days_verified']} sealed days verified)"
    )
    lines.append(
        f"generator CPU {report['generator_cpu_share_of_one_core']} of a core, API "
        f"{report['api_cpu_share_of_one_core']}; load average {report['load_average_before']} -> "
        f"{report['load_average_after']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Drive the API with the realistic mix.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--members", type=int, default=24, help="member users (closed loop)")
    parser.add_argument("--tellers", type=int, default=6, help="teller users (closed loop)")
    parser.add_argument("--think-ms", type=float, default=50.0, help="mean think time")
    parser.add_argument("--seed-members", type=int, default=300, help="demo members to seed")
    parser.add_argument("--json", type=Path, default=Path("out/load.json"))
    parser.add_argument("--png", type=Path, default=Path("out/load.png"))
    args = parser.parse_args(argv)
    report = run_load(
        seconds=args.seconds,
        workers=args.workers,
        members=args.members,
        tellers=args.tellers,
        think_ms=args.think_ms,
        seed_members=args.seed_members,
    )
    write_outputs(report, args.json, args.png, title="creditunion load: realistic mix")
    print(headline(report))
    ok = (
        report["ledger"]["invariants_ok"]
        and report["ledger"]["seals_ok"]
        and report["journal"]["lost"] == 0
        and report["journal"]["duplicated"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
