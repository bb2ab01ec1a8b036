"""SQL and header injection probes: every text input of every endpoint, and the headers
the API reads and echoes.

Each string-typed path parameter, query parameter and top-level body field gets quotes,
`'; DROP TABLE`, URL-encoded and raw NUL, and CRLF. The answer is never a 5xx; where a
probe is accepted, it is stored and read back verbatim. CRLF in `X-Request-ID` or
`Idempotency-Key` never splits a response header.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Final
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.domain import ID_MAX
from creditunion.auth.roles import Role
from tests.api.banking.bank import Bank, gbp
from tests.api.conftest import LoggedIn, login
from tests.api.factories import make_user
from tests.security.world import body_schema, inputs, operations, resolve

PROBES: Final = (
    "O'Brien",
    "'; DROP TABLE members; --",
    "' OR '1'='1",
    '"; SELECT pg_sleep(5); --',
    "%00",
    "nul\x00byte",
    "line\r\nX-Injected: 1",
)
ROLE_ORDER: Final = (
    Role.MANAGER,
    Role.MEMBER,
    Role.ADMIN,
    Role.TELLER,
    Role.LOAN_OFFICER,
    Role.AUDITOR,
)


def _is_text(schema: dict[str, Any]) -> bool:
    schema = resolve(schema)
    if schema.get("type") == "string" and "enum" not in schema:
        return True
    return any(_is_text(option) for option in schema.get("anyOf", []))


def _filler(schema: dict[str, Any]) -> Any:
    schema = resolve(schema)
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _filler(option)
    if schema.get("type") == "integer":
        return ID_MAX if schema.get("maximum", ID_MAX) >= ID_MAX else schema["maximum"]
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "object":
        return {k: _filler(v) for k, v in schema.get("properties", {}).items()}
    return {"boolean": False, "number": 1, "array": []}.get(schema.get("type", ""), "x")


def _caller(client: TestClient, operation: dict[str, Any]) -> dict[str, str]:
    if operation["x-permission"] == "public":
        return {}
    role = next(r for r in ROLE_ORDER if r.value in operation["x-roles"])
    # A login of its own per operation: probes of a password field must not lock a shared one.
    return login(client, make_user(role)).headers


def test_no_text_input_of_any_endpoint_answers_5xx(bank: Bank, client: TestClient) -> None:
    assert bank.today  # the books exist, so requests reach the services
    failures: list[str] = []
    sent = 0
    for method, path, operation in operations():
        fields = [(loc, name, s) for loc, name, s in inputs(operation) if loc != "header"]
        text_fields = [(loc, name) for loc, name, s in fields if _is_text(s)]
        if not text_fields:
            continue
        headers = {**_caller(client, operation), "Idempotency-Key": str(uuid.uuid4())}
        body_spec = body_schema(operation)
        for location, name in text_fields:
            for probe in PROBES:
                path_values = {n: _filler(s) for loc, n, s in fields if loc == "path"}
                query: dict[str, Any] = {}
                body = _filler(body_spec[1]) if body_spec else None
                if location == "path":
                    path_values[name] = probe
                elif location == "query":
                    query[name] = probe
                else:
                    assert isinstance(body, dict)
                    body[name] = probe
                url = path.format(**{k: quote(str(v), safe="") for k, v in path_values.items()})
                headers["Idempotency-Key"] = str(uuid.uuid4())
                if body_spec is None:
                    answer = client.request(method, url, params=query, headers=headers)
                elif body_spec[0] == "application/json":
                    answer = client.request(method, url, params=query, json=body, headers=headers)
                else:
                    answer = client.request(method, url, params=query, data=body, headers=headers)
                sent += 1
                if answer.status_code >= 500:
                    failures.append(
                        f"{method} {path} {location}:{name} {probe!r}: {answer.status_code}"
                    )
                if "x-injected" in answer.headers:
                    failures.append(f"{method} {path} {location}:{name}: header split")
    assert not failures, "\n".join(failures)
    assert sent >= 300


@pytest.fixture
def teller(bank: Bank) -> LoggedIn:
    return bank.staff(Role.TELLER)


@pytest.mark.parametrize("probe", [p for p in PROBES if "\x00" not in p and "\r" not in p])
def test_an_accepted_probe_is_stored_verbatim(
    bank: Bank, client: TestClient, teller: LoggedIn, probe: str
) -> None:
    account = bank.account(balance="10.00")
    answer = client.post(
        "/v1/cash/deposits",
        json={"account_id": account.id, "amount": gbp("1.00"), "reference": probe},
        headers={**teller.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    with bank.session() as session:
        stored = session.scalar(
            text("SELECT reference FROM journal_entries WHERE id = :id"),
            {"id": answer.json()["entry_id"]},
        )
        tables = session.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename = 'members'"))
    assert stored == probe
    assert tables == 1
    lines = client.get(f"/v1/share-accounts/{account.id}/transactions", headers=teller.headers)
    assert probe in [line.get("reference") for line in lines.json()["items"]]


def test_a_nul_or_line_break_in_a_stored_text_field_is_refused_not_a_500(
    bank: Bank, client: TestClient, teller: LoggedIn
) -> None:
    account = bank.account(balance="10.00")
    for probe in ("nul\x00byte", "two\r\nlines"):
        answer = client.post(
            "/v1/cash/deposits",
            json={"account_id": account.id, "amount": gbp("1.00"), "reference": probe},
            headers={**teller.headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert answer.status_code in (201, 422), answer.text
        if answer.status_code == 201:
            with bank.session() as session:
                stored = session.scalar(
                    text("SELECT reference FROM journal_entries WHERE id = :id"),
                    {"id": answer.json()["entry_id"]},
                )
            assert stored == probe


def _raw_asgi(
    app: FastAPI,
    path: str,
    headers: list[tuple[bytes, bytes]],
    *,
    method: str = "GET",
    body: bytes = b"",
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request straight through the ASGI app, with header bytes no client library sends."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    asyncio.run(app(scope, receive, send))
    return started["status"], list(started["headers"]), b"".join(chunks)


def test_crlf_in_request_headers_never_splits_the_response(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    for value in (b"abc\r\nX-Injected: 1", b"abc\nX-Injected: 1", b"abc\rSet-Cookie: a=b"):
        status, headers, _ = _raw_asgi(app, "/health/live", [(b"x-request-id", value)])
        names = [name.lower() for name, _ in headers]
        assert status == 200
        assert b"x-injected" not in names and b"set-cookie" not in names
        echoed = dict(headers)[b"x-request-id"]
        assert b"\r" not in echoed and b"\n" not in echoed
        assert uuid.UUID(echoed.decode())  # replaced by a fresh id


def test_an_idempotency_key_with_crlf_or_nul_is_a_422_on_the_header(
    bank: Bank, client: TestClient, teller: LoggedIn
) -> None:
    account = bank.account(balance="10.00")
    app = client.app
    assert isinstance(app, FastAPI)
    before = bank.journal_count()
    body = json.dumps({"account_id": account.id, "amount": gbp("1.00")}).encode()
    authorization = teller.headers["Authorization"].encode()
    for key in (b"a\r\nX-Injected: 1", b"a\x00b", b"a\tb", b" padded ", b"caf\xc3\xa9"):
        status, headers, raw = _raw_asgi(
            app,
            "/v1/cash/deposits",
            [(b"authorization", authorization), (b"idempotency-key", key)],
            method="POST",
            body=body,
        )
        assert status == 422, (key, raw)
        assert json.loads(raw)["errors"][0]["pointer"] == "#/Idempotency-Key"
        assert b"x-injected" not in [name.lower() for name, _ in headers]
    assert bank.journal_count() == before
