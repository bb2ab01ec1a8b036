"""Test fixtures: throwaway PostgreSQL databases cloned from a template built by the migrations.

With DATABASE_URL set, the tests create their databases on that server; without it they
start (or reuse) the embedded server under .creditunion/test-pgdata. Under pytest-xdist
each worker process has databases of its own (their names carry the worker and its pid),
all cloned from one template kept on the server between runs (tests/template_database.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy import Engine

from creditunion.platform.database import libpq_url, make_engine
from creditunion.platform.embedded_db import TEST_DATA_DIR, with_database
from tests.embedded_server import shared_embedded_server
from tests.template_database import migrated_template

# Properties with no max_examples of their own run these many examples: fewer on a
# developer's machine, more in CI (.ci/run sets HYPOTHESIS_PROFILE=ci). No deadline: the
# suite runs in parallel beside PostgreSQL on two cores, where timings are not the test's.
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def process_tag() -> str:
    """This test process in database names: the xdist worker (if any) and the pid."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{worker}_{os.getpid()}" if worker else str(os.getpid())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under xdist, the files of tests marked slow go first, then those on the seeded demo.

    With `--dist loadfile --no-loadscope-reorder` the workers take files in this order, so
    the longest tests start at once on different workers instead of one of them starting a
    40-second test near the end (the demo's two files last of these: their fixture is the
    slow part and is made once per worker). Serial runs keep the collection order.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank: dict[Path, int] = {}
    for item in items:
        if item.get_closest_marker("slow"):
            rank[item.path] = 0
        elif "demo" in getattr(item, "fixturenames", ()):
            rank.setdefault(item.path, 1)
    items.sort(key=lambda item: rank.get(item.path, 2))


@pytest.fixture(scope="session")
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The server the tests use; an embedded one this run started is stopped at its end."""
    explicit = os.environ.get("DATABASE_URL")
    if explicit:
        yield libpq_url(explicit)
        return
    # xdist gives a run's workers one id; without xdist the run is this one process.
    workerinput = getattr(request.config, "workerinput", {})
    run_id = str(workerinput.get("testrunuid") or uuid.uuid4().hex)
    with shared_embedded_server(TEST_DATA_DIR, run_id) as url:
        yield url


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
        # A test database never outlives a server crash, so a commit need not wait for its
        # WAL to reach the disk; about a third of close of business's time in tests was that wait.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cloned_database(server_url: str, template: str, prefix: str) -> Generator[str, None, None]:
    """A new database cloned from `template`, dropped when the generator is closed."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield create_database(server_url, name, template)
    finally:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def template_name(server_url: str) -> Iterator[str]:
    """A database at the migrations' head that other test databases are cloned from."""
    with migrated_template(server_url) as name:
        yield name


@pytest.fixture(scope="session")
def database_url(server_url: str, template_name: str) -> Iterator[str]:
    """The database most tests share; each test makes its own accounts in it."""
    yield from cloned_database(server_url, template_name, f"cu_test_{process_tag()}")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=12)
    yield engine
    engine.dispose()


class FreshDatabases:
    """This process's per-test databases, cloned one ahead and dropped in a thread.

    A clone (about 0.4 s, mostly PostgreSQL writing and syncing files) is made while the
    test before runs, and the drop happens after the test, so neither waits in a test's
    setup or teardown. One thread does both, in order.
    """

    def __init__(self, server_url: str, template: str) -> None:
        self._server_url = server_url
        self._template = template
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fresh-db")
        self._next: Future[str] | None = None
        self._drops: list[Future[None]] = []

    def _create(self) -> str:
        name = f"cu_fresh_{process_tag()}_{uuid.uuid4().hex[:12]}"
        create_database(self._server_url, name, self._template)
        return name

    def take(self) -> str:
        """A new database's name; the next one is started at once."""
        ready = self._next or self._thread.submit(self._create)
        self._next = self._thread.submit(self._create)
        return ready.result()

    def give_back(self, name: str) -> None:
        self._drops.append(self._thread.submit(drop_database, self._server_url, name))

    def close(self) -> None:
        """Drop the one made ahead; a drop that failed fails the session's teardown."""
        if self._next is not None:
            self.give_back(self._next.result())
        self._thread.shutdown(wait=True)
        for drop in self._drops:
            drop.result()


@pytest.fixture(scope="session")
def fresh_databases(server_url: str, template_name: str) -> Iterator[FreshDatabases]:
    databases = FreshDatabases(server_url, template_name)
    yield databases
    databases.close()


@pytest.fixture
def fresh_engine(server_url: str, fresh_databases: FreshDatabases) -> Iterator[Engine]:
    """A database of this test's own, for tests that close dates or tamper with rows."""
    name = fresh_databases.take()
    engine = make_engine(with_database(server_url, name), pool_size=10)
    yield engine
    engine.dispose()
    fresh_databases.give_back(name)


@pytest.fixture(scope="module")
def module_database_url(server_url: str, template_name: str) -> Iterator[str]:
    """A database one test module shares, for tests that only read a large seeded data set."""
    yield from cloned_database(server_url, template_name, f"cu_module_{process_tag()}")
