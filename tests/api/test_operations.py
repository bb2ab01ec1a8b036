"""Operations: JSON logs with request ids and no personal data, and the metrics listener.

The log test runs the app under a real uvicorn server (so uvicorn's own access and error
logs are in the capture) with every logger at DEBUG, and drives it with requests that
carry an NI number and a date of birth in every place a client can put them.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from creditunion.platform import metrics
from creditunion.platform.log_json import JsonFormatter
from creditunion.platform.logging_setup import LOG_FORMAT, ScrubbingFormatter, resolve_log_format
from creditunion.platform.request_context import request_id_set
from creditunion.shares.movements import KIND_DEPOSIT
from tests.api.banking.bank import Bank, gbp
from tests.api.conftest import LoggedIn, login
from tests.api.factories import PASSWORD, make_user
from tests.factories import ni_number

DOB = "1979-10-31"
DOB_FORMS = (DOB, "31/10/1979", "1979, 10, 31", "19791031")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def bank(engine: Engine, client: TestClient) -> Bank:
    return Bank.open(engine, client)


@pytest.fixture
def captured_logs() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Everything logged, at DEBUG, through the JSON and the text formatter."""
    as_json, as_text = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(as_json), logging.StreamHandler(as_text)]
    handlers[0].setFormatter(JsonFormatter())
    handlers[1].setFormatter(ScrubbingFormatter(LOG_FORMAT))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    yield as_json, as_text
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


@pytest.mark.usefixtures("bank")
def test_no_ni_number_or_date_of_birth_reaches_the_logs(
    live_server: str, captured_logs: tuple[io.StringIO, io.StringIO]
) -> None:
    teller = make_user()
    ni = ni_number(uuid.uuid4().int)
    spaced = f"{ni[:2]} {ni[2:4]} {ni[4:6]} {ni[6:8]} {ni[8]}"
    ids: list[str] = []
    with httpx.Client(base_url=live_server, timeout=30) as http:

        def call(method: str, url: str, **kwargs: object) -> httpx.Response:
            response = http.request(method, url, **kwargs)  # type: ignore[arg-type]
            ids.append(response.headers["x-request-id"])
            return response

        token = call(
            "POST", "/v1/auth/token", data={"username": teller.username, "password": PASSWORD}
        ).json()["access_token"]
        staff = {"Authorization": f"Bearer {token}"}
        registered = call(
            "POST",
            "/v1/members",
            headers=staff,
            json={
                "given_name": "Siobhan",
                "family_name": "Lynch",
                "date_of_birth": DOB,
                "address_line1": "7 Deansgate",
                "town": "Manchester",
                "postcode": "M3 4LZ",
                "ni_number": spaced,
                "common_bond": "employer",
                "bond_detail": "Manchester City Council",
                "login": {"username": f"m{uuid.uuid4().hex[:10]}", "password": f"pw-{ni}-{DOB}"},
            },
        )
        assert registered.status_code == 201, (registered.status_code, registered.text[:300])
        # The same person again: refused as a duplicate (the problem must not echo it).
        duplicate = call("POST", "/v1/members", headers=staff, json={"ni_number": ni, "x": DOB})
        assert duplicate.status_code == 422
        # Hostile places: the query string, the path, a sign-in with them as credentials.
        call("GET", f"/v1/members?ni_number={ni}&date_of_birth={DOB}&dob={DOB}", headers=staff)
        call("GET", f"/v1/members/{ni}", headers=staff)
        failed = call("POST", "/v1/auth/token", data={"username": ni, "password": DOB})
        assert failed.status_code == 401
        call("GET", f"/v1/members?name_prefix=Lynch&ni_number={spaced}", headers=staff)
    time.sleep(0.2)  # uvicorn writes the last access line after the response is sent
    as_json, as_text = (stream.getvalue() for stream in captured_logs)
    for output in (as_json, as_text):
        assert output, "something was logged"
        for leaked in (ni, spaced, ni.lower(), *DOB_FORMS, PASSWORD):
            assert leaked not in output, leaked
    lines = [json.loads(line) for line in as_json.splitlines()]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert {line["request_id"] for line in access} >= set(ids), "every request has its id"
    assert {line["method"] for line in access} == {"GET", "POST"}
    assert any(line["path"].startswith("/v1/members?") for line in access)


