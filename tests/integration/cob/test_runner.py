from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from creditunion.cob.leader import CobBusy, leadership
from creditunion.cob.runner import StepFailed, run_step, run_steps_for_date
from creditunion.cob.steps import Progress, Step, StepOutcome
from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account
from ledger.invariants import check_invariants
from ledger.models import AccountType
from tests.integration.cob.steps_for_tests import STEP_BUDGET_S, credit_members_step
from tests.ledger_helpers import gbp, new_account

DAY = dt.date(2026, 11, 2)


def _accounts(engine: Engine, members: int = 5) -> tuple[int, list[int]]:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        ids = [new_account(s, floor=gbp("0")).id for _ in range(members)]
    return cash.id, ids


def _step_rows(engine: Engine, step: str) -> list[tuple[object, ...]]:
    with unit_of_work(engine) as s:
        rows = s.execute(
            text(
                "SELECT business_date, status, attempts, items FROM cob_step_runs "
                "WHERE step = :s ORDER BY business_date"
            ),
            {"s": step},
        ).all()
    return [tuple(r) for r in rows]


def test_a_step_runs_once_per_date_however_often_it_is_started(fresh_engine: Engine) -> None:
    cash, members = _accounts(fresh_engine)
    step = credit_members_step(cash, members)

    first = run_steps_for_date(
        fresh_engine, steps=[step], business_date=DAY, step_budget_s=STEP_BUDGET_S
    )
    second = run_steps_for_date(
        fresh_engine, steps=[step], business_date=DAY, step_budget_s=STEP_BUDGET_S
    )
    next_day = run_steps_for_date(
        fresh_engine, steps=[step], business_date=DAY + dt.timedelta(1), step_budget_s=STEP_BUDGET_S
    )

    assert [r.status for r in first] == ["completed"]
    assert [r.status for r in second] == ["skipped"]
    assert [r.status for r in next_day] == ["completed"]
    with unit_of_work(fresh_engine) as s:
        assert [get_account(s, m).balance for m in members] == [gbp("2.00")] * 5
    assert _step_rows(fresh_engine, "credit_members") == [
        (DAY, "completed", 1, 5),
        (DAY + dt.timedelta(1), "completed", 1, 5),
    ]


def test_a_failed_step_writes_nothing_and_runs_in_full_next_time(fresh_engine: Engine) -> None:
    cash, members = _accounts(fresh_engine)
    good = credit_members_step(cash, members, name="flaky")
    calls = {"n": 0}

    def flaky(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
        calls["n"] += 1
        outcome = good.run(session, business_date, progress)
        if calls["n"] == 1:
            raise RuntimeError("disk full, say")
        return outcome

    step = Step("flaky", flaky)
    with pytest.raises(StepFailed):
        run_step(fresh_engine, step=step, position=0, business_date=DAY, budget_s=STEP_BUDGET_S)
    assert _step_rows(fresh_engine, "flaky")[0][1] == "failed"
    with unit_of_work(fresh_engine) as s:
        assert get_account(s, members[0]).balance == gbp("0")

    report = run_step(
        fresh_engine, step=step, position=0, business_date=DAY, budget_s=STEP_BUDGET_S
    )

    assert report.status == "completed"
    assert _step_rows(fresh_engine, "flaky") == [(DAY, "completed", 2, 5)]
    with unit_of_work(fresh_engine) as s:
        assert get_account(s, members[0]).balance == gbp("1.00")


def test_two_runners_started_together_run_each_step_once(fresh_engine: Engine) -> None:
    cash, members = _accounts(fresh_engine)
    steps = [credit_members_step(cash, members, name=f"s{n}") for n in range(3)]
    barrier = threading.Barrier(2)
    statuses: list[str] = []
    guard = threading.Lock()

    def runner() -> None:
        barrier.wait()
        reports = run_steps_for_date(
            fresh_engine, steps=steps, business_date=DAY, step_budget_s=STEP_BUDGET_S
        )
        with guard:
            statuses.extend(r.status for r in reports)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(statuses) == ["completed"] * 3 + ["skipped"] * 3
    with unit_of_work(fresh_engine) as s:
        assert [get_account(s, m).balance for m in members] == [gbp("3.00")] * 5


def test_only_one_runner_holds_the_leader_lock(fresh_engine: Engine) -> None:
    with (
        leadership(fresh_engine, wait=False),
        pytest.raises(CobBusy, match="another"),
        leadership(fresh_engine, wait=False),
    ):
        pass
    with leadership(fresh_engine, wait=False):
        pass  # released after the first holder's block


def test_a_runner_killed_mid_step_leaves_nothing_and_a_rerun_posts_once(
    fresh_engine: Engine,
) -> None:
    cash, members = _accounts(fresh_engine)
    url = fresh_engine.url.render_as_string(hide_password=False)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.cob.steps_for_tests",
            url,
            DAY.isoformat(),
            str(cash),
            ",".join(map(str, members)),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "STEP-WROTE"  # postings written, uncommitted
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    assert _step_rows(fresh_engine, "credit_members")[0][1] == "running"

    report = run_step(
        fresh_engine,
        step=credit_members_step(cash, members),
        position=0,
        business_date=DAY,
        budget_s=STEP_BUDGET_S,
    )

    assert report.status == "completed"
    with unit_of_work(fresh_engine) as s:
        assert [get_account(s, m).balance for m in members] == [gbp("1.00")] * 5
        count = s.scalar(text("SELECT count(*) FROM journal_entries WHERE kind = 'test_cob'"))
        assert count == 5
        assert check_invariants(s).ok
