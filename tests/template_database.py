"""The migrated template database the tests clone, kept on the server between runs.

Its name carries the Alembic head and a hash of the migrations directory, so a new or
edited migration makes a new template and an unchanged one is reused without migrating.
Templates are built and dropped under an advisory lock on the server, so xdist workers
and test runs at the same time build each one once; every process cloning from a template
holds a shared advisory lock on its name, so no run drops a template another still uses.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import psycopg

from creditunion.platform.database import sqlalchemy_url
from creditunion.platform.embedded_db import with_database
from launch.migrate import MIGRATIONS_DIR, head_revisions, upgrade

TEMPLATE_PREFIX: Final = "cu_template_at_"
# A template is migrated under this name and renamed when complete, so one left half-built
# by a killed run is never cloned; builds hold the build lock, so any found is left over.
PARTIAL_PREFIX: Final = "cu_template_partial_"
BUILD_LOCK: Final = "creditunion tests: template build"
# PostgreSQL truncates identifiers past 63 bytes.
NAME_BYTES_MAX: Final = 63


def template_name() -> str:
    """`cu_template_at_<head>_<hash of the migrations directory>`."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(MIGRATIONS_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    suffix = f"_{digest.hexdigest()[:12]}"
    heads = "_".join(sorted(head_revisions()))
    return f"{TEMPLATE_PREFIX}{heads}"[: NAME_BYTES_MAX - len(suffix)] + suffix


@contextmanager
def migrated_template(server_url: str) -> Iterator[str]:
    """The template at the migrations' head, built if missing, held in use for the block."""
    name = template_name()
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (BUILD_LOCK,))
        try:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                _drop_unused_templates(conn)
                _build(conn, server_url, name)
            # Released when this connection closes, at the end of the block.
            conn.execute("SELECT pg_advisory_lock_shared(hashtextextended(%s, 0))", (name,))
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (BUILD_LOCK,))
        yield name


def _build(conn: psycopg.Connection[tuple[object, ...]], server_url: str, name: str) -> None:
    partial = f"{PARTIAL_PREFIX}{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE DATABASE "{partial}"')
    upgrade(sqlalchemy_url(with_database(server_url, partial)))
    conn.execute(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')


def _drop_unused_templates(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Drop half-built templates and those of other migrations that no process is using.

    Only names this module makes are touched: the per-session templates of older test
    runs (`cu_template_<pid>_...`) are dropped by those runs.
    """
    names = conn.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %s) "
        "OR starts_with(datname, %s)",
        (TEMPLATE_PREFIX, PARTIAL_PREFIX),
    ).fetchall()
    for (other,) in names:
        if str(other).startswith(PARTIAL_PREFIX):
            conn.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')
            continue
        unused = conn.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (other,)
        ).fetchone()
        if unused and unused[0]:
            conn.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (other,))
