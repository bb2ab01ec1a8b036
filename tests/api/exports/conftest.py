"""Fixtures of the export and proof API tests: an app on a sealed history of its own.

Closing and sealing days must not touch the shared database, so each test that needs the
books gets a fresh one (three days, D1-D3, sealed) and an app built on it, with the user
factories bound to it for the test's length.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings
from tests.api.conftest import LoggedIn, login, start_business_date
from tests.api.factories import bind_factories, make_user
from tests.seal_helpers import D1, D2, D3, History, build_history, close_and_seal

RANGE = {"from": D1.isoformat(), "to": D3.isoformat()}


@dataclass
class Books:
    client: TestClient
    engine: Engine
    history: History
    auditor: LoggedIn
    manager: LoggedIn

    def get(self, path: str, who: LoggedIn | None = None, /, **params: Any) -> httpx.Response:
        caller = self.auditor if who is None else who
        response: httpx.Response = self.client.get(path, params=params, headers=caller.headers)
        return response


@pytest.fixture
def books(api_settings: Settings, engine: Engine, fresh_engine: Engine) -> Iterator[Books]:
    history = build_history(fresh_engine)
    close_and_seal(fresh_engine, [D1, D2, D3])
    start_business_date(fresh_engine, D3 + dt.timedelta(days=1))
    bind_factories(fresh_engine)
    try:
        app = create_app(api_settings, engine=fresh_engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Books(
                client=client,
                engine=fresh_engine,
                history=history,
                auditor=login(client, make_user(Role.AUDITOR)),
                manager=login(client, make_user(Role.MANAGER)),
            )
    finally:
        bind_factories(engine)


def unzip(body: bytes) -> dict[str, bytes]:
    """The archive's entries in their order."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def manifest_of(entries: dict[str, bytes]) -> dict[str, Any]:
    name = list(entries)[-1]
    assert name.endswith(".manifest.json"), list(entries)
    manifest: dict[str, Any] = json.loads(entries[name])
    return manifest


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def audit_records(engine: Engine, action_prefix: str) -> list[dict[str, Any]]:
    """Audit records whose action starts with the prefix, oldest first, as committed."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, actor_username, actor_role, action, target_type, target_id, "
                "request_id, summary FROM audit_log WHERE action LIKE :p ORDER BY id"
            ),
            {"p": action_prefix + "%"},
        )
        return [dict(row._mapping) for row in rows]


__all__ = ["D1", "D2", "D3", "RANGE", "Books", "audit_records", "manifest_of", "sha256", "unzip"]
