"""`python -m ops bench api`: what HTTP, auth and validation cost on a transfer.

One run, one scratch database (the demo seeded, dropped afterwards), W workers throughout:

1. direct: W processes post two-line transfers between members' share accounts with
   `ledger.posting.post_entry`, one transaction each, closed loop (`direct_tps`);
2. service: the same through `creditunion.shares.movements.transfer_to_member`, the domain
   service the endpoint calls (`service_tps`: what the domain adds before HTTP);
3. API peak: `creditunion serve --workers W`, N concurrent clients (closed loop, several N
   tried) POSTing `/v1/transfers` as tellers, each with its own Idempotency-Key (`api_tps`,
   the best N);
4. open loop at half that rate (requests sent on a fixed schedule whatever the answers,
   latency measured from the scheduled time so queueing counts): `p99_ms_at_half_peak`.

The load generator runs in this process beside the server on the same machine; its CPU
share and the load average are reported, since other work on the machine moves figures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import random
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

import httpx
import psycopg

from creditunion.errors import Conflict
from creditunion.platform.database import make_engine, run_command
from ledger.checks import PostingRefused
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.ownership import STAFF
from ledger.posting import post_entry
from ops import harness
from ops.loadgen.recorder import percentile

CLIENT_COUNTS: Final = (4, 8, 16)
OPEN_LOOP_IN_FLIGHT_MAX: Final = 256
TELLER: Final = "demo.teller"
TARGET_RATIO: Final = 0.5
TARGET_P99_MS: Final = 50.0


def _accounts(url: str) -> list[tuple[int, int, str]]:
    """(share account id, ledger account id, account number) of open accounts of active members."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT s.id, s.ledger_account_id, s.account_number FROM share_accounts s "
            "JOIN members m ON m.id = s.member_id JOIN share_products p ON p.id = s.product_id "
            "WHERE s.status = 'open' AND m.status = 'active' AND p.kind = 'instant_access' "
            "ORDER BY s.id"
        ).fetchall()
    return [(int(a), int(b), str(c)) for a, b, c in rows]


def _business_date(url: str) -> dt.date:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT business_date FROM business_calendar").fetchone()
    assert row is not None and row[0] is not None
    return row[0]  # type: ignore[no-any-return]


def _small(rng: random.Random) -> Money:
    return Money.from_minor(rng.randint(1, 100), "GBP")


def direct_worker(url: str, accounts: list[Any], seconds: float, seed: int, start_at: float) -> int:
    engine = make_engine(url, pool_size=1)
    rng = random.Random(seed)
    business_date = _business_date(url)
    while time.time() < start_at:
        time.sleep(0.001)
    posted = 0
    while time.time() < start_at + seconds:
        (_, source, _), (_, target, _) = rng.sample(accounts, 2)
        amount = _small(rng)
        request = EntryRequest(
            idempotency_key=f"bench-direct-{uuid.uuid4()}",
            business_date=business_date,
            lines=(Line.debit(source, amount), Line.credit(target, amount)),
            description="bench transfer",
            posted_by="bench",
            kind="transfer",
        )
        try:
            run_command(engine, lambda s, r=request: post_entry(s, r))  # type: ignore[misc]
        except PostingRefused:
            continue  # an account at its floor: a refusal, as the API would answer 409
        posted += 1
    engine.dispose()
    return posted


def service_worker(
    url: str, accounts: list[Any], seconds: float, seed: int, start_at: float
) -> int:
    from creditunion.shares.movements import transfer_to_member

    engine = make_engine(url, pool_size=1)
    rng = random.Random(seed)
    business_date = _business_date(url)
    while time.time() < start_at:
        time.sleep(0.001)
    posted = 0
    while time.time() < start_at + seconds:
        (source, _, _), (_, _, number) = rng.sample(accounts, 2)
        amount = _small(rng)
        key = f"bench-service-{uuid.uuid4()}"

        def move(
            session: Any, s: int = source, n: str = number, a: Money = amount, k: str = key
        ) -> Any:
            return transfer_to_member(
                session,
                from_share_account_id=s,
                amount=a,
                actor="user:bench",
                idempotency_key=k,
                business_date=business_date,
                scope=STAFF,
                to_account_number=n,
            )

        try:
            run_command(engine, move)
        except Conflict:  # a refusal (funds, a limit, a closed account): not posted
            continue
        posted += 1
    engine.dispose()
    return posted


def run_processes(
    target: Callable[..., int], url: str, accounts: list[Any], workers: int, seconds: float
) -> float:
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0
    with context.Pool(workers) as pool:
        pending = [
            pool.apply_async(target, (url, accounts, seconds, n, start_at)) for n in range(workers)
        ]
        counts = [p.get(timeout=seconds + 120) for p in pending]
    return sum(counts) / seconds


# ---------------------------------------------------------------------------------- API


async def _tokens(http: httpx.AsyncClient, count: int) -> list[str]:
    tokens = []
    for _ in range(count):
        answer = await http.post(
            "/v1/auth/token", data={"username": TELLER, "password": harness.DEMO_PASSWORD}
        )
        answer.raise_for_status()
        tokens.append(answer.json()["access_token"])
    return tokens


