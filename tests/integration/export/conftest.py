"""Fixtures shared by the evidence export tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from creditunion.platform.database import default_engine, libpq_url
from creditunion.platform.settings import get_settings


@pytest.fixture
def cli_env(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's database is the test's own (settings and engine caches cleared around it).

    A test whose data comes from another fixture names that fixture before this one in
    `usefixtures`, so the data is written before the CLI is pointed at the database."""
    monkeypatch.setenv("DATABASE_URL", libpq_url(fresh_engine.url.render_as_string(False)))
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield
    get_settings.cache_clear()
    default_engine.cache_clear()
