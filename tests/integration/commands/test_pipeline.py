"""The command pipeline: one audit record per command, in the command's transaction, under
its deadline; a command refused or out of time changes nothing and records nothing."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from creditunion.audit.models import AuditRecord
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Role
from creditunion.commands import (
    Audited,
    CommandContext,
    IdempotencyKey,
    MissingIdempotencyKey,
    ScopeMismatch,
    command,
    member_context,
    staff_context,
)
from creditunion.platform.database import unit_of_work
from ledger.deadline import Deadline, current_deadline
from ledger.ownership import MemberScope
from ledger.transaction import DeadlineExceeded

DAY = dt.date(2026, 3, 2)
TELLER = Actor(user_id=7, username="teller", role=Role.TELLER)
MEMBER = Actor(user_id=8, username="m", role=Role.MEMBER, member_id=41)
SEEN: list[Deadline | None] = []


@command(action="test.touch", target_type="test_thing")
def touch(_session: Session, context: CommandContext, *, thing: str) -> Audited[str]:
    SEEN.append(current_deadline())
    return Audited(thing.upper(), target_id=thing, summary={"by": context.actor_ref})


@command(action="test.refuse", target_type="test_thing")
def refuse(_session: Session, _context: CommandContext) -> Audited[None]:
    raise LookupError("no such thing")


@command(action="test.pay", target_type="test_thing", moves_money=True)
def pay(_session: Session, context: CommandContext) -> Audited[str]:
    return Audited(context.ledger_key("a"), target_id=1)


def _records(engine: Engine, target_id: str) -> list[AuditRecord]:
    with unit_of_work(engine) as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.target_id == target_id)))


def _context(**kwargs: object) -> CommandContext:
    return staff_context(TELLER, business_date=DAY, deadline=Deadline.after(5.0), **kwargs)  # type: ignore[arg-type]


def test_a_command_writes_one_record_from_its_result_under_its_deadline(engine: Engine) -> None:
    thing = uuid.uuid4().hex
    context = _context()
    with unit_of_work(engine) as s:
        assert touch(s, context, thing=thing) == thing.upper()
    assert SEEN[-1] is context.deadline
    [row] = _records(engine, thing)
    assert (row.action, row.target_type, row.actor_user_id) == ("test.touch", "test_thing", 7)
    assert (row.summary, row.business_date) == ({"by": "user:7"}, DAY)


def test_a_refused_or_rolled_back_command_leaves_no_record(engine: Engine) -> None:
    thing = uuid.uuid4().hex
    with pytest.raises(LookupError), unit_of_work(engine) as s:
        refuse(s, _context())
    with pytest.raises(RuntimeError), unit_of_work(engine) as s:
        touch(s, _context(), thing=thing)
        raise RuntimeError("the edge failed after the command")
    assert _records(engine, thing) == []


def test_a_command_out_of_time_does_not_run(engine: Engine) -> None:
    thing = uuid.uuid4().hex
    late = staff_context(TELLER, business_date=DAY, deadline=Deadline.after(0.01))
    time.sleep(0.02)
    with pytest.raises(DeadlineExceeded), unit_of_work(engine) as s:
        touch(s, late, thing=thing)
    assert _records(engine, thing) == []


def test_money_moves_only_with_an_idempotency_key(engine: Engine) -> None:
    with pytest.raises(MissingIdempotencyKey), unit_of_work(engine) as s:
        pay(s, _context())
    key = IdempotencyKey(namespace="http", owner="7", key="k-1")
    with unit_of_work(engine) as s:
        assert pay(s, _context(idempotency=key)) == "http:7:k-1:a"
        count = s.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "test.pay")
        )
    assert count is not None and count >= 1


def test_scope_follows_the_actor() -> None:
    own = member_context(MEMBER, business_date=DAY, deadline=Deadline.after(5.0))
    assert own.scope == MemberScope(41)
    assert _context().scope.member_id is None
    with pytest.raises(ScopeMismatch):
        staff_context(MEMBER, business_date=DAY, deadline=Deadline.after(5.0))
    with pytest.raises(ScopeMismatch):
        member_context(TELLER, business_date=DAY, deadline=Deadline.after(5.0))


def test_a_context_cannot_be_made_without_a_deadline() -> None:
    with pytest.raises(TypeError):
        CommandContext(  # type: ignore[call-arg]
            actor=TELLER, business_date=DAY, scope=MemberScope(1), request_id=None, idempotency=None
        )
