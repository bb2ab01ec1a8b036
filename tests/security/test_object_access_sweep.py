"""Member A cannot reach member B's objects by any id-bearing route (broken object-level
authorisation), whatever routes are added later.

The operations and their inputs come from the application's own OpenAPI document: every
path parameter, query parameter and top-level body field whose name says it identifies an
account, member, approval, entry, loan, application or user. A's token then sends B's
identifier in each of them in turn:

- an operation members may call answers 404 (or 403), exactly as it answers for an
  identifier that exists nowhere, with A's own objects in every other field;
- an operation members may not call answers 403 whatever the identifiers.

An identifying field this file has no value for fails the test, so a new route or field
cannot be forgotten. Afterwards nothing in the database has changed.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient

from api.domain import ID_MAX
from creditunion.auth.roles import Role
from tests.api.banking.bank import Bank
from tests.api.payments import builders
from tests.api.payments import collection_builders as direct_debits
from tests.security.world import (
    OPENAPI,
    Pair,
    body_schema,
    inputs,
    make_pair,
    may_call,
    operations,
    resolve,
    snapshot,
)

IDENTIFYING: Final = re.compile(
    r"(^|_)ids?$|account|member|approval|entry|loan|application|user|target_id", re.IGNORECASE
)
# Fields that name another member on purpose: paying someone by membership number is the
# feature (tests/api/banking/test_object_access.py shows the answer reveals nothing of them).
# The OAuth 2.0 form's client_id names a client application, not an object (and is ignored).
# A nominated account's number and kind are the member's account at another bank, not an
# object of ours; paying a loan on to it is a yes or no.
BY_DESIGN: Final = {
    ("POST", "/v1/me/transfers", "to_membership_number"),
    ("POST", "/v1/auth/token", "client_id"),
    ("PUT", "/v1/me/nominated-account", "account_number"),
    ("PUT", "/v1/me/nominated-account", "account_kind"),
    ("POST", "/v1/me/loan-applications/{application_id}/accept", "to_nominated_account"),
}
NOWHERE: Final = ID_MAX
# Bodies the schema alone cannot build (a rule across fields), made of A's own objects.
BASE_BODIES: Final[dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]]] = {
    ("POST", "/v1/me/transfers"): lambda own: {
        "from_account_id": own["account_id"],
        "to_account_id": own["second_account_id"],
        "amount": {"amount": "1.00", "currency": "GBP"},
    },
}
HAS_LOANS: Final = "/v1/me/loans/{loan_id}" in OPENAPI["paths"]


@dataclass
class Sides:
    """The value of each kind of identifier for A (own), for B (theirs) and for no one."""

    own: dict[str, Any] = field(default_factory=dict)
    theirs: dict[str, Any] = field(default_factory=dict)
    nowhere: dict[str, Any] = field(default_factory=dict)


def kind_of(name: str) -> str | None:
    """The kind of object a field names, or None if this file does not know it."""
    lowered = name.lower()
    for needle, kind in (
        ("account_number", "account_number"),
        ("membership_number", "membership_number"),
        ("account", "account_id"),
        ("member", "member_id"),
        ("approval", "approval_id"),
        ("entry", "entry_id"),
        ("loan", "loan_id"),
        ("application", "application_id"),
        ("user", "user_id"),
        ("target_id", "target_id"),
        ("payment", "payment_id"),
        ("file", "file_id"),
        ("credit", "credit_id"),
        ("line", "line_id"),
        ("mandate", "mandate_id"),
    ):
        if needle in lowered:
            return kind
    return None


def _loan_for(bank: Bank, member_id: int, born: dt.date) -> tuple[int, int]:
    """(loan id, application id) of a loan made and disbursed for `member_id`."""
    from sqlalchemy import select

    from loans.decision import MemberFacts
    from loans.models import LoanRow
    from tests.factories_loans import make_loan

    facts = MemberFacts(
        member_id=member_id,
        status="active",
        membership_start=dt.date(2020, 1, 1),
        date_of_birth=born,
        net_worth=None,
    )
    loan_id, _, _ = make_loan(bank.engine, facts=facts, on=bank.today)
    with bank.session() as session:
        application_id = session.scalar(select(LoanRow.application_id).where(LoanRow.id == loan_id))
    assert application_id is not None
    return loan_id, int(application_id)


def _payment_of(bank: Bank, pair: Pair) -> int:
    """A payment out of B's account, to B's nominated account."""
    builders.nominate_by_staff(bank, pair.b_member_id)
    return builders.payout(bank, pair.b_accounts[1].id, "5.00").id


@pytest.fixture(scope="module")
def pair(bank: Bank) -> Pair:
    return make_pair(bank)


@pytest.fixture(scope="module")
def sides(bank: Bank, pair: Pair) -> Sides:
    b_user = pair.b.user
    payment_id = _payment_of(bank, pair)  # due today, so the file made below holds it
    s = Sides()
    s.own = {
        "account_id": pair.a_accounts[0].id,
        "second_account_id": pair.a_accounts[1].id,
        "account_number": pair.a_accounts[0].account_number,
        "member_id": pair.a.user.member_id,
        "user_id": pair.a.user.id,
    }
    s.theirs = {
        "account_id": pair.b_accounts[0].id,
        "account_number": pair.b_accounts[0].account_number,
        "membership_number": pair.b_membership_number,
        "member_id": pair.b_member_id,
        "approval_id": pair.b_approval_id,
        "entry_id": pair.b_entry_id,
        "user_id": b_user.id,
        "target_id": str(pair.b_member_id),
        "payment_id": payment_id,
        # Staff-only routes (a member is refused whatever the id): any real one will do.
        "file_id": builders.produce(bank).id,
        "credit_id": builders.unmatched_credit(bank).id,
        "line_id": builders.statement_break(bank).id,
    }
    s.nowhere = {
        "account_id": NOWHERE,
        "account_number": "99999999",
        "membership_number": "M99999999",
        "member_id": NOWHERE,
        "approval_id": NOWHERE,
        "entry_id": str(uuid.UUID(int=0)),
        "user_id": NOWHERE,
        "target_id": str(NOWHERE),
        "loan_id": NOWHERE,
        "application_id": NOWHERE,
        "payment_id": NOWHERE,
        "file_id": NOWHERE,
        "credit_id": NOWHERE,
        "line_id": NOWHERE,
        "mandate_id": NOWHERE,
    }
    if HAS_LOANS:
        with bank.session() as session:
            from sqlalchemy import text

            born = {
                int(i): d
                for i, d in session.execute(text("SELECT id, date_of_birth FROM members")).all()
            }
        a_member = pair.a.user.member_id
        assert a_member is not None
        s.own["loan_id"], s.own["application_id"] = _loan_for(bank, a_member, born[a_member])
        s.theirs["loan_id"], s.theirs["application_id"] = _loan_for(
            bank, pair.b_member_id, born[pair.b_member_id]
        )
        # B's direct debit on B's loan (B's nominated account is set by `_payment_of`).
        s.theirs["mandate_id"] = direct_debits.mandate(bank, s.theirs["loan_id"]).id
    return s


def _example(name: str, schema: dict[str, Any], own: dict[str, Any]) -> Any:
    """A plausible value for a field, A's own object for an identifying one."""
    kind = kind_of(name)
    if kind is not None and kind in own:
        return own[kind]
    schema = resolve(schema)
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _example(name, option, own)
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    kind_type = schema.get("type")
    if kind_type == "object":
        required = schema.get("required", list(schema.get("properties", {})))
        return {
            key: _example(key, sub, own)
            for key, sub in schema.get("properties", {}).items()
            if key in required
        }
    return {"integer": 1, "boolean": False, "number": 1, "array": []}.get(kind_type or "", "x")


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    field: tuple[str, str]
    url: str
    query: dict[str, Any]
    body: dict[str, Any] | None
    form: bool


