"""One close-of-business day leaves one `cob.step` audit record per step it completed, and
its run one `cob.run` record; a run that finds the day closed already adds no step record.

The contract: a step's record is written as close of business itself (`system:cob`, no
user), action `cob.step`, target type `cob_step`, target id the step's name, business date
the day closed, and a summary naming the step and the items it worked on (as the step's
run row counts them). Nothing else writes a record during the run, bar the money
settings' `settings.change` on a first run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import Engine, text

from creditunion.actors import COB_ACTOR
from creditunion.audit.money_settings import ACTION as SETTINGS_ACTION
from creditunion.auth.actor import Actor
from creditunion.cob.audit_trail import audited_close_of_business
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.shares.movements import deposit_cash, withdraw_cash
from ledger.money import Money
from tests.factories import ShareAccountFactory
from tests.factories_loans import TODAY, make_loan

DAY = TODAY
RUN_ACTOR = Actor(user_id=None, username=COB_ACTOR, role=None)


def _books_with_a_day_of_business(engine: Engine) -> None:
    """A loan paid out, and a cash withdrawal left awaiting approval (it lapses at COB)."""
    with unit_of_work(engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=DAY)
    make_loan(engine, amount="600", term=6, shares="800", on=DAY)
    with unit_of_work(engine) as s:
        account = ShareAccountFactory.create(session=s, business_date=DAY)
        deposit_cash(
            s,
            share_account_id=account.id,
            amount=Money("3000.00", "GBP"),
            actor="user:teller-1",
            idempotency_key=f"cob-audit:{uuid.uuid4()}",
            business_date=DAY,
        )
        pending = withdraw_cash(
            s,
            share_account_id=account.id,
            amount=Money("1500.00", "GBP"),
            actor="user:teller-1",
            idempotency_key=f"cob-audit:{uuid.uuid4()}",
            business_date=DAY,
            approval_limit=Money("1000.00", "GBP"),
        )
        assert pending.approval is not None


def _last_record_id(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(text("SELECT coalesce(max(id), 0) FROM audit_log")) or 0)


def _records_since(engine: Engine, after_id: int) -> list[dict[str, Any]]:
    with unit_of_work(engine) as s:
        rows = s.execute(
            text(
                "SELECT action, actor_username, actor_user_id, actor_role, target_type, "
                "target_id, business_date, summary FROM audit_log WHERE id > :after ORDER BY id"
            ),
            {"after": after_id},
        ).mappings()
        return [dict(row) for row in rows]


def _completed_steps(engine: Engine, day: dt.date) -> dict[str, int | None]:
    """Each step close of business completed for `day`, with the items its run row counts."""
    with unit_of_work(engine) as s:
        rows = s.execute(
            text(
                "SELECT step, items FROM cob_step_runs "
                "WHERE business_date = :d AND status = 'completed' ORDER BY position"
            ),
            {"d": day},
        ).all()
    return {row[0]: row[1] for row in rows}


def test_each_completed_step_of_a_day_writes_one_cob_step_record(fresh_engine: Engine) -> None:
    _books_with_a_day_of_business(fresh_engine)
    before = _last_record_id(fresh_engine)

    reports = audited_close_of_business(fresh_engine, actor=RUN_ACTOR, until=DAY)

    completed = _completed_steps(fresh_engine, DAY)
    assert [r.step for r in reports if r.status == "completed"] == list(completed)
    assert "approvals_expiry" in completed and completed["approvals_expiry"] == 1
    written = _records_since(fresh_engine, before)
    step_records = [r for r in written if r["action"] == "cob.step"]
    assert Counter(r["target_id"] for r in step_records) == Counter(list(completed)), (
        "exactly one cob.step record per completed step"
    )
    for record in step_records:
        name = record["target_id"]
        assert (record["actor_username"], record["actor_user_id"], record["actor_role"]) == (
            COB_ACTOR,
            None,
            None,
        ), name
        assert (record["target_type"], record["business_date"]) == ("cob_step", DAY), name
        assert record["summary"]["step"] == name
        assert record["summary"]["items"] == completed[name], name
    [run] = [r for r in written if r["action"] == "cob.run"]
    assert (run["actor_username"], run["target_id"]) == (COB_ACTOR, DAY.isoformat())
    assert run["summary"]["steps"] == {"completed": len(completed), "skipped": 0}
    others = Counter(r["action"] for r in written) - Counter(
        {"cob.step": len(step_records), "cob.run": 1}
    )
    assert others <= Counter({SETTINGS_ACTION: 1}), f"records besides the steps': {others}"


def test_a_run_over_a_closed_day_writes_no_step_record(fresh_engine: Engine) -> None:
    _books_with_a_day_of_business(fresh_engine)
    audited_close_of_business(fresh_engine, actor=RUN_ACTOR, until=DAY)
    before = _last_record_id(fresh_engine)

    reports = audited_close_of_business(fresh_engine, actor=RUN_ACTOR, until=DAY)

    assert reports == []
    written = _records_since(fresh_engine, before)
    assert [r["action"] for r in written] == ["cob.run"]
    assert written[0]["summary"]["result"] == "nothing_to_close"
