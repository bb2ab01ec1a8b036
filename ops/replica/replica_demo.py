"""Scale out on one machine: a primary, a streaming replica, two API workers, two schedulers.

    python -m ops.replica.replica_demo [--members 20] [--behind-days 45] [--deposits 200]

Everything runs on 127.0.0.1 in a scratch directory, on free ports (never 5432), and is
stopped and removed at the end, also on failure or Ctrl-C. In order:

1. initdb a primary; migrate it and seed the demo credit union (ops.seed_books), its
   business date `--behind-days` behind today so close of business has days to catch up;
2. pg_basebackup -R a streaming replica from it and start it (hot standby);
3. `creditunion serve --workers 2` against the primary, DATABASE_READ_URL on the replica;
4. scheduler A, then (once A holds the leader lock) scheduler B: B must say another runner
   holds the lock while A catches up day by day;
5. tellers post deposits through the API on four threads while an auditor runs
   `creditunion export gl` and `creditunion audit verify` with DATABASE_READ_URL on the
   replica and DATABASE_URL on a port where nothing listens: they can only have read the
   replica, and the replica's log shows their connections (application_name);
6. the replica's pg_is_in_recovery(), pg_stat_wal_receiver, the primary's
   pg_stat_replication and the replay lag; the journal compared on both; /metrics.

Prints what it sees as it goes and a JSON summary at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import httpx

from ops.scratch_cluster import (
    Cluster,
    base_backup,
    cluster_from,
    free_port,
    init_cluster,
    remove_tree,
    scratch_dir,
)

PASSWORD: Final = "demo-password-2026"
DATABASE: Final = "creditunion"
EXPORT_APP: Final = "cu-auditor-export"
LEADER_WAIT_S: Final = 120
COB_WAIT_S: Final = 300
UNREACHABLE_PRIMARY: Final = "postgresql://postgres@127.0.0.1:9/nowhere"
# The console script beside this interpreter (the project's virtual environment).
CREDITUNION: Final = str(Path(sys.executable).parent / "creditunion")


def say(text: str) -> None:
    print(text, flush=True)


class Processes:
    """Child processes in their own process groups, stopped in reverse order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Path:
        log = self.root / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((name, process))
        return log

    def stop(self, name: str, timeout: float = 20.0) -> int | None:
        for label, process in self.started:
            if label == name and process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    return process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    return process.wait(timeout=timeout)
        return None

    def stop_all(self) -> None:
        for name, _ in reversed(self.started):
            self.stop(name)


def wait_for(what: str, check: Callable[[], bool], timeout: float, pause: float = 0.2) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(pause)
    return time.monotonic() - started


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [CREDITUNION, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"creditunion {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITUNION_", "DATABASE"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        {
            "CREDITUNION_ENVIRONMENT": "production",
            "CREDITUNION_LOG_FORMAT": "json",
            "CREDITUNION_PASSWORD_HASH_MEMORY_KIB": "19456",
            "CREDITUNION_PASSWORD_HASH_TIME_COST": "2",
            "CREDITUNION_PASSWORD_HASH_PARALLELISM": "1",
            **extra,
        }
    )
    return env


def log_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            try:
                lines.append(json.loads(raw))
            except json.JSONDecodeError:
                continue
    return lines


def holds_leader_lock(primary: Cluster) -> bool:
    from creditunion.cob.leader import COB_LEADER_KEY

    return bool(
        primary.scalar(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            f"AND ((classid::bigint << 32) | objid::bigint) = {COB_LEADER_KEY}"
        )
    )


def closed_through(cluster: Cluster) -> str | None:
    value = cluster.scalar("SELECT max(business_date) FROM ledger_day_closes", DATABASE)
    return None if value is None else str(value)