def _requests(
    method: str, path: str, operation: dict[str, Any], sides: Sides
) -> list[tuple[Probe, Probe]]:
    """(B's identifier, no one's identifier) in each identifying input in turn."""
    fields = [
        (location, name, schema)
        for location, name, schema in inputs(operation)
        if location in ("path", "query", "body") and IDENTIFYING.search(name)
    ]
    pairs = []
    for location, name, _ in fields:
        if (method, path, name) in BY_DESIGN:
            continue
        kind = kind_of(name)
        if kind is None or kind not in sides.theirs:
            raise AssertionError(
                f"{method} {path}: no value for identifying field {location} {name!r}; "
                "teach tests/security/test_object_access_sweep.py its kind"
            )
        built = []
        for side in (sides.theirs, sides.nowhere):
            path_values: dict[str, Any] = {}
            query: dict[str, Any] = {}
            for loc, other, schema in inputs(operation):
                value = side[kind] if other == name else _example(other, schema, sides.own)
                if loc == "path":
                    path_values[other] = value
                elif loc == "query" and other == name:
                    query[other] = value
            body_spec = body_schema(operation)
            body = None
            if body_spec is not None:
                base = BASE_BODIES.get((method, path))
                body = base(sides.own) if base else _example("body", body_spec[1], sides.own)
                assert isinstance(body, dict)
                if location == "body":
                    body[name] = side[kind]
            url = path.format(**{k: str(v) for k, v in path_values.items()})
            form = body_spec is not None and body_spec[0] != "application/json"
            built.append(Probe(method, path, (location, name), url, query, body, form))
        pairs.append((built[0], built[1]))
    return pairs


