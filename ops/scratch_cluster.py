"""Throwaway PostgreSQL clusters on loopback, for the replica and backup proofs in ops/.

Each cluster lives in a scratch directory, listens on 127.0.0.1 only, on a free port that
is never 5432, with its socket in the scratch directory, so it cannot touch a server
already running on the machine. The PostgreSQL binaries come from PG_BIN (default: the
PostgreSQL 15 packages' /usr/lib/postgresql/15/bin). initdb refuses to run as root, so
as root the server programs run as the `postgres` user (which owns the scratch data).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import psycopg

PG_BIN: Final = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
RESERVED_PORTS: Final = frozenset({5432})
COMMAND_TIMEOUT_S: Final = 300
OWNER: Final = "postgres"

BASE_SETTINGS: Final = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "replica",
    "max_wal_senders": "5",
    "hot_standby": "on",
    "shared_buffers": "'64MB'",
    "max_connections": "60",
    # Every connection logged with its application_name: the proof of who read where.
    "log_connections": "on",
    "log_line_prefix": "'%m [%p] app=%a db=%d '",
    "logging_collector": "off",
}


def free_port() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in RESERVED_PORTS:
            return port
    raise RuntimeError("no free port found")


def as_owner(command: Sequence[str]) -> list[str]:
    """Run PostgreSQL's programs as `postgres` when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", OWNER, "--", *command]
    return list(command)


def run(command: Sequence[str], *, timeout: float = COMMAND_TIMEOUT_S, **kwargs: Any) -> str:
    done = subprocess.run(
        list(command), check=True, capture_output=True, text=True, timeout=timeout, **kwargs
    )
    return str(done.stdout)


def give_to_owner(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user=OWNER, group=OWNER)


def scratch_dir(parent: Path) -> Path:
    """A directory the server user may write (the scratch root is made by the caller)."""
    parent.mkdir(parents=True, exist_ok=True)
    give_to_owner(parent)
    parent.chmod(0o755)
    return parent


@dataclass
class Cluster:
    name: str
    data: Path
    port: int
    socket_dir: Path

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def url(self, database: str = "postgres", **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}" + (
            f"?{query}" if query else ""
        )

    def configure(self, settings: dict[str, str]) -> None:
        """Append settings to postgresql.auto.conf (read last, so they win)."""
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        auto = self.data / "postgresql.auto.conf"
        run(as_owner(["sh", "-c", f"cat >> '{auto}'"]), input=lines)

    def start(self) -> None:
        self.log.touch()
        give_to_owner(self.log)
        run(
            as_owner(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port} -k {self.socket_dir}",
                    "start",
                ]
            )
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                as_owner(
                    [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
                ),
                capture_output=True,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )

    def query(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(sql.encode())
            return cursor.fetchall() if cursor.description else []

    def scalar(self, sql: str, database: str = "postgres") -> Any:
        rows = self.query(sql, database)
        return rows[0][0] if rows else None

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.scalar("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def init_cluster(root: Path, name: str, settings: dict[str, str] | None = None) -> Cluster:
    """initdb a new cluster under `root`, configured for loopback and replication."""
    data = root / name
    run(
        as_owner(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
    )
    cluster = Cluster(name=name, data=data, port=free_port(), socket_dir=root)
    cluster.configure(BASE_SETTINGS | (settings or {}))
    return cluster


def base_backup(source: Cluster, target: Path, *, standby: bool, extra: Sequence[str] = ()) -> None:
    """pg_basebackup of `source` into `target` (plain format, WAL streamed alongside);
    `standby` writes primary_conninfo and standby.signal (-R) for a streaming replica."""
    command = [
        str(PG_BIN / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(source.port),
        "-U",
        "postgres",
        "-D",
        str(target),
        "-X",
        "stream",
        "-c",
        "fast",
        *(["-R"] if standby else []),
        *extra,
    ]
    run(as_owner(command))


def cluster_from(data: Path, name: str, root: Path) -> Cluster:
    """A cluster over a data directory made by a base backup, on a port of its own."""
    cluster = Cluster(name=name, data=data, port=free_port(), socket_dir=root)
    cluster.configure({"port": str(cluster.port)})
    return cluster


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
