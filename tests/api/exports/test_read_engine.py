"""Exports and verify read through DATABASE_READ_URL; the audit trail is written to the primary."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.context import AppContext
from creditunion.auth.roles import Role
from creditunion.platform.database import libpq_url
from creditunion.platform.settings import Settings
from tests.api.conftest import login
from tests.api.exports.conftest import D1, D2, D3, RANGE, audit_records, manifest_of, unzip
from tests.api.factories import bind_factories, make_user
from tests.seal_helpers import History, build_history, close_and_seal


@pytest.fixture
def replica(fresh_engine: Engine) -> History:
    """The "replica": a database of its own holding a sealed history the primary lacks."""
    history = build_history(fresh_engine)
    close_and_seal(fresh_engine, [D1, D2, D3])
    return history


@pytest.fixture
def replica_client(
    api_settings: Settings, engine: Engine, fresh_engine: Engine
) -> Iterator[TestClient]:
    url = libpq_url(fresh_engine.url.render_as_string(hide_password=False))
    settings = api_settings.model_copy(update={"database_read_url": url})
    bind_factories(engine)
    # The primary is the shared database: users sign in and the audit trail is written there.
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def test_exports_and_verify_read_the_replica_and_audit_on_the_primary(
    replica_client: TestClient, replica: History, engine: Engine, fresh_engine: Engine
) -> None:
    auditor = login(replica_client, make_user(Role.AUDITOR))
    gl = replica_client.get(
        "/v1/exports/gl", params={"format": "jsonl", **RANGE}, headers=auditor.headers
    )
    verified = replica_client.get("/v1/audit/verify", params=RANGE, headers=auditor.headers)

    assert gl.status_code == 200 and verified.status_code == 200
    entries = unzip(gl.content)
    manifest = manifest_of(entries)
    assert manifest["parts"]["postings"]["rows"] == 10
    rows = [json.loads(line) for line in entries[f"gl_{D1}_{D3}.jsonl"].decode().splitlines()]
    posted = {str(e.id) for e in (*replica.day1, *replica.day3)}
    assert {r["entry_id"] for r in rows} == posted
    assert manifest["seals"]["complete"] is True  # the replica's seals
    assert verified.json()["days_verified"] == 3
    ids = {gl.headers["x-request-id"], verified.headers["x-request-id"]}
    on_primary = {r["request_id"] for r in audit_records(engine, "")} & ids
    on_replica = {r["request_id"] for r in audit_records(fresh_engine, "")} & ids
    assert (on_primary, on_replica) == (ids, set())

    context = replica_client.app.state.context  # type: ignore[attr-defined]
    assert isinstance(context, AppContext)
    assert context.read_engine() is context.read_engine()
    assert context.read_engine().url.database == fresh_engine.url.database
    assert context.engine() is engine