def _transfer_body(rng: random.Random, accounts: list[Any]) -> dict[str, Any]:
    (source, _, _), (_, _, number) = rng.sample(accounts, 2)
    minor = rng.randint(1, 100)
    return {
        "from_account_id": source,
        "to_account_number": number,
        "amount": {"amount": f"0.{minor:02d}" if minor < 100 else "1.00", "currency": "GBP"},
    }


async def _send(http: httpx.AsyncClient, token: str, body: dict[str, Any]) -> int:
    try:
        answer = await http.post(
            "/v1/transfers",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
    except httpx.HTTPError:
        return 0
    return answer.status_code


async def closed_loop(
    base_url: str, accounts: list[Any], *, clients: int, seconds: float
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as http:
        tokens = await _tokens(http, clients)
        ok, failed, latencies = 0, 0, []
        stop_at = time.monotonic() + seconds

        async def client(n: int) -> None:
            nonlocal ok, failed
            rng = random.Random(n)
            while time.monotonic() < stop_at:
                began = time.perf_counter()
                status = await _send(http, tokens[n], _transfer_body(rng, accounts))
                latencies.append(time.perf_counter() - began)
                if status == 201:
                    ok += 1
                else:
                    failed += 1

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "clients": clients,
        "tps": round(ok / elapsed, 1),
        "failed": failed,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


async def open_loop(
    base_url: str, accounts: list[Any], *, rate: float, seconds: float
) -> dict[str, Any]:
    """Requests at `rate` per second on a fixed schedule; latency from the scheduled time."""
    connections = 64
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as http:
        tokens = await _tokens(http, 8)
        rng = random.Random(99)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        in_flight: set[asyncio.Task[None]] = set()
        skipped = 0

        async def one(scheduled: float, token: str, body: dict[str, Any]) -> None:
            status = await _send(http, token, body)
            latencies.append(time.perf_counter() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1

        start = time.perf_counter() + 0.2
        total = int(rate * seconds)
        for n in range(total):
            scheduled = start + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(in_flight) >= OPEN_LOOP_IN_FLIGHT_MAX:
                skipped += 1  # the server is far behind: counted, not queued without bound
                continue
            task = asyncio.create_task(
                one(scheduled, tokens[n % len(tokens)], _transfer_body(rng, accounts))
            )
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(in_flight, timeout=60)
    latencies.sort()
    return {
        "rate_per_s": round(rate, 1),
        "requests": len(latencies),
        "skipped_over_in_flight_cap": skipped,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def run(
    *,
    seconds: float,
    workers: int,
    echo: Callable[[str], Any],
    client_counts: tuple[int, ...] = CLIENT_COUNTS,
) -> dict[str, Any]:
    load_before = harness.load_average()
    with harness.prepared_credit_union(members=300, logins=0, echo=echo) as prepared:
        url = prepared.database_url
        accounts = _accounts(url)
        echo(f"direct: post_entry, {workers} processes, {seconds:.0f}s ...")
        direct_tps = run_processes(direct_worker, url, accounts, workers, seconds)
        echo(f"  {direct_tps:,.1f} transfers/s")
        echo(f"service: transfer_to_member, {workers} processes, {seconds:.0f}s ...")
        service_tps = run_processes(service_worker, url, accounts, workers, seconds)
        echo(f"  {service_tps:,.1f} transfers/s")
        server = harness.ApiServer(url, workers=workers)
        server.start()
        try:
            peaks = []
            for clients in client_counts:
                echo(f"API closed loop: {clients} clients, {seconds:.0f}s ...")
                cpu_before, started = time.process_time(), time.monotonic()
                peak = asyncio.run(
                    closed_loop(server.base_url, accounts, clients=clients, seconds=seconds)
                )
                peak["generator_cpu_share"] = round(
                    (time.process_time() - cpu_before) / (time.monotonic() - started), 2
                )
                echo(f"  {peak}")
                peaks.append(peak)
            best = max(peaks, key=lambda p: p["tps"])
            half = best["tps"] / 2
            echo(f"API open loop at half the peak, {half:.1f}/s for {seconds:.0f}s ...")
            opened = asyncio.run(open_loop(server.base_url, accounts, rate=half, seconds=seconds))
            echo(f"  {opened}")
        finally:
            server.stop()
    api_tps = best["tps"]
    return {
        "direct_tps": round(direct_tps, 1),
        "api_tps": api_tps,
        "api_vs_direct": round(api_tps / direct_tps, 3) if direct_tps else None,
        "p99_ms_at_half_peak": opened["p99_ms"],
        "service_tps": round(service_tps, 1),
        "api_vs_service": round(api_tps / service_tps, 3) if service_tps else None,
        "targets": {
            "api_vs_direct_at_least": TARGET_RATIO,
            "p99_ms_at_half_peak_below": TARGET_P99_MS,
            "api_vs_direct_met": bool(direct_tps) and api_tps / direct_tps >= TARGET_RATIO,
            "p99_met": opened["p99_ms"] < TARGET_P99_MS,
        },
        "workers": workers,
        "seconds_per_phase": seconds,
        "closed_loop": peaks,
        "open_loop": opened,
        "load_average_before": load_before,
        "load_average_after": harness.load_average(),
        "cpus": multiprocessing.cpu_count(),
    }
