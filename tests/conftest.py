"""Test fixtures: a throwaway PostgreSQL database built by the migrations.

With DATABASE_URL set, the tests create their database on that server; without it they
start (or reuse) the embedded server under .creditunion/test-pgdata.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from creditunion.platform.database import libpq_url, make_engine, sqlalchemy_url
from creditunion.platform.embedded_db import (
    TEST_DATA_DIR,
    embedded_server_url,
    embedded_status,
    stop_embedded,
    with_database,
)
from launch.migrate import upgrade


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The server the tests use; an embedded one this session started is stopped at the end."""
    explicit = os.environ.get("DATABASE_URL")
    if explicit:
        yield libpq_url(explicit)
        return
    already_running = embedded_status(TEST_DATA_DIR).running
    yield embedded_server_url(TEST_DATA_DIR, create=True)
    if not already_running:
        stop_embedded(TEST_DATA_DIR)


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cloned_database(server_url: str, template: str, prefix: str) -> Iterator[str]:
    """A new database cloned from `template`, dropped when the generator is closed."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield create_database(server_url, name, template)
    finally:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def template_name(server_url: str) -> Iterator[str]:
    """A database at the migrations' head that other test databases are cloned from."""
    name = f"cu_template_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    upgrade(sqlalchemy_url(create_database(server_url, name)))
    yield name
    drop_database(server_url, name)


@pytest.fixture(scope="session")
def database_url(server_url: str, template_name: str) -> Iterator[str]:
    """The database most tests share; each test makes its own accounts in it."""
    yield from cloned_database(server_url, template_name, f"cu_test_{os.getpid()}")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=12)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_engine(server_url: str, template_name: str) -> Iterator[Engine]:
    """A database of this test's own, for tests that close dates or tamper with rows."""
    database = cloned_database(server_url, template_name, "cu_fresh")
    engine = make_engine(next(database), pool_size=10)
    yield engine
    engine.dispose()
    database.close()


@pytest.fixture(scope="module")
def module_database_url(server_url: str, template_name: str) -> Iterator[str]:
    """A database one test module shares, for tests that only read a large seeded data set."""
    yield from cloned_database(server_url, template_name, "cu_module")
