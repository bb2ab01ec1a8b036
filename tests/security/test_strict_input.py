"""Strict input types, proved by walking the OpenAPI document.

Pydantic's lax mode reads a number as Unix time (`to_date=0` is 1970-01-01), `true` as the
integer 1 and `"10"` or `10.0` as 10. Every date and date-time parameter and body field
must refuse a number, and every integer or boolean body field (nested objects' too) a value
of another JSON type, each with a 422 that names that field (so the refusal is for the
value sent, not for some other field left out).
"""

from __future__ import annotations

import uuid
from typing import Any, Final
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from creditunion.auth.roles import Role
from tests.api.banking.bank import Bank
from tests.api.conftest import LoggedIn
from tests.security.test_injection import ROLE_ORDER, _filler
from tests.security.world import body_schema, inputs, operations, resolve

# Numbers a lax parser would read as a moment: in a query string they arrive as text.
DATE_NUMBERS_IN_QUERY: Final = ("0", "5", "1700000000", "-1")
DATE_NUMBERS_IN_BODY: Final[tuple[object, ...]] = (0, 5, 1700000000, 1.5, "0", "1700000000")
NOT_AN_INTEGER: Final[tuple[object, ...]] = (True, False, "10", 10.0, "1e1", [1], None)
NOT_A_BOOLEAN: Final[tuple[object, ...]] = (1, 0, "true", "false", "yes", "1", None)


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = resolve(schema)
    if "anyOf" in schema:
        return [resolve(option) for option in schema["anyOf"]]
    return [schema]


def _is_dated(schema: dict[str, Any]) -> bool:
    return any(
        o.get("type") == "string" and o.get("format") in ("date", "date-time")
        for o in _options(schema)
    )


def _of_type(schema: dict[str, Any], json_type: str) -> bool:
    return any(o.get("type") == json_type for o in _options(schema))


def _nullable(schema: dict[str, Any]) -> bool:
    return any(o.get("type") == "null" for o in _options(schema))


class _Callers:
    """One login per role, made when first needed."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.logins: dict[Role, LoggedIn] = {}

    def headers(self, operation: dict[str, Any]) -> dict[str, str]:
        if operation["x-permission"] == "public":
            return {}
        role = next(r for r in ROLE_ORDER if r.value in operation["x-roles"])
        if role not in self.logins:
            self.logins[role] = (
                self.bank.member_login() if role is Role.MEMBER else self.bank.staff(role)
            )
        return self.logins[role].headers


def _fields(operation: dict[str, Any]) -> list[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """(location, path within it, schema) of every parameter and every body field, nested
    objects' fields included (not the items of arrays)."""
    found = [
        (location, (name,), schema)
        for location, name, schema in inputs(operation)
        if location not in ("header", "body")
    ]

    def walk(schema: dict[str, Any], prefix: tuple[str, ...]) -> None:
        for name, field in resolve(schema).get("properties", {}).items():
            found.append(("body", (*prefix, name), resolve(field)))
            for option in _options(field):
                if option.get("type") == "object":
                    walk(option, (*prefix, name))

    body = body_schema(operation)
    if body is not None:
        walk(body[1], ())
    return found


def _send(
    client: TestClient,
    callers: _Callers,
    method: str,
    path: str,
    operation: dict[str, Any],
    *,
    location: str,
    parts: tuple[str, ...],
    value: object,
) -> tuple[int, list[dict[str, Any]]]:
    fields = inputs(operation)
    path_values = {n: _filler(s) for loc, n, s in fields if loc == "path"}
    query: dict[str, Any] = {}
    body_spec = body_schema(operation)
    body = None
    if body_spec is not None:
        required = set(body_spec[1].get("required", []))
        # Optional fields are left out, so no filler value of theirs answers for the probe.
        body = {
            n: _filler(s)
            for n, s in body_spec[1].get("properties", {}).items()
            if n in required or n == parts[0]
        }
    if location == "path":
        path_values[parts[0]] = value
    elif location == "query":
        query[parts[0]] = value
    else:
        assert isinstance(body, dict)
        container = body
        for part in parts[:-1]:
            container = container[part]
        container[parts[-1]] = value
    url = path.format(**{k: quote(str(v), safe="") for k, v in path_values.items()})
    headers = {**callers.headers(operation), "Idempotency-Key": str(uuid.uuid4())}
    if body_spec is not None and body_spec[0] == "application/json":
        answer = client.request(method, url, params=query, json=body, headers=headers)
    elif body_spec is not None:
        answer = client.request(method, url, params=query, data=body, headers=headers)
    else:
        answer = client.request(method, url, params=query, headers=headers)
    errors = answer.json().get("errors", []) if answer.status_code == 422 else []
    return answer.status_code, errors


