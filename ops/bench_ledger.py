"""`python -m ops bench ledger`: the posting service against pgbench on the same server.

Three timed phases in one run, each in a scratch database dropped afterwards:
pgbench's TPC-B-like script with W clients; two-line transfers through `post_entry`
with W worker processes (one transaction each, as an API worker would run them); and
transfers through `post_batch`, each worker on its own slice of accounts.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import psycopg

from creditunion.platform.database import libpq_url, make_engine, run_command, unit_of_work
from creditunion.platform.embedded_db import embedded_server_url, with_database
from creditunion.platform.settings import get_settings
from launch.migrate import upgrade
from ledger.accounts import open_account
from ledger.batch import Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.models import AccountType
from ledger.money import Money
from ledger.periods import DAY_CLOSE_LOCK_KEY
from ledger.posting import post_entry

ACCOUNTS: Final = 1_000
BATCH_SIZE: Final = 2_000
PGBENCH_SCALE: Final = 10
OPENING_MINOR: Final = 10_000_000
BENCH_DATE = __import__("datetime").date(2026, 1, 5)


def server_url() -> str:
    settings = get_settings()
    if settings.database_url:
        return libpq_url(settings.database_url)
    return embedded_server_url(settings.embedded_data_dir, create=True)


def pgbench_binary() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    import pgserver._commands as commands  # the embedded build ships pgbench too

    return str(Path(commands.POSTGRES_BIN_PATH) / "pgbench")


def scratch_database(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server, name)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure_pgbench(server: str, *, clients: int, seconds: float) -> float:
    url = scratch_database(server, "cu_bench_pgbench")
    binary = pgbench_binary()
    try:
        subprocess.run(
            [binary, "-i", "-q", "-s", str(PGBENCH_SCALE), url], check=True, capture_output=True
        )
        run = subprocess.run(
            [binary, "-n", "-c", str(clients), "-j", str(clients), "-T", str(int(seconds)), url],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        drop_database(server, "cu_bench_pgbench")
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", run.stdout)
    assert match, run.stdout
    return float(match.group(1))


# The posting service's own statements (ledger/posting.py: savepoint, account locks, the
# write), replayed by pgbench's C client: what the same work costs with no Python at all.
LEDGER_SQL_SCRIPT: Final = """
\\set a random({low}, {high})
\\set other random({low}, {high} - 1)
\\set b CASE WHEN :other >= :a THEN :other + 1 ELSE :other END
BEGIN;
SAVEPOINT ledger_write;
SELECT id, currency, status, type, floor_minor, balance_minor, header,
       pg_advisory_xact_lock_shared({lock}) FROM ledger_accounts
 WHERE id = ANY(ARRAY[least(:a, :b), greatest(:a, :b)]::bigint[]) ORDER BY id FOR UPDATE;
