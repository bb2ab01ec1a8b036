"""An embedded PostgreSQL (the `pgserver` package) for machines with no database server.

The server keeps running after the process that started it exits, so the next command
reuses it (and its data) instead of paying the start-up again; `creditunion db stop`
stops it.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Final
from urllib.parse import quote

import psycopg

log = logging.getLogger(__name__)

# Where the test suite keeps its own server, apart from the application's data.
TEST_DATA_DIR: Final = Path(".creditunion/test-pgdata")
STOP_TIMEOUT_S: Final = 30.0


class EmbeddedDatabaseMissing(Exception):
    """There is no embedded database in the data directory, and this command makes none."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            f"no credit union database in {data_dir}: run `creditunion db upgrade` "
            "(or `creditunion demo`) to create one here, run from the project's directory, "
            "or set DATABASE_URL or CREDITUNION_EMBEDDED_DATA_DIR"
        )
        self.data_dir = data_dir


@dataclass(frozen=True, slots=True)
class EmbeddedStatus:
    data_dir: Path
    initialised: bool
    pid: int | None
    port: int | None

    @property
    def running(self) -> bool:
        return self.pid is not None


def _pgserver() -> ModuleType:
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir at import; the fallback is fine.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only machines without DATABASE_URL need it
    return pgserver


def is_initialised(data_dir: Path) -> bool:
    return (data_dir / "PG_VERSION").is_file()


def embedded_server_url(data_dir: Path, *, create: bool) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return a libpq URL to its `postgres` db.

    With `create` false, a directory holding no database is refused rather than initialised,
    so a command run from the wrong directory does not start an empty server just to fail.
    """
    data_dir = data_dir.resolve()
    if not create and not is_initialised(data_dir):
        raise EmbeddedDatabaseMissing(data_dir)
    pgserver = _pgserver()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log.info("using the embedded PostgreSQL in %s", data_dir)
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    uri = str(server.get_uri())
    assert uri.startswith("postgresql://"), uri
    return uri


def embedded_status(data_dir: Path) -> EmbeddedStatus:
    """Read the server's state from its `postmaster.pid`, starting nothing."""
    data_dir = data_dir.resolve()
    pid, port = _postmaster(data_dir)
    return EmbeddedStatus(data_dir, is_initialised(data_dir), pid, port)


def stop_embedded(data_dir: Path, *, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """Stop the server in `data_dir` if it runs (a fast shutdown); True if one was stopped."""
    status = embedded_status(data_dir)
    if status.pid is None:
        return False
    # SIGINT is PostgreSQL's "fast" shutdown: sessions end, committed work is kept.
    os.kill(status.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout_s
    while _alive(status.pid):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server in {status.data_dir} did not stop in {timeout_s} s")
        time.sleep(0.1)
    return True


def _postmaster(data_dir: Path) -> tuple[int | None, int | None]:
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None, None
    pid = int(lines[0])
    if not _alive(pid):
        return None, None
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip() else None
    return pid, port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this process still answers signal 0 until it is reaped.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return True
    return state != "Z"


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server if missing; return the URL of that database."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name` (query string kept)."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority, _, _ = rest.partition("/")
    result = f"{scheme}://{authority}/{quote(name)}"
    return f"{result}?{query}" if query else result
