"""Idempotency-Key: replay, conflict, missing or malformed keys, and concurrent duplicates."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.idempotency import IdempotencyContext
from api.transactions import REPLAYED_HEADER
from tests.api.conftest import LoggedIn

BODY = {"amount": {"amount": "12.30", "currency": "GBP"}, "note": "first"}


def _post(
    client: TestClient,
    who: LoggedIn,
    key: str | None,
    body: Any = BODY,
    path: str = "/v1/_test/moves",
) -> Any:
    headers = dict(who.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(path, json=body, headers=headers)


def _executions(engine: Engine, key: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM audit_log WHERE action = 'test.move' AND target_id = :k"
                ),
                {"k": key[:64]},
            ).scalar_one()
        )


def test_a_replay_returns_the_stored_answer_and_runs_nothing(
    client: TestClient, teller: LoggedIn, engine: Engine
) -> None:
    key = str(uuid.uuid4())
    first = _post(client, teller, key)
    assert first.status_code == 201, first.text
    assert REPLAYED_HEADER.lower() not in first.headers
    assert first.json()["ledger_key"] == f"http:{teller.user.id}:{key}"
    reordered = {"note": "first", "amount": {"currency": "GBP", "amount": "12.30"}}
    again = _post(client, teller, key, reordered)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers[REPLAYED_HEADER] == "true"
    assert _executions(engine, key) == 1


def test_the_same_key_for_another_request_is_a_conflict(
    client: TestClient, teller: LoggedIn, engine: Engine
) -> None:
    key = str(uuid.uuid4())
    assert _post(client, teller, key).status_code == 201
    other_body = _post(client, teller, key, dict(BODY, note="second"))
    assert other_body.status_code == 409
    assert other_body.json()["type"] == "/problems/idempotency-key-reused"
    other_path = _post(client, teller, key, path="/v1/_test/moves-elsewhere")
    assert other_path.status_code == 409
    assert _executions(engine, key) == 1


def test_keys_belong_to_their_user(
    client: TestClient, teller: LoggedIn, auditor: LoggedIn, engine: Engine
) -> None:
    key = str(uuid.uuid4())
    assert _post(client, teller, key).status_code == 201
    theirs = _post(client, auditor, key)
    assert theirs.status_code == 201 and REPLAYED_HEADER.lower() not in theirs.headers
    assert _executions(engine, key) == 2


def test_missing_or_malformed_keys_are_422_pointing_at_the_header(
    client: TestClient, teller: LoggedIn
) -> None:
    for key in (None, "", " padded ", "x" * 201, "tab\tinside", "bell\u0007"):
        response = _post(client, teller, key)
        assert response.status_code == 422, key
        errors = response.json()["errors"]
        assert {k: errors[0][k] for k in ("location", "pointer")} == {
            "location": "header",
            "pointer": "#/Idempotency-Key",
        }, errors
    assert _post(client, teller, "k" * 200).status_code == 201


def test_a_failed_request_stores_nothing_and_can_be_retried(
    client: TestClient, teller: LoggedIn, engine: Engine
) -> None:
    key = str(uuid.uuid4())
    failing = dict(BODY, note="fail")
    assert _post(client, teller, key, failing).status_code == 409
    assert _executions(engine, key) == 0
    assert _post(client, teller, key).status_code == 201
    assert _executions(engine, key) == 1
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT response_status, response_body FROM http_idempotency WHERE key = :k"),
            {"k": key},
        ).one()
    assert stored.response_status == 201 and stored.response_body["ledger_key"].endswith(key)


def test_concurrent_duplicates_run_once(
    client: TestClient, teller: LoggedIn, engine: Engine
) -> None:
    key = str(uuid.uuid4())
    body = dict(BODY, sleep_ms=400)
    results: list[Any] = []
    barrier = threading.Barrier(4)
    guard = threading.Lock()

    def send() -> None:
        barrier.wait()
        response = _post(client, teller, key, body)
        with guard:
            results.append(response)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4
    assert {r.status_code for r in results} == {201}
    assert all(r.json() == results[0].json() for r in results)
    assert sum(REPLAYED_HEADER.lower() in r.headers for r in results) == 3
    assert _executions(engine, key) == 1


def test_ledger_keys_stay_within_the_ledgers_limit() -> None:
    short = IdempotencyContext(key="abc", user_id=12)
    assert short.ledger_key() == "http:12:abc"
    assert short.ledger_key("fee") == "http:12:abc:fee"
    long = IdempotencyContext(key="k" * 200, user_id=12)
    assert len(long.ledger_key()) <= 200 and long.ledger_key().startswith("http:12:sha256:")
    assert long.ledger_key() != IdempotencyContext(key="k" * 199 + "j", user_id=12).ledger_key()
    assert long.ledger_key("a") != long.ledger_key("b")
