"""An embedded PostgreSQL (the `pgserver` package) for machines with no database server.

The server keeps running after the process that started it exits, so the next command
reuses it (and its data) instead of paying the start-up again.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg

log = logging.getLogger(__name__)


def embedded_server_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return a libpq URL to its `postgres` db."""
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir at import; the fallback is fine.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only machines without DATABASE_URL need it

    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log.info("using the embedded PostgreSQL in %s", data_dir)
    server = pgserver.get_server(data_dir, cleanup_mode=None)  # type: ignore[attr-defined]
    uri = str(server.get_uri())
    assert uri.startswith("postgresql://"), uri
    return uri


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