class Tellers:
    """Deposits through the API on several threads, each with its own idempotency key,
    until stopped or `deposits_max` are sent."""

    def __init__(self, base_url: str, account_ids: list[int], deposits_max: int) -> None:
        self.base_url = base_url
        self.account_ids = account_ids
        self.deposits_max = deposits_max
        self.statuses: dict[int, int] = {}
        self.latencies: list[float] = []
        self.request_ids: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def sent(self) -> int:
        with self._lock:
            return len(self.latencies)

    def token(self, client: httpx.Client) -> str:
        response = client.post(
            "/v1/auth/token", data={"username": "demo.teller", "password": PASSWORD}
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def start(self, threads: int = 4) -> None:
        share = self.deposits_max // threads
        for n in range(threads):
            thread = threading.Thread(target=self._run, args=(n, share), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout)

    def _run(self, n: int, count: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            headers = {"Authorization": f"Bearer {self.token(client)}"}
            for i in range(count):
                if self._stop.is_set():
                    return
                account = self.account_ids[(n + i) % len(self.account_ids)]
                started = time.perf_counter()
                response = client.post(
                    "/v1/cash/deposits",
                    headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
                    json={"account_id": account, "amount": {"amount": "1.00", "currency": "GBP"}},
                )
                with self._lock:
                    self.latencies.append(time.perf_counter() - started)
                    self.statuses[response.status_code] = (
                        self.statuses.get(response.status_code, 0) + 1
                    )
                    self.request_ids.append(response.headers.get("x-request-id", ""))
                time.sleep(0.01)  # a branch's pace, not a load test


def share_accounts(base_url: str) -> list[int]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = client.post(
            "/v1/auth/token", data={"username": "demo.teller", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        members = client.get("/v1/members?limit=10", headers=headers).json()["items"]
        ids: list[int] = []
        for member in members:
            accounts = client.get(f"/v1/members/{member['id']}/accounts", headers=headers).json()
            ids += [a["id"] for a in accounts if a.get("status") == "open"]
    return ids


def metric_lines(text: str, *prefixes: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if line.startswith(prefixes) and "_bucket" not in line and "_created" not in line
    ]


def run(*, members: int, behind_days: int, deposits: int, keep: bool) -> dict[str, Any]:
    root = scratch_dir(Path(tempfile.mkdtemp(prefix="cu-replica-")))
    processes = Processes(root)
    primary: Cluster | None = None
    replica: Cluster | None = None
    summary: dict[str, Any] = {"scratch": str(root)}
    try:
        say(f"scratch directory {root}")
        primary = init_cluster(root, "primary")
        primary.start()
        primary.query(f"CREATE DATABASE {DATABASE}")
        say(f"primary: PostgreSQL on 127.0.0.1:{primary.port}")
        env = base_env(DATABASE_URL=primary.url(DATABASE))
        cli(env, "db", "upgrade")
        seeded = subprocess.run(
            [
                sys.executable,
                "-m",
                "ops.seed_books",
                "--members",
                str(members),
                "--behind-days",
                str(behind_days),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        summary["seed"] = json.loads(seeded.stdout.strip().splitlines()[-1])
        say(f"seeded: {summary['seed']}")

        replica_data = root / "replica"
        base_backup(primary, replica_data, standby=True)
        replica = cluster_from(replica_data, "replica", root)
        replica.start()
        replica.wait_ready()
        say(
            f"replica: streaming from the primary on 127.0.0.1:{replica.port}, in recovery: "
            f"{replica.scalar('SELECT pg_is_in_recovery()')}"
        )

        api_port = free_port()
        api_metrics_port = free_port()
        read_url = replica.url(DATABASE, application_name=EXPORT_APP)
        api_env = base_env(
            DATABASE_URL=primary.url(DATABASE),
            DATABASE_READ_URL=read_url,
            CREDITUNION_JWT_SECRET=secrets.token_urlsafe(48),
            CREDITUNION_DB_POOL_SIZE="5",
            CREDITUNION_METRICS_PORT=str(api_metrics_port),
        )
        api_log = processes.start(
            "api",
            [
                CREDITUNION,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(api_port),
                "--workers",
                "2",
            ],
            api_env,
        )
        base_url = f"http://127.0.0.1:{api_port}"

        def ready() -> bool:
            try:
                return httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        waited = wait_for("the API", ready, timeout=90)
        say(f"API: 2 workers on {base_url}, ready after {waited:.1f} s")

        scheduler_env = base_env(
            DATABASE_URL=primary.url(DATABASE),
            CREDITUNION_COB_TIME="00:00",
            CREDITUNION_DB_POOL_SIZE="3",
        )
        metrics_port = free_port()
        log_a = processes.start(
            "scheduler-a",
            [CREDITUNION, "scheduler"],
            scheduler_env | {"CREDITUNION_SCHEDULER_METRICS_PORT": str(metrics_port)},
        )
        wait_for("scheduler A to take the leader lock", lambda: holds_leader_lock(primary), 90)
        say("scheduler A holds the close-of-business leader lock; starting scheduler B")
        log_b = processes.start("scheduler-b", [CREDITUNION, "scheduler"], scheduler_env)

        def b_turned_away() -> bool:
            return any(
                "another close-of-business runner" in line.get("message", "")
                for line in log_lines(log_b)
            )

        wait_for("scheduler B to be turned away", b_turned_away, LEADER_WAIT_S)
        refused = next(
            line
            for line in log_lines(log_b)
            if "another close-of-business runner" in line["message"]
        )
        say(f"scheduler B: {refused['level']} {refused['message']}")
        summary["scheduler_b"] = refused["message"]

        accounts = share_accounts(base_url)
        tellers = Tellers(base_url, accounts, deposits)
        entries_before = primary.scalar("SELECT count(*) FROM journal_entries", DATABASE)
        tellers.start()
        wait_for("the tellers to get going", lambda: tellers.sent >= 20, 60)
        entries_at_export_start = primary.scalar("SELECT count(*) FROM journal_entries", DATABASE)
        # The auditor: DATABASE_URL points where nothing listens, so the export can only
        # have read DATABASE_READ_URL.
        auditor_env = base_env(DATABASE_URL=UNREACHABLE_PRIMARY, DATABASE_READ_URL=read_url)
        seed = summary["seed"]
        export_to = closed_through(replica) or seed["closed_through"]
        out = root / "export" / "gl.csv"
        started = time.monotonic()
        exported = cli(
            auditor_env,
            "export",
            "gl",
            "--from",
            seed["history_from"],
            "--to",
            export_to,
            "--format",
            "csv",
            "--out",
            str(out),
        )
        verified = cli(auditor_env, "audit", "verify")
        export_seconds = time.monotonic() - started
        entries_at_export_end = primary.scalar("SELECT count(*) FROM journal_entries", DATABASE)
        posted_meanwhile = int(entries_at_export_end) - int(entries_at_export_start)
        tellers.stop(timeout=60)
        say(
            f"export and verify read the replica in {export_seconds:.1f} s; meanwhile "
            f"{posted_meanwhile} entries were committed on the primary"
        )
        for line in exported.splitlines() + verified.splitlines():
            say(f"  {line}")
        manifest = json.loads((root / "export" / "gl.csv.manifest.json").read_text())
        summary["export"] = {
            "from": seed["history_from"],
            "to": export_to,
            "seconds": round(export_seconds, 2),
            "rows": {k: v["rows"] for k, v in manifest["parts"].items()},
            "seals_complete": manifest["seals"]["complete"],
            "days_sealed": len(manifest["seals"]["days"]),
            "entries_committed_on_the_primary_meanwhile": posted_meanwhile,
            "verify": verified.strip().splitlines()[-1],
        }
        entries_after = primary.scalar("SELECT count(*) FROM journal_entries", DATABASE)

        wait_for(
            "scheduler A to catch up",
            lambda: any(
                "close of business through" in line.get("message", "") for line in log_lines(log_a)
            ),
            COB_WAIT_S,
            pause=0.5,
        )
        done_line = next(
            line for line in log_lines(log_a) if "close of business through" in line["message"]
        )
        say(f"scheduler A: {done_line['message']} (request id {done_line['request_id']})")
        summary["scheduler_a"] = done_line["message"]
        scheduler_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        summary["scheduler_metrics"] = metric_lines(
            scheduler_metrics,
            "creditunion_cob_step_duration_seconds_count",
            "creditunion_ledger_entries_total",
        )

        # The replica catches up: compare the journal on both sides.
        target = primary.scalar("SELECT pg_current_wal_lsn()")
        wait_for(
            "the replica to replay the primary's WAL",
            lambda: bool(replica.scalar(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")),
            60,
        )
        fingerprint = (
            "SELECT count(*), max(sequence_no), "
            "(SELECT coalesce(sum(balance_minor), 0) FROM ledger_accounts), "
            "(SELECT max(business_date) FROM ledger_day_closes) FROM journal_entries"
        )
        on_primary = primary.query(fingerprint, DATABASE)[0]
        on_replica = replica.query(fingerprint, DATABASE)[0]
        receiver = replica.query(
            "SELECT status, sender_host, sender_port, received_tli, "
            "written_lsn::text, flushed_lsn::text, latest_end_lsn::text FROM pg_stat_wal_receiver"
        )
        sender = primary.query(
            "SELECT application_name, state, sync_state, sent_lsn::text, replay_lsn::text, "
            "coalesce(replay_lag::text, '0'), "
            "pg_wal_lsn_diff(sent_lsn, replay_lsn) FROM pg_stat_replication"
        )
        lag = replica.query(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
            "extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
        )[0]
        say(
            f"replica pg_is_in_recovery() = {lag[0]}, replay LSN {lag[1]}, "
            f"last replayed transaction {float(lag[2]):.2f} s ago"
        )
        say(f"replica pg_stat_wal_receiver: {receiver}")
        say(f"primary pg_stat_replication: {sender}")
        say(
            f"journal on primary  (entries, last sequence, sum of balances, closed through): {on_primary}"
        )
        say(f"journal on replica: {on_replica}")
        replica_log = replica.log.read_text(errors="replace")
        primary_log = primary.log.read_text(errors="replace")
        summary["replication"] = {
            "pg_is_in_recovery": lag[0],
            "wal_receiver": [list(map(str, row)) for row in receiver],
            "replication": [list(map(str, row)) for row in sender],
            "last_replay_seconds_ago": round(float(lag[2]), 2),
            "primary_journal": [str(v) for v in on_primary],
            "replica_journal": [str(v) for v in on_replica],
            "identical": on_primary == on_replica,
            "export_connections_on_replica": replica_log.count(f"application_name={EXPORT_APP}"),
            "export_connections_on_primary": primary_log.count(f"application_name={EXPORT_APP}"),
        }

        api_metrics = httpx.get(f"http://127.0.0.1:{api_metrics_port}/metrics", timeout=10).text
        summary["api_metrics"] = metric_lines(
            api_metrics,
            'creditunion_http_requests_total{method="POST",route="/v1/cash/deposits"',
            "creditunion_ledger_entries_total",
            "creditunion_db_pool",
            "creditunion_business_date",
            "creditunion_ledger_closed_through",
        )
        access = [line for line in log_lines(api_log) if line.get("logger") == "uvicorn.access"]
        by_worker: dict[str, int] = {}
        for entry in access:
            by_worker[str(entry.get("pid"))] = by_worker.get(str(entry.get("pid")), 0) + 1
        ids = set(tellers.request_ids)
        logged_ids = {entry.get("request_id") for entry in access}
        ordered = sorted(tellers.latencies)
        summary["postings"] = {
            "deposits_sent": sum(tellers.statuses.values()),
            "statuses": tellers.statuses,
            "journal_entries_added": int(entries_after) - int(entries_before),
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1) if ordered else None,
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1) if ordered else None,
            "access_log_lines_by_worker_pid": by_worker,
            "every_request_id_in_the_access_log": ids <= logged_ids,
        }
        say(json.dumps(summary["postings"]))
        for line in summary["api_metrics"]:
            say(f"  {line}")
        return summary
    finally:
        processes.stop_all()
        for cluster in (replica, primary):
            if cluster is not None:
                cluster.stop()
        if keep:
            say(f"kept {root}")
        else:
            remove_tree(root)
            say(f"stopped everything and removed {root}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Primary + streaming replica + API + schedulers")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--behind-days", type=int, default=45)
    parser.add_argument("--deposits", type=int, default=2000, help="At most this many.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch directory.")
    parser.add_argument("--json", type=Path, help="Also write the summary here.")
    args = parser.parse_args()
    summary = run(
        members=args.members, behind_days=args.behind_days, deposits=args.deposits, keep=args.keep
    )
    text = json.dumps(summary, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
