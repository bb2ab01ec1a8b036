"""Test-only endpoints (mounted by tests/api/conftest.py, never by create_app)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.idempotency import IdempotencyDep
from api.money import MoneyOut, PositiveMoney
from api.problems import ProblemSpec, ProblemTable
from api.security import PUBLIC, require
from api.transactions import DbSession, api_router
from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.errors import Conflict
from ledger.checks import InsufficientFunds

router = api_router(prefix="/_test", tags=["test-only"])
attempts: Counter[str] = Counter()
_attempts_lock = threading.Lock()

Signed = Annotated[Actor, require(Permission.SESSION)]


class WidgetJammed(Exception):
    pass


PROBLEMS: ProblemTable = ((WidgetJammed, ProblemSpec(409, "Widget jammed", "widget-jammed")),)


class MoveIn(BaseModel):
    amount: PositiveMoney
    note: str = Field(default="", max_length=100)
    sleep_ms: int = Field(default=0, ge=0, le=3000)


@router.get("/boom", openapi_extra=PUBLIC)
def boom() -> None:
    raise RuntimeError("secret internal detail 42")


def _move(session: DbSession, body: MoveIn, idem: IdempotencyDep, actor: Actor) -> dict[str, Any]:
    audit_id = audit.record(
        session,
        actor=actor,
        action="test.move",
        target_type="test",
        target_id=idem.key[:64],
        summary={"amount": str(body.amount.to_money()), "note": body.note},
    )
    if body.sleep_ms:
        time.sleep(body.sleep_ms / 1000)
    if body.note == "fail":
        raise Conflict("refused on purpose")
    return {
        "audit_id": audit_id,
        "ledger_key": idem.ledger_key(),
        "amount": MoneyOut.of(body.amount.to_money()).model_dump(),
    }


@router.post("/moves", status_code=201)
def move(session: DbSession, body: MoveIn, idem: IdempotencyDep, actor: Signed) -> dict[str, Any]:
    return _move(session, body, idem, actor)


@router.post("/moves-elsewhere", status_code=201)
def move_elsewhere(
    session: DbSession, body: MoveIn, idem: IdempotencyDep, actor: Signed
) -> dict[str, Any]:
    return _move(session, body, idem, actor)


@router.post("/money", openapi_extra=PUBLIC)
def money(body: PositiveMoney) -> MoneyOut:
    return MoneyOut.of(body.to_money())


@router.post("/insufficient", openapi_extra=PUBLIC)
def insufficient() -> None:
    raise InsufficientFunds(7, 0, -500)


@router.post("/widget", openapi_extra=PUBLIC)
def widget() -> None:
    raise WidgetJammed("the widget jammed")


@router.post("/transient", openapi_extra=PUBLIC)
def transient(
    session: DbSession,
    token: Annotated[str, Query(max_length=64)],
    fail_times: Annotated[int, Query(ge=0, le=10)] = 1,
) -> dict[str, int]:
    with _attempts_lock:
        attempts[token] += 1
        attempt = attempts[token]
    if attempt <= fail_times:
        # A real serialization failure from the server, as a concurrent update would cause.
        session.execute(
            text("DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '40001'; END $$")
        )
    return {"attempt": attempt}


@router.post("/commit-fails", openapi_extra=PUBLIC)
def commit_fails(session: DbSession, actor: Signed) -> dict[str, str]:
    # A deferred foreign key is only checked at COMMIT, after the handler has returned.
    session.execute(
        text(
            "CREATE TEMP TABLE deferred_probe (id int PRIMARY KEY, ref int "
            "REFERENCES deferred_probe (id) DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP"
        )
    )
    session.execute(text("INSERT INTO deferred_probe VALUES (1, 99)"))
    audit.record(session, actor=actor, action="test.commit_fails", target_type=None, target_id=None)
    return {"status": "this must never reach the client"}


@router.post("/rolls-back", openapi_extra=PUBLIC)
def rolls_back(session: DbSession, actor: Signed) -> None:
    audit.record(session, actor=actor, action="test.rolled_back", target_type=None, target_id=None)
    raise Conflict("refused after writing")