def test_a_json_line_has_the_fields_and_extras_and_scrubs_them() -> None:
    formatter = JsonFormatter()
    logger = logging.getLogger("probe.json")
    try:
        raise ValueError("bad input password=hunter22 for AB123456C")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    with request_id_set("req-9"):
        record = logger.makeRecord(
            "probe.json",
            logging.ERROR,
            __file__,
            1,
            "member %s born %s",
            ("AB123456C", "x"),
            exc_info,
            extra={"account_id": 7, "date_of_birth": "1990-01-02", "tags": ("a", 1)},
        )
    line = formatter.format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["level"] == "ERROR" and document["logger"] == "probe.json"
    assert document["request_id"] == "req-9"
    assert document["timestamp"].endswith("Z") and document["timestamp"][10] == "T"
    assert document["message"] == "member ******56C born x"
    assert document["account_id"] == 7 and document["tags"] == ["a", 1]
    assert document["date_of_birth"] == "[REDACTED]"
    assert "ValueError" in document["exception"]
    for secret in ("hunter22", "AB123456C", "1990-01-02"):
        assert secret not in line


def test_the_log_format_setting() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    pipe = io.StringIO()
    assert resolve_log_format("auto", environment="production", stream=pipe) == "json"
    assert resolve_log_format("auto", environment="production", stream=Terminal()) == "text"
    assert resolve_log_format("auto", environment="dev", stream=pipe) == "text"
    assert resolve_log_format("json", environment="dev", stream=Terminal()) == "json"
    assert resolve_log_format("text", environment="production", stream=pipe) == "text"
    with pytest.raises(ValueError):
        resolve_log_format("xml", environment="dev", stream=pipe)


# ----------------------------------------------------------------------------- metrics


@pytest.fixture
def metrics_url(engine: Engine) -> Iterator[str]:
    """The metrics listener `creditunion serve` starts beside the API, on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server, thread = metrics.serve_in_background(port=port, host="127.0.0.1", engine=engine)
    yield f"http://127.0.0.1:{port}/metrics"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _value(
    scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


def test_metrics_after_requests_and_a_posting(
    bank: Bank, client: TestClient, metrics_url: str
) -> None:
    teller: LoggedIn = login(client, make_user())
    account = bank.account(balance="10.00")
    before = _scrape(metrics_url)
    for _ in range(3):
        assert (
            client.get(f"/v1/share-accounts/{account.id}", headers=teller.headers).status_code
            == 200
        )
    assert client.get("/v1/share-accounts/999999999", headers=teller.headers).status_code == 404
    assert client.get("/no/such/path/123").status_code == 404
    key = str(uuid.uuid4())
    body = {"account_id": account.id, "amount": gbp("25.00")}
    headers = teller.headers | {"Idempotency-Key": key}
    assert client.post("/v1/cash/deposits", headers=headers, json=body).status_code == 201
    replay = client.post("/v1/cash/deposits", headers=headers, json=body)
    assert replay.headers.get("idempotent-replayed") == "true"
    after = _scrape(metrics_url)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    route = "/v1/share-accounts/{account_id}"
    assert delta("creditunion_http_requests_total", method="GET", route=route, status="200") == 3
    assert delta("creditunion_http_requests_total", method="GET", route=route, status="404") == 1
    assert (
        delta(
            "creditunion_http_request_duration_seconds_count",
            method="GET",
            route=route,
            status="200",
        )
        == 3
    )
    assert (
        delta(
            "creditunion_http_request_duration_seconds_bucket",
            method="GET",
            route=route,
            status="200",
            le="+Inf",
        )
        == 3
    )
    assert (
        delta("creditunion_http_requests_total", method="GET", route="<unmatched>", status="404")
        == 1
    )
    assert (
        delta(
            "creditunion_http_requests_total",
            method="POST",
            route="/v1/cash/deposits",
            status="201",
        )
        == 2
    )
    # The replay answered from the stored response posts nothing.
    assert delta("creditunion_ledger_entries_total", kind=KIND_DEPOSIT) == 1
    assert delta("creditunion_ledger_postings_total", kind=KIND_DEPOSIT) == 2
    assert delta("creditunion_ledger_post_duration_seconds_count", operation="entry") == 1
    # Route labels are templates: no raw id anywhere.
    routes = {
        dict(labels).get("route") for (name, labels) in after if name.startswith("creditunion_http")
    }
    assert not [r for r in routes if re.search(r"\d", (r or "").removeprefix("/v1/"))], routes
    # Read at scrape time.
    midnight = time.mktime(bank.today.timetuple()) - time.timezone
    assert _value(after, "creditunion_business_date_timestamp_seconds") == midnight
    assert _value(after, "creditunion_metrics_database_up") == 1
    assert _value(after, "creditunion_db_pool_size") >= 1
    assert ("creditunion_db_pool_checked_out", frozenset()) in after


def test_metrics_are_not_served_on_the_api_listener(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
