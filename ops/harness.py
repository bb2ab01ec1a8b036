"""What the load, fault and API benchmark scripts share: scratch databases, the API as a
child process, a private PostgreSQL cluster, and the seeded credit union they drive.

Everything listens on loopback only. The shared server (`DATABASE_URL`, else the embedded
one) gets scratch databases that are dropped afterwards; anything that must restart
PostgreSQL uses a `PrivateCluster` of its own on a free port, never the shared server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx
import psycopg

from creditunion.platform.embedded_db import with_database
from ops.bench_ledger import drop_database, scratch_database, server_url

PG_BIN: Final = Path(os.environ.get("CREDITUNION_PG_BIN", "/usr/lib/postgresql/15/bin"))
LOOPBACK: Final = "127.0.0.1"
# The JWT secret the scripts' servers share, so tokens survive a restart of the API.
JWT_SECRET: Final = "ops-harness-secret-" + "s" * 32
DEMO_PASSWORD: Final = "demo-password-2026"
LOAD_PASSWORD: Final = "load-member-password-1"
# Cheap Argon2 for the scripts' servers: they measure money paths, not password hashing
# (each virtual user signs in once). Production settings refuse anything this weak.
CHEAP_HASHING: Final = {
    "CREDITUNION_PASSWORD_HASH_TIME_COST": "1",
    "CREDITUNION_PASSWORD_HASH_MEMORY_KIB": "1024",
    "CREDITUNION_PASSWORD_HASH_PARALLELISM": "1",
}
READY_TIMEOUT_S: Final = 60.0
# The scripts' servers: no metrics listener (several run side by side; a script that scrapes
# gives its server a free port), and the tellers' everyday cash posts at once however much
# a hot account pays out in the day (the load measures postings, not maker-checker).
SCRIPT_SERVER: Final = {
    "CREDITUNION_METRICS_PORT": "0",
    "CREDITUNION_WITHDRAWAL_DAILY_LIMIT_ACCOUNT": "100000000.00",
    "CREDITUNION_WITHDRAWAL_DAILY_LIMIT_MEMBER": "100000000.00",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextlib.contextmanager
def scratch(prefix: str, server: str | None = None) -> Iterator[str]:
    """A new database on the shared server (or `server`), dropped afterwards."""
    base = server or server_url()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = scratch_database(base, name)
    try:
        yield url
    finally:
        drop_database(base, name)


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for `creditunion ...` children against `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITUNION_")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "CREDITUNION_ENVIRONMENT": "dev",
            "CREDITUNION_JWT_SECRET": JWT_SECRET,
            "CREDITUNION_LOG_FORMAT": "text",
            **CHEAP_HASHING,
            **SCRIPT_SERVER,
            **extra,
        }
    )
    return env


def creditunion_command() -> list[str]:
    """`creditunion` from this interpreter's environment."""
    found = Path(sys.executable).with_name("creditunion")
    return [str(found)] if found.exists() else [sys.executable, "-m", "launch.cli"]


def seed_demo(database_url: str, *, members: int, timeout_s: float = 600.0) -> None:
    """`creditunion demo --no-serve`: staff of every role, members, 90 days of history."""
    for command in (["demo", "--no-serve", "--members", str(members)], ["db", "upgrade"]):
        # `db upgrade` again: a revision added to the tree while the demo ran still applies.
        subprocess.run(
            [*creditunion_command(), *command],
            env=cli_env(database_url),
            check=True,
            capture_output=True,
            timeout=timeout_s,
        )


@dataclass(frozen=True, slots=True)
class SeededMember:
    member_id: int
    username: str
    membership_number: str
    account_ids: tuple[int, ...]
    account_numbers: tuple[str, ...]


