"""The audit trail: append-only in SQL, filtered and paged, readable by auditors and managers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Role
from creditunion.platform.database import unit_of_work
from tests.api.conftest import LoggedIn


def _write(engine: Engine, action: str, target_id: str, n: int = 1) -> list[int]:
    actor = Actor(user_id=None, username="system:test", role=None)
    with unit_of_work(engine) as session:
        return [
            audit.record(
                session,
                actor=actor,
                action=action,
                target_type="probe",
                target_id=target_id,
                summary={"n": i, "password": "never stored", "ni_number": "AB123456C"},
                business_date=dt.date(2026, 11, 25),
            )
            for i in range(n)
        ]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'x.y'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_the_audit_log_is_append_only_in_sql(fresh_engine: Engine, statement: str) -> None:
    _write(fresh_engine, "probe.written", "t1")
    with pytest.raises(DBAPIError, match="append-only"), fresh_engine.begin() as conn:
        conn.execute(text(statement))
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1


def test_summaries_never_keep_secrets(engine: Engine) -> None:
    target = uuid.uuid4().hex
    _write(engine, "probe.secret", target)
    with engine.connect() as conn:
        summary = conn.execute(
            text("SELECT summary FROM audit_log WHERE target_id = :t"), {"t": target}
        ).scalar_one()
    assert summary == {"n": 0, "password": "[REDACTED]", "ni_number": "******56C"}


def test_bad_records_are_refused(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        for action in ("nodot", "Upper.case", "a." + "b" * 70):
            with pytest.raises(audit.InvalidAuditRecord):
                audit.record(session, actor=None, action=action, target_type=None, target_id=None)
        with pytest.raises(audit.InvalidAuditRecord):
            audit.record(
                session,
                actor=None,
                action="a.b",
                target_type=None,
                target_id=None,
                summary={"blob": "x" * 20_000},
            )


def test_only_auditors_and_managers_read_it(
    client: TestClient, login_as: Callable[[Role], LoggedIn]
) -> None:
    for role in Role:
        status = client.get("/v1/audit-log", headers=login_as(role).headers).status_code
        assert status == (200 if role in (Role.AUDITOR, Role.MANAGER) else 403), role


def test_filters_and_pages(client: TestClient, engine: Engine, auditor: LoggedIn) -> None:
    target = uuid.uuid4().hex
    ids = _write(engine, "probe.paged", target, n=5)
    _write(engine, "other.paged", target, n=1)
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"action_prefix": "probe.", "target_id": target, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/v1/audit-log", params=params, headers=auditor.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    item = client.get(
        "/v1/audit-log", params={"target_id": target, "limit": 1}, headers=auditor.headers
    ).json()["items"][0]
    assert item["action"] == "other.paged" and item["business_date"] == "2026-11-25"
    assert item["actor_username"] == "system:test" and item["actor_role"] is None
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    none = client.get(
        "/v1/audit-log",
        params={"target_id": target, "occurred_from": future},
        headers=auditor.headers,
    ).json()
    assert none == {"items": [], "next_cursor": None}
    naive = client.get(
        "/v1/audit-log", params={"occurred_from": "2026-01-01T00:00:00"}, headers=auditor.headers
    )
    assert naive.status_code == 422


def test_the_prefix_filter_treats_like_wildcards_literally(
    client: TestClient, engine: Engine, auditor: LoggedIn
) -> None:
    target = uuid.uuid4().hex
    _write(engine, "probe.under_score", target)
    _write(engine, "probe.underxscore", target)
    items = client.get(
        "/v1/audit-log",
        params={"action_prefix": "probe.under_", "target_id": target},
        headers=auditor.headers,
    ).json()["items"]
    assert [i["action"] for i in items] == ["probe.under_score"]


def test_tampered_or_foreign_cursors_are_422(
    client: TestClient, engine: Engine, auditor: LoggedIn, admin: LoggedIn
) -> None:
    target = uuid.uuid4().hex
    _write(engine, "probe.cursor", target, n=3)
    page = client.get(
        "/v1/audit-log", params={"target_id": target, "limit": 1}, headers=auditor.headers
    ).json()
    cursor = page["next_cursor"]
    body, _, signature = cursor.partition(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    users_cursor = client.get("/v1/users", params={"limit": 1}, headers=admin.headers).json()[
        "next_cursor"
    ]
    for bad in (
        f"{flipped}.{signature}",
        f"{body}.{signature[:-3]}xyz",
        "garbage",
        "a.b.c",
        users_cursor,
        "x" * 600,
    ):
        response = client.get("/v1/audit-log", params={"cursor": bad}, headers=auditor.headers)
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["pointer"] == "#/cursor"
    for limit in (0, 101, -1):
        response = client.get("/v1/audit-log", params={"limit": limit}, headers=auditor.headers)
        assert response.status_code == 422
