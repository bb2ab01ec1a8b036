"""Request ids: echoed when sane, generated otherwise, carried into logs and audit records."""

from __future__ import annotations

import logging
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from creditunion.platform.logging_setup import LOG_FORMAT, ScrubbingFormatter
from creditunion.platform.redaction import scrub, scrub_text
from creditunion.platform.request_context import request_id_set
from tests.api.factories import PASSWORD, make_user


def test_a_sane_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "abc-123_XYZ.7"})
    assert response.headers["x-request-id"] == "abc-123_XYZ.7"


@pytest.mark.parametrize("given", ["", "x" * 129, "has\u0007bell", " padded"])
def test_an_unusable_request_id_is_replaced_with_a_uuid(client: TestClient, given: str) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": given})
    generated = response.headers["x-request-id"]
    assert generated != given
    uuid.UUID(generated)


def test_without_one_a_uuid_is_generated(client: TestClient) -> None:
    first = client.get("/health/live").headers["x-request-id"]
    second = client.get("/health/live").headers["x-request-id"]
    assert first != second
    uuid.UUID(first)


def test_the_request_id_reaches_the_audit_trail(client: TestClient, engine: Engine) -> None:
    user = make_user()
    request_id = f"audit-{uuid.uuid4()}"
    response = client.post(
        "/v1/auth/token",
        data={"username": user.username, "password": PASSWORD},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 200
    with engine.connect() as conn:
        actions = (
            conn.execute(
                text("SELECT action FROM audit_log WHERE request_id = :r"), {"r": request_id}
            )
            .scalars()
            .all()
        )
    assert actions == ["auth.login"]


def test_log_lines_carry_the_request_id_and_no_secrets() -> None:
    formatter = ScrubbingFormatter(LOG_FORMAT)
    with request_id_set("req-77"):
        record = logging.getLogger("probe").makeRecord(
            "probe",
            logging.INFO,
            __file__,
            1,
            "login %s password=%s token: %s ni_number=%s dob=%s auth %s",
            (
                "alice",
                "hunter22",
                "eyJhbGciOi.eyJzdWIiOjF9.c2lnbmF0dXJl",
                "AB123456C",
                "1990-01-02",
                "Bearer abc.def",
            ),
            None,
        )
    line = formatter.format(record)
    assert "[req-77]" in line
    for secret in ("hunter22", "eyJhbGciOi", "AB123456C", "1990-01-02", "abc.def"):
        assert secret not in line, secret
    assert "alice" in line


def test_scrub_masks_nested_fields_and_look_alikes() -> None:
    cleaned = scrub(
        {
            "Password": "x",
            "profile": {"date_of_birth": "1990-01-02", "ni_number": "QQ 12 34 56 C", "name": "Ann"},
            "notes": ["call about AB123456C"],
            "refresh-token": "r",
        }
    )
    assert cleaned == {
        "Password": "[REDACTED]",
        "profile": {"date_of_birth": "[REDACTED]", "ni_number": "******56C", "name": "Ann"},
        "notes": ["call about ******56C"],
        "refresh-token": "[REDACTED]",
    }
    assert scrub_text('{"password": "p@ss w0rd"}') == '{"password": [REDACTED]}'
