"""The tests' embedded PostgreSQL, shared by the processes of a run (xdist workers) and by
runs at the same time.

Processes start the server one at a time under a file lock, so exactly one starts it. Each
holds a shared lock on a users file while it runs; at the end the server is stopped only
by the last process out (its lock is the only one left), and only if its own run started
the server: a server found running is left running, as before xdist.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from creditunion.platform.embedded_db import embedded_server_url, embedded_status, stop_embedded


def _beside(data_dir: Path, suffix: str) -> Path:
    return data_dir.with_name(data_dir.name + suffix)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


@contextmanager
def shared_embedded_server(data_dir: Path, run_id: str) -> Iterator[str]:
    """The server in `data_dir`, started if it is not running; `run_id` names this run."""
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    start_lock = _beside(data_dir, ".lock")
    started_by = _beside(data_dir, ".started-by")
    with _beside(data_dir, ".users").open("a") as users:
        with _exclusive(start_lock):
            was_running = embedded_status(data_dir).running
            url = embedded_server_url(data_dir, create=True)
            if not was_running:
                started_by.write_text(run_id)
            fcntl.flock(users, fcntl.LOCK_SH)
        try:
            yield url
        finally:
            with _exclusive(start_lock):
                try:
                    # Turning the shared lock exclusive succeeds only if no process holds one.
                    fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    last_out = True
                except BlockingIOError:
                    last_out = False
                if last_out and started_by.is_file() and started_by.read_text() == run_id:
                    stop_embedded(data_dir)
                    started_by.unlink()
