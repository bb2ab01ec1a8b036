"""Oversized bodies are refused without being buffered; refused sign-ins are throttled per
address; personal data never reaches the logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.middleware.login_throttle import FailureWindow
from creditunion.auth.roles import Role
from creditunion.platform.log_json import JsonFormatter
from creditunion.platform.logging_setup import LOG_FORMAT, ScrubbingFormatter
from creditunion.platform.settings import Settings
from tests.api.banking.bank import Bank, gbp
from tests.api.factories import PASSWORD, make_user
from tests.factories import ni_number

TEN_MB = 10 * 1024 * 1024


def _stream(
    app: FastAPI, path: str, chunks: Iterator[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """POST a body chunk by chunk (never held whole) straight through the ASGI app."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50001),
        "server": ("testserver", 80),
    }
    status: dict[str, int] = {}
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    asyncio.run(app(scope, receive, send))
    return status["status"], b"".join(body)


def _json_chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"refresh_token": "'
    for _ in range(total // chunk):
        yield b"a" * chunk
    yield b'"}'


def test_a_10_mb_body_is_refused_413_before_it_is_read(client: TestClient) -> None:
    answer = client.post(
        "/v1/auth/refresh",
        content=b'{"refresh_token": "' + b"a" * TEN_MB + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 413 and answer.json()["request_id"]


def test_a_body_without_a_length_is_cut_off_at_the_ceiling_in_flat_memory(
    client: TestClient,
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    tracemalloc.start()
    try:
        status, raw = _stream(app, "/v1/auth/refresh", _json_chunks(TEN_MB), [])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413, raw
    assert json.loads(raw)["status"] == 413
    # The ceiling is 1 MiB: what was buffered stays near it, nowhere near the 10 MB sent.
    assert peak < 4 * 1024 * 1024, peak


def test_a_body_under_the_ceiling_is_untouched(client: TestClient) -> None:
    answer = client.post("/v1/auth/refresh", json={"refresh_token": "x" * 2000})
    assert answer.status_code == 401  # read, validated and refused on its merits


@pytest.mark.parametrize(
    "body",
    [
        {"refresh_token": "a" * 900_000},  # a huge field under the ceiling
        {"refresh_token": ["a"] * 50_000},
    ],
)
def test_huge_fields_are_refused_not_processed(client: TestClient, body: dict[str, Any]) -> None:
    answer = client.post("/v1/auth/refresh", json=body)
    assert answer.status_code in (401, 422), answer.text[:300]


def test_deeply_nested_json_is_refused_not_a_500(bank: Bank, client: TestClient) -> None:
    teller = bank.staff(Role.TELLER)
    for raw in (
        "[" * 200_000 + "]" * 200_000,
        '{"account_id": 1, "amount": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}",
    ):
        answer = client.post(
            "/v1/cash/deposits",
            content=raw.encode(),
            headers={
                **teller.headers,
                "Content-Type": "application/json",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        )
        # FastAPI answers a body its JSON parser cannot take (recursion) with 400.
        assert answer.status_code in (400, 413, 422), answer.text[:300]


def test_the_ceiling_is_configurable(api_settings: Settings, security_engine: Engine) -> None:
    small = api_settings.model_copy(update={"max_body_bytes": 2048})
    with TestClient(create_app(small, engine=security_engine)) as tight:
        assert tight.post("/v1/auth/refresh", json={"refresh_token": "x" * 3000}).status_code == 413
        assert tight.post("/v1/auth/refresh", json={"refresh_token": "x" * 1000}).status_code == 401


# ------------------------------------------------------------------------- sign-in throttling


def test_an_address_with_too_many_refused_sign_ins_gets_429(
    api_settings: Settings, security_engine: Engine
) -> None:
    strict = api_settings.model_copy(
        update={"login_throttle_failures": 3, "login_throttle_window_s": 60}
    )
    user = make_user(Role.TELLER)
    with TestClient(create_app(strict, engine=security_engine)) as throttled:
        good = {"username": user.username, "password": PASSWORD}
        for _ in range(5):  # successes never count
            assert throttled.post("/v1/auth/token", data=good).status_code == 200
        for n in range(3):
            wrong = throttled.post(
                "/v1/auth/token", data={"username": f"nobody{n}", "password": "wrong password"}
            )
            assert wrong.status_code == 401
        blocked = throttled.post("/v1/auth/token", data=good)
        assert blocked.status_code == 429
        assert blocked.headers["content-type"] == "application/problem+json"
        assert blocked.json()["type"] == "/problems/too-many-sign-ins"
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        # Only the sign-in is throttled: the rest of the API answers as before.
        assert throttled.get("/health/live").status_code == 200


def test_the_window_slides_and_is_bounded() -> None:
    now = [1000.0]
    window = FailureWindow(failures=2, window_s=10, clock=lambda: now[0])
    window.refused("10.0.0.1")
    now[0] += 5
    window.refused("10.0.0.1")
    assert window.retry_after("10.0.0.1") == 5
    assert window.retry_after("10.0.0.2") is None
    now[0] += 5.5
    assert window.retry_after("10.0.0.1") is None  # the first refusal left the window
    for n in range(12_000):
        window.refused(f"192.0.2.{n}")
    assert len(window._seen) <= 10_000


def test_the_throttle_is_documented_on_the_sign_in(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "429" in document["paths"]["/v1/auth/token"]["post"]["responses"]
    assert "413" in document["paths"]["/v1/cash/deposits"]["post"]["responses"]
    assert client.get("/problems/too-many-sign-ins").status_code == 200


# --------------------------------------------------------------------------- personal data


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged, at every level, through both of the API's formatters."""
    stream = io.StringIO()
    handlers = []
    for formatter in (ScrubbingFormatter(LOG_FORMAT), JsonFormatter()):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.setLevel(logging.DEBUG)
        handlers.append(handler)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield stream
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(level)


def test_ni_numbers_and_dates_of_birth_never_reach_the_logs(
    bank: Bank, client: TestClient, captured_logs: io.StringIO
) -> None:
    teller = bank.staff(Role.TELLER)
    ni = ni_number(424_242)
    born = "1979-04-13"
    member = {
        "given_name": "Grace",
        "family_name": "Hopper",
        "date_of_birth": born,
        "address_line1": "1 Compiler Way",
        "town": "York",
        "postcode": "YO1 7HH",
        "ni_number": ni,
        "common_bond": "lives_in_area",
        "bond_detail": "Lives in the city",
        "login": {"username": f"g{uuid.uuid4().hex[:8]}", "password": "a long enough password 2"},
    }
    registered = client.post("/v1/members", json=member, headers=teller.headers)
    assert registered.status_code == 201, registered.text
    # The same again (a duplicate NI number), an invalid one, and a change of details.
    assert client.post("/v1/members", json=member, headers=teller.headers).status_code in (409, 422)
    assert (
        client.post(
            "/v1/members", json={**member, "date_of_birth": "13/04/1979"}, headers=teller.headers
        ).status_code
        == 422
    )
    member_id = registered.json()["member"]["id"]
    client.patch(f"/v1/members/{member_id}", json={"town": "Leeds"}, headers=teller.headers)
    # Failed sign-ins whose username or password is personal data.
    for username, password in ((ni, born), (member["login"]["username"], ni), (born, ni)):
        assert (
            client.post(
                "/v1/auth/token", data={"username": username, "password": password}
            ).status_code
            == 401
        )
    # And a deposit, so the money path logs whatever it logs too.
    account = bank.account(member_id=member_id)
    client.post(
        "/v1/cash/deposits",
        json={"account_id": account.id, "amount": gbp("5.00")},
        headers={**teller.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    # The capture works: a careless line naming them directly comes out masked.
    logging.getLogger("creditunion.careless").warning(
        "member ni_number=%s date_of_birth=%s", ni, born
    )
    logged = captured_logs.getvalue()
    assert "creditunion.careless" in logged or "member ni_number" in logged
    for secret in (ni, ni.lower(), born, "13/04/1979", member["login"]["password"]):
        assert secret not in logged, secret
