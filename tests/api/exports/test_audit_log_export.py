"""The audit trail exported through the API: the staff actions of the range, itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from creditunion.auth.roles import Role
from tests.api.conftest import login
from tests.api.exports.conftest import Books, audit_records, manifest_of, sha256, unzip
from tests.api.factories import PASSWORD, make_user


def _window() -> dict[str, str]:
    # The records are written now; a day either side keeps midnight from splitting them.
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    one = dt.timedelta(days=1)
    return {"from": (today - one).isoformat(), "to": (today + one).isoformat()}


def _rows(books: Books, **params: Any) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    response = books.get("/v1/exports/audit-log", format="jsonl", **params)
    assert response.status_code == 200, response.text
    entries = unzip(response.content)
    data = next(v for k, v in entries.items() if k.endswith(".jsonl"))
    rows = [json.loads(line) for line in data.decode().splitlines()]
    return rows, manifest_of(entries), response.headers["x-request-id"]


def test_the_staff_actions_of_the_range_are_exported_and_the_export_is_audited(
    books: Books,
) -> None:
    admin = login(books.client, make_user(Role.ADMIN))
    created = books.client.post(
        "/v1/users",
        json={"username": "newauditor01", "password": PASSWORD + "!", "role": "auditor"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    window = _window()

    rows, manifest, request_id = _rows(books, **window)

    (creation,) = [r for r in rows if r["action"] == "user.create"]
    assert (creation["actor_username"], creation["actor_role"], creation["target_id"]) == (
        admin.user.username,
        "admin",
        str(created.json()["id"]),
    )
    assert json.loads(creation["summary"])["username"] == "newauditor01"
    signed_in = {r["actor_username"] for r in rows if r["action"] == "auth.login"}
    assert {books.auditor.user.username, books.manager.user.username, admin.user.username} <= (
        signed_in
    )
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert all(r["occurred_at"].endswith("Z") for r in rows)
    assert manifest["report"] == "audit-log"
    assert manifest["parameters"] == {**window, "time_zone": "Europe/London"}
    assert manifest["parts"] == {"records": {"rows": len(rows), "totals": {}}}
    # An export does not contain its own record (it was not committed when it read) ...
    assert not [r for r in rows if r["action"].startswith("export.")]
    (record,) = [
        r for r in audit_records(books.engine, "export.audit_log") if r["request_id"] == request_id
    ]
    assert record["actor_username"] == books.auditor.user.username
    assert record["summary"]["files"] == manifest["files"]
    assert record["summary"]["rows"] == {"records": len(rows)}

    # ... but the next one does, as CSV too.
    response = books.get("/v1/exports/audit-log", books.manager, format="csv", **window)
    entries = unzip(response.content)
    data = next(v for k, v in entries.items() if k.endswith(".csv"))
    later = list(csv.DictReader(io.StringIO(data.decode(), newline="")))
    (first_export,) = [r for r in later if r["request_id"] == request_id]
    assert (first_export["action"], first_export["actor_role"]) == ("export.audit_log", "auditor")
    assert json.loads(first_export["summary"])["files"] == manifest["files"]
    assert [f["sha256"] for f in manifest_of(entries)["files"]] == [
        sha256(v) for k, v in entries.items() if not k.endswith(".manifest.json")
    ]


def test_the_filters_narrow_the_trail(books: Books) -> None:
    admin = login(books.client, make_user(Role.ADMIN))
    window = _window()

    by_admin, _, _ = _rows(books, actor_user_id=str(admin.user.id), **window)
    admins, _, _ = _rows(books, actor_role="admin", **window)
    logins, _, _ = _rows(books, action_prefix="auth.", **window)
    nothing, manifest, _ = _rows(books, **{"from": "2001-01-01", "to": "2001-12-31"})

    assert {r["action"] for r in by_admin} == {"auth.login"}
    assert {r["actor_user_id"] for r in by_admin} == {admin.user.id}
    assert {r["actor_role"] for r in admins} == {"admin"}
    assert logins and all(r["action"].startswith("auth.") for r in logins)
    assert nothing == [] and manifest["parts"]["records"]["rows"] == 0