def seed_member_logins(database_url: str, *, count: int) -> list[SeededMember]:
    """App logins `loadm{id}` for up to `count` active demo members that have none.

    Inserted straight into `users` with a hash from the real (cheaply set) password hasher:
    a thousand logins through the service would spend minutes in Argon2.
    """
    from creditunion.auth.passwords import Passwords

    password_hash = Passwords(time_cost=1, memory_kib=1024, parallelism=1).hash(LOAD_PASSWORD)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """
            SELECT m.id, m.membership_number,
                   array_agg(s.id ORDER BY s.id), array_agg(s.account_number ORDER BY s.id)
            FROM members m JOIN share_accounts s ON s.member_id = m.id
            WHERE m.status = 'active' AND s.status = 'open'
              AND NOT EXISTS (SELECT 1 FROM users u WHERE u.member_id = m.id)
            GROUP BY m.id ORDER BY m.id LIMIT %s
            """,
            (count,),
        ).fetchall()
        seeded = []
        for member_id, number, account_ids, account_numbers in rows:
            username = f"loadm{member_id}"
            conn.execute(
                "INSERT INTO users (username, password_hash, role, member_id) "
                "VALUES (%s, %s, 'member', %s)",
                (username, password_hash, member_id),
            )
            seeded.append(
                SeededMember(
                    member_id, username, number, tuple(account_ids), tuple(account_numbers)
                )
            )
    return seeded


@dataclass
class ApiServer:
    """`creditunion serve` as a child process group (the uvicorn supervisor and workers)."""

    database_url: str
    workers: int = 2
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, *, wait: bool = True) -> None:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                *creditunion_command(),
                "serve",
                "--host",
                LOOPBACK,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            env=cli_env(self.database_url, **self.extra_env),
            stdout=log,
            stderr=log,
            # Its own process group, so kill -9 reaches the supervisor and every worker.
            start_new_session=True,
        )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> float:
        started = time.monotonic()
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the API exited with {self.process.returncode}")
            try:
                if httpx.get(self.base_url + "/health/ready", timeout=2.0).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"the API was not ready within {timeout_s:.0f}s")

    def pids(self) -> list[int]:
        """The supervisor and its workers (everything in the process group)."""
        if self.process is None:
            return []
        found = subprocess.run(
            ["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in found.stdout.split()]

    def kill9(self) -> list[int]:
        """SIGKILL to the whole group at once: no worker finishes its requests."""
        assert self.process is not None
        killed = self.pids()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        return killed

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class PrivateCluster:
    """A PostgreSQL 15 cluster of our own in a temporary directory, on a free port.

    For faults that restart the server: the shared one on 5432 is never touched. Run as
    the `postgres` system user when we are root (initdb refuses root).
    """

    port: int = field(default_factory=free_port)
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cu-pg-")))

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120.0) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres", group="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        settings = {
            "port": str(self.port),
            "listen_addresses": f"'{LOOPBACK}'",
            "unix_socket_directories": f"'{self.directory}'",
            "max_connections": "200",
            # A scratch cluster: durability is not what these runs measure.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        config = self.data / "postgresql.auto.conf"
        config.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
        if os.geteuid() == 0:
            shutil.chown(config, user="postgres", group="postgres")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        try:
            self._run("pg_ctl", "-D", str(self.data), "status", timeout=10)
        except subprocess.CalledProcessError:
            return False
        return True

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return with_database(self.url, name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            if self.running():
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def run_cob(database_url: str, *, timeout_s: float = 600.0) -> str:
    """`creditunion cob run`: close (and seal) the current business date."""
    done = subprocess.run(
        [*creditunion_command(), "cob", "run"],
        env=cli_env(database_url),
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    return done.stdout


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (0 for those gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@dataclass(frozen=True)
class Prepared:
    database_url: str
    members: list[SeededMember]


@contextlib.contextmanager
def prepared_credit_union(
    *, members: int, logins: int, server: str | None = None, echo: Callable[[str], object]
) -> Iterator[Prepared]:
    """A scratch database with the demo seeded (its history closed and sealed day by day),
    `logins` member logins, and one more close of business run; dropped afterwards."""
    with scratch("cu_ops", server) as url:
        started = time.monotonic()
        seed_demo(url, members=members)
        seeded = seed_member_logins(url, count=logins)
        run_cob(url)
        echo(
            f"seeded {members} members, {len(seeded)} member logins, one close of business "
            f"in {time.monotonic() - started:.0f}s"
        )
        yield Prepared(url, seeded)