def _refused_at(
    status: int, errors: list[dict[str, Any]], location: str, parts: tuple[str, ...]
) -> bool:
    pointer = "#/" + "/".join(parts)
    return status == 422 and any(
        e["location"] == location and e["pointer"] == pointer for e in errors
    )


def _walk(
    client: TestClient,
    bank: Bank,
    pick: Any,
    values_for: Any,
) -> tuple[list[str], int]:
    callers = _Callers(bank)
    failures: list[str] = []
    probed = 0
    for method, path, operation in operations():
        for location, parts, schema in _fields(operation):
            if not pick(location, schema):
                continue
            probed += 1
            for value in values_for(location, schema):
                status, errors = _send(
                    client,
                    callers,
                    method,
                    path,
                    operation,
                    location=location,
                    parts=parts,
                    value=value,
                )
                if not _refused_at(status, errors, location, parts):
                    field = "/".join(parts)
                    failures.append(
                        f"{method} {path} {location}:{field}={value!r}: {status} {errors}"
                    )
    return failures, probed


def test_every_date_and_datetime_input_refuses_a_number(bank: Bank, client: TestClient) -> None:
    assert bank.today

    def values(location: str, _schema: dict[str, Any]) -> tuple[object, ...]:
        return DATE_NUMBERS_IN_QUERY if location in ("query", "path") else DATE_NUMBERS_IN_BODY

    failures, probed = _walk(client, bank, lambda _loc, s: _is_dated(s), values)
    assert not failures, "\n".join(failures)
    # The audit log's two instants, the exports' and proofs' ranges, the statements' ranges
    # (staff's and a member's), close of business, dividends: far more than a handful.
    assert probed >= 15


def test_every_integer_body_field_refuses_booleans_text_and_floats(
    bank: Bank, client: TestClient
) -> None:
    assert bank.today

    def values(_location: str, schema: dict[str, Any]) -> tuple[object, ...]:
        return tuple(v for v in NOT_AN_INTEGER if not (v is None and _nullable(schema)))

    failures, probed = _walk(
        client, bank, lambda loc, s: loc == "body" and _of_type(s, "integer"), values
    )
    assert not failures, "\n".join(failures)
    assert probed >= 10


def test_every_boolean_body_field_refuses_numbers_and_text(bank: Bank, client: TestClient) -> None:
    assert bank.today

    def values(_location: str, schema: dict[str, Any]) -> tuple[object, ...]:
        return tuple(v for v in NOT_A_BOOLEAN if not (v is None and _nullable(schema)))

    failures, probed = _walk(
        client, bank, lambda loc, s: loc == "body" and _of_type(s, "boolean"), values
    )
    assert not failures, "\n".join(failures)
    assert probed >= 2


@pytest.mark.parametrize("account_id", [True, "1", 1.0])
def test_a_deposit_to_an_id_of_another_type_posts_nothing(
    bank: Bank, client: TestClient, account_id: object
) -> None:
    account = bank.account(balance="10.00")
    assert account.id >= 1
    teller = bank.staff(Role.TELLER)
    before = bank.journal_count()
    answer = client.post(
        "/v1/cash/deposits",
        json={"account_id": account_id, "amount": {"amount": "5.00", "currency": "GBP"}},
        headers={**teller.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 422, answer.text
    assert [e["pointer"] for e in answer.json()["errors"]] == ["#/account_id"]
    assert bank.journal_count() == before


@pytest.mark.parametrize("to_date", ["0", "1700000000"])
def test_a_member_statement_to_unix_time_is_refused(
    bank: Bank, client: TestClient, to_date: str
) -> None:
    member = bank.member()
    account = bank.account(member_id=member.id, balance="10.00")
    login = bank.member_login(member.id)
    answer = client.get(
        f"/v1/me/accounts/{account.id}/transactions",
        params={"to_date": to_date},
        headers=login.headers,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["pointer"] == "#/to_date"