def _send(client: TestClient, probe: Probe, headers: dict[str, str]) -> Any:
    sent = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    if probe.body is None:
        return client.request(probe.method, probe.url, params=probe.query, headers=sent)
    if probe.form:
        return client.request(
            probe.method, probe.url, params=probe.query, data=probe.body, headers=sent
        )
    return client.request(
        probe.method, probe.url, params=probe.query, json=probe.body, headers=sent
    )


def identifying_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for method, path, operation in operations()
        if any(
            IDENTIFYING.search(name)
            for location, name, _ in inputs(operation)
            if location != "header"
        )
    ]


def test_the_sweep_sees_every_kind_of_identifier() -> None:
    """The generated list covers the routes it must (it is not silently empty)."""
    found = {(m, p) for m, p, _ in identifying_operations()}
    assert ("GET", "/v1/me/accounts/{account_id}") in found
    assert ("POST", "/v1/me/transfers") in found
    assert ("GET", "/v1/members/{member_id}") in found
    assert ("POST", "/v1/approvals/{approval_id}/approve") in found
    assert ("POST", "/v1/reversals") in found
    assert ("GET", "/v1/me/payments/{payment_id}") in found
    assert ("POST", "/v1/me/payments") in found
    assert len(found) >= 20


def test_a_member_reaches_no_other_members_object_by_any_route(
    bank: Bank, client: TestClient, pair: Pair, sides: Sides
) -> None:
    before = snapshot(bank)
    failures: list[str] = []
    checked = 0
    for method, path, operation in identifying_operations():
        member_may = may_call(operation, Role.MEMBER)
        public = operation["x-permission"] == "public"
        for theirs, nowhere in _requests(method, path, operation, sides):
            answer = _send(client, theirs, pair.a.headers)
            checked += 1
            where = f"{method} {path} {theirs.field}"
            if public:
                if answer.status_code < 400:
                    failures.append(f"{where}: public route accepted another's id")
            elif not member_may:
                if answer.status_code != 403:
                    failures.append(f"{where}: {answer.status_code}, expected 403")
            else:
                missing = _send(client, nowhere, pair.a.headers)
                if answer.status_code not in (403, 404):
                    failures.append(f"{where}: {answer.status_code} {answer.text[:200]}")
                elif (answer.status_code, answer.json()["type"]) != (
                    missing.status_code,
                    missing.json()["type"],
                ):
                    failures.append(
                        f"{where}: another's id answers {answer.status_code} "
                        f"{answer.json()['type']}, a missing one {missing.status_code} "
                        f"{missing.json()['type']}: existence leaks"
                    )
    assert not failures, "\n".join(failures)
    assert checked >= 30
    assert snapshot(bank) == before


def test_a_forged_member_id_claim_reaches_nothing(
    bank: Bank, client: TestClient, pair: Pair, api_settings: Any
) -> None:
    """A token for A's login claiming B's member id, signed with the real key (as if the
    key had leaked), is refused: the claims must match the login on record."""
    from tests.security.tokens import forged

    secret = api_settings.jwt_secret.get_secret_value()
    token = forged(pair.a.access_token, secret, member_id=pair.b_member_id)
    before = snapshot(bank)
    for url in ("/v1/me", "/v1/me/accounts", f"/v1/me/accounts/{pair.b_accounts[0].id}"):
        answer = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, (url, answer.text)
    moved = client.post(
        "/v1/me/transfers",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        json={
            "from_account_id": pair.b_accounts[0].id,
            "to_account_id": pair.b_accounts[1].id,
            "amount": {"amount": "1.00", "currency": "GBP"},
        },
    )
    assert moved.status_code == 401
    assert snapshot(bank) == before