WITH k AS (SELECT gen_random_uuid() AS id), existing AS (SELECT e.id FROM journal_entries e, k WHERE e.idempotency_key = k.id::text), open_date AS (SELECT NOT EXISTS (SELECT 1 FROM ledger_day_closes WHERE business_date >= '{day}') AND NOT EXISTS (SELECT 1 FROM existing) AS ok), entry AS (INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date, description, reference, kind, reverses_entry_id, metadata, posted_by) SELECT k.id, k.id::text, sha256(k.id::text::bytea), '{day}', 'bench transfer', NULL, 'transfer', NULL, '{{}}'::jsonb, 'bench' FROM open_date, k WHERE ok RETURNING sequence_no, posted_at), lines AS (INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date) SELECT k.id, l.account_id, l.amount_minor, 'GBP', '{day}' FROM unnest(ARRAY[:a, :b]::bigint[], ARRAY[1, -1]::bigint[]) AS l(account_id, amount_minor), open_date, k WHERE open_date.ok), balances AS (UPDATE ledger_accounts AS a SET balance_minor = a.balance_minor + n.delta FROM unnest(ARRAY[:a, :b]::bigint[], ARRAY[1, -1]::bigint[]) AS n(id, delta), open_date WHERE a.id = n.id AND open_date.ok) SELECT entry.sequence_no FROM open_date LEFT JOIN entry ON true;
COMMIT;
"""


def measure_ledger_sql(url: str, ids: list[int], *, clients: int, seconds: float) -> float:
    script = LEDGER_SQL_SCRIPT.format(
        low=min(ids), high=max(ids), lock=DAY_CLOSE_LOCK_KEY, day=BENCH_DATE.isoformat()
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
        file.write(script)
        file.flush()
        run = subprocess.run(
            [
                pgbench_binary(),
                "-n",
                "-M",
                "prepared",
                "-f",
                file.name,
                "-c",
                str(clients),
                "-j",
                str(clients),
                "-T",
                str(int(seconds)),
                libpq_url(url),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", run.stdout)
    assert match, run.stdout
    return float(match.group(1))


def prepare_ledger(url: str) -> list[int]:
    upgrade(url)
    engine = make_engine(url, pool_size=2)
    with unit_of_work(engine) as session:
        cash = open_account(
            session, code="BENCH-CASH", name="Cash", type=AccountType.ASSET, currency="GBP"
        )
        ids = [
            open_account(
                session,
                code=f"BENCH-{n}",
                name=f"Member {n}",
                type=AccountType.LIABILITY,
                currency="GBP",
                floor=Money.zero("GBP"),
            ).id
            for n in range(ACCOUNTS)
        ]
        opening = Money.from_minor(OPENING_MINOR, "GBP")
        fund = [_transfer(cash.id, i, opening, f"fund-{i}") for i in ids]
        results = post_batch(session, fund)
        assert all(r.outcome is Outcome.POSTED for r in results)
    engine.dispose()
    return ids


def _transfer(debit: int, credit: int, amount: Money, key: str) -> EntryRequest:
    return EntryRequest(
        idempotency_key=key,
        business_date=BENCH_DATE,
        lines=(Line.debit(debit, amount), Line.credit(credit, amount)),
        description="bench transfer",
        posted_by="bench",
        kind="transfer",
    )


def _random_transfer(rng: random.Random, ids: list[int]) -> EntryRequest:
    source, target = rng.sample(ids, 2)
    amount = Money.from_minor(rng.randint(1, 100), "GBP")
    # The member paying is debited (their shares fall); the one paid is credited.
    return _transfer(source, target, amount, f"b-{uuid.uuid4()}")


def single_worker(url: str, ids: list[int], seconds: float, seed: int, start_at: float) -> int:
    engine = make_engine(url, pool_size=1)
    rng = random.Random(seed)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    posted = 0
    while time.time() < deadline:
        request = _random_transfer(rng, ids)
        run_command(engine, lambda s, r=request: post_entry(s, r))  # type: ignore[misc]
        posted += 1
    engine.dispose()
    return posted


def batch_worker(url: str, ids: list[int], seconds: float, seed: int, start_at: float) -> int:
    engine = make_engine(url, pool_size=1)
    rng = random.Random(seed)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    posted = 0
    while time.time() < deadline:
        requests = [_random_transfer(rng, ids) for _ in range(BATCH_SIZE)]
        results = run_command(engine, lambda s, r=requests: post_batch(s, r))  # type: ignore[misc]
        posted += sum(1 for r in results if r.outcome is Outcome.POSTED)
    engine.dispose()
    return posted


def run_workers(
    target: Callable[..., int], url: str, slices: list[list[int]], seconds: float
) -> float:
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0  # let every process start and connect first
    with context.Pool(len(slices)) as pool:
        pending = [
            pool.apply_async(target, (url, ids, seconds, n, start_at))
            for n, ids in enumerate(slices)
        ]
        counts = [p.get(timeout=seconds + 120) for p in pending]
    return sum(counts) / seconds


def run(*, seconds: float, workers: int, echo: Callable[[str], Any]) -> dict[str, Any]:
    server = server_url()
    echo(f"pgbench: TPC-B-like, scale {PGBENCH_SCALE}, {workers} clients, {seconds:.0f}s ...")
    pgbench_tps = measure_pgbench(server, clients=workers, seconds=seconds)
    echo(f"  {pgbench_tps:,.0f} transactions/s")
    url = scratch_database(server, "cu_bench_ledger")
    try:
        ids = prepare_ledger(url)
        echo(f"single posting: {workers} worker processes over {ACCOUNTS} accounts ...")
        single_tps = run_workers(single_worker, url, [ids] * workers, seconds)
        echo(f"  {single_tps:,.0f} transfers/s")
        echo(f"the posting's own SQL through pgbench's C client, {workers} clients ...")
        ledger_sql_tps = measure_ledger_sql(url, ids, clients=workers, seconds=seconds)
        echo(f"  {ledger_sql_tps:,.0f} transfers/s")
        batch_workers = max(1, workers // 2)
        slices = [ids[n::batch_workers] for n in range(batch_workers)]
        echo(f"batch posting: {batch_workers} worker(s), batches of {BATCH_SIZE} ...")
        batch_tps = run_workers(batch_worker, url, slices, seconds)
        echo(f"  {batch_tps:,.0f} transfers/s")
    finally:
        drop_database(server, "cu_bench_ledger")
    return {
        "pgbench_tps": round(pgbench_tps, 1),
        "single_tps": round(single_tps, 1),
        "batch_tps": round(batch_tps, 1),
        "single_vs_pgbench": round(single_tps / pgbench_tps, 3),
        # The same statements without Python: what the database side of a posting costs.
        "ledger_sql_tps": round(ledger_sql_tps, 1),
        "ledger_sql_vs_pgbench": round(ledger_sql_tps / pgbench_tps, 3),
        "workers": workers,
        "batch_workers": batch_workers,
        "batch_size": BATCH_SIZE,
        "seconds_per_phase": seconds,
    }
