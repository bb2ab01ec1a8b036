"""A schemathesis run over the whole OpenAPI document, signed in as a manager and as a member.

Every operation gets a bounded number of generated requests against a database of its
own, seeded with members, accounts, movements and pending approvals so that generated
ids sometimes hit real rows. Requests that conform to the document (schemathesis'
positive mode) must get answers that match what the document promises: a documented
status, its content type and its schema. Requests that break it (negative mode) must
be refused, never crash: no 5xx either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, negative_data_rejection, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api.app import create_app
from creditunion.auth.roles import Role
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.shares.movements import deposit_cash, withdraw_cash
from launch.migrate import head_revisions
from ledger.money import Money
from tests.api.conftest import LoggedIn, login
from tests.api.factories import bind_factories, make_user
from tests.factories import MemberFactory, ShareAccountFactory

POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 8
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Input that breaks the document is refused (4xx), never taken in some looser reading.
REJECTION = [not_a_server_error, negative_data_rejection]
TODAY = dt.date(2026, 11, 25)

log = logging.getLogger(__name__)


@dataclass
class Target:
    app: FastAPI
    manager: LoggedIn
    member: LoggedIn
    admin: LoggedIn

    def callers(self, operation: APIOperation) -> list[LoggedIn]:
        """The manager and the member, if their role may call the operation."""
        found = [(self.manager, Role.MANAGER), (self.member, Role.MEMBER)]
        return [who for who, role in found if _may_call(operation, role)]


def _seed(engine: Engine) -> int:
    """Members with accounts, deposits and a pending withdrawal; returns one member's id."""
    staff = "user:seed"
    with unit_of_work(engine) as session:
        initialise(session, settings=Settings(base_currency="GBP"), business_date=TODAY)
    member_ids = []
    with unit_of_work(engine) as session:
        for n in range(4):
            member = MemberFactory.create(session=session, business_date=TODAY)
            member_ids.append(member.id)
            for _ in range(2):
                account = ShareAccountFactory.create(
                    session=session, member_id=member.id, business_date=TODAY
                )
                deposit_cash(
                    session,
                    share_account_id=account.id,
                    amount=Money(f"{1500 + n}.00", "GBP"),
                    actor=staff,
                    idempotency_key=f"seed:deposit:{account.id}",
                    business_date=TODAY,
                )
            withdraw_cash(
                session,
                share_account_id=account.id,
                amount=Money("1200.00", "GBP"),
                actor=staff,
                idempotency_key=f"seed:withdraw:{account.id}",
                business_date=TODAY,
                approval_limit=Money("1000.00", "GBP"),
            )
    return member_ids[0]


@pytest.fixture
def target(api_settings: Settings, engine: Engine, fresh_engine: Engine) -> Iterator[Target]:
    """The app on a database of its own: what it posts must not disturb other tests."""
    member_id = _seed(fresh_engine)
    bind_factories(fresh_engine)
    try:
        app = create_app(api_settings, engine=fresh_engine, schema_heads=head_revisions())
        with TestClient(app) as client:
            manager = login(client, make_user(Role.MANAGER))
            member = login(client, make_user(Role.MEMBER, member_id=member_id))
            admin = login(client, make_user(Role.ADMIN))
        yield Target(app=app, manager=manager, member=member, admin=admin)
    finally:
        bind_factories(engine)


def _may_call(operation: APIOperation, role: Role) -> bool:
    raw = operation.definition.raw
    return bool(raw["x-permission"] == "public" or role.value in raw["x-roles"])


def _fuzz(
    operation: APIOperation,
    who: LoggedIn,
    mode: GenerationMode,
    examples: int,
    checks: list[CheckFunction],
    statuses: Counter[tuple[GenerationMode, int]],
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        # The signed-in user's token, whatever the generated case carries; conforming
        # requests get a fresh Idempotency-Key, or the documented example key would make
        # every money-moving request after the first a replay or a conflict.
        headers = dict(who.headers)
        if mode is GenerationMode.POSITIVE and "Idempotency-Key" in (case.headers or {}):
            headers["Idempotency-Key"] = str(uuid.uuid4())
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)
        statuses[mode, response.status_code] += 1

    try:
        check()
    except Unsatisfiable:
        # Nothing can break this operation's input (it takes no parameters, no body).
        assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.mark.slow
def test_no_operation_answers_5xx_or_off_schema(target: Target) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", target.app)
    loaded = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in loaded), loaded
    operations = [result.ok() for result in loaded]
    statuses: Counter[tuple[GenerationMode, int]] = Counter()
    started = time.monotonic()
    # What only an admin may do (deactivate a user, reset a password) can end the
    # manager's or the member's login, so it runs after everything else.
    ordered = sorted(operations, key=lambda o: not target.callers(o))
    for operation in ordered:
        # What a role may not call is refused whatever the input (the role matrix shows
        # that), so the examples go where the input reaches the code: as the manager and
        # as the member, or as an admin for what only admins may do.
        for who in target.callers(operation) or [target.admin]:
            for mode, examples, checks in [
                (GenerationMode.POSITIVE, POSITIVE_EXAMPLES, CONFORMANCE),
                (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, REJECTION),
            ]:
                _fuzz(operation, who, mode, examples, checks, statuses)
    log.info(
        "schemathesis: %d operations, %d requests in %.1fs; (mode, status): %s",
        len(operations),
        sum(statuses.values()),
        time.monotonic() - started,
        dict(sorted(statuses.items())),
    )
    assert len(operations) >= 40
    assert not [status for (_, status) in statuses if status >= 500]
    assert sum(n for (mode, status), n in statuses.items() if status < 300) > 0
