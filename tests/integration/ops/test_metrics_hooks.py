"""The metrics hooks below the API: postings counted on commit only, COB steps, the pool,
and several processes counting into one place (PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creditunion.cob.runner import StepFailed, run_step
from creditunion.cob.steps import Progress, Step, StepOutcome
from creditunion.platform import metrics
from creditunion.platform.database import unit_of_work
from ledger import observe
from ledger.batch import post_batch
from ledger.models import AccountType
from ledger.posting import post_entry
from tests.integration.cob.steps_for_tests import STEP_BUDGET_S
from tests.ledger_helpers import gbp, new_account, transfer


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(autouse=True)
def _installed() -> None:
    metrics.install()


@pytest.fixture
def accounts(engine: Engine) -> tuple[int, int]:
    with unit_of_work(engine) as session:
        cash = new_account(session, AccountType.ASSET)
        member = new_account(session)
    return cash.id, member.id


def test_a_committed_posting_is_counted_once_by_kind(
    engine: Engine, accounts: tuple[int, int]
) -> None:
    kind = f"k{uuid.uuid4().hex[:8]}"
    request = transfer(*accounts, gbp("5.00"), kind=kind)
    latency_before = sample("creditunion_ledger_post_duration_seconds_count", operation="entry")
    with unit_of_work(engine) as session:
        post_entry(session, request)
        # Not yet: the transaction may still roll back.
        assert sample("creditunion_ledger_entries_total", kind=kind) == 0
    assert sample("creditunion_ledger_entries_total", kind=kind) == 1
    assert sample("creditunion_ledger_postings_total", kind=kind) == 2
    replays = sample("creditunion_ledger_replays_total", operation="entry")
    with unit_of_work(engine) as session:
        assert post_entry(session, request).replayed
    assert sample("creditunion_ledger_entries_total", kind=kind) == 1
    assert sample("creditunion_ledger_replays_total", operation="entry") == replays + 1
    latency_after = sample("creditunion_ledger_post_duration_seconds_count", operation="entry")
    assert latency_after == latency_before + 2


def test_a_rolled_back_posting_is_not_counted_even_when_the_session_is_reused(
    engine: Engine, accounts: tuple[int, int]
) -> None:
    kind = f"k{uuid.uuid4().hex[:8]}"
    with Session(engine) as session:
        session.begin()
        post_entry(session, transfer(*accounts, gbp("1.00"), kind=kind))
        session.rollback()
        # The same session commits something else afterwards: the rolled-back entry
        # must not ride along with it.
        session.begin()
        post_entry(session, transfer(*accounts, gbp("2.00"), kind=kind + "x"))
        session.commit()
    assert sample("creditunion_ledger_entries_total", kind=kind) == 0
    assert sample("creditunion_ledger_entries_total", kind=kind + "x") == 1


def test_a_batch_counts_what_it_wrote_and_not_what_it_refused(
    engine: Engine, accounts: tuple[int, int]
) -> None:
    kind = f"k{uuid.uuid4().hex[:8]}"
    cash, member = accounts
    good = [transfer(cash, member, gbp("1.00"), kind=kind) for _ in range(3)]
    bad = transfer(cash, member, gbp("1.00"), key=good[0].idempotency_key, kind=kind + "y")
    with unit_of_work(engine) as session:
        post_batch(session, [*good, bad])
    assert sample("creditunion_ledger_entries_total", kind=kind) == 3
    assert sample("creditunion_ledger_postings_total", kind=kind) == 6
    assert sample("creditunion_ledger_entries_total", kind=kind + "y") == 0


def test_an_observer_that_raises_never_breaks_a_posting(
    engine: Engine, accounts: tuple[int, int]
) -> None:
    def broken(_session: Session, _event: observe.PostingEvent) -> None:
        raise RuntimeError("observer bug")

    remove = observe.add_observer(broken)
    try:
        with unit_of_work(engine) as session:
            posted = post_entry(session, transfer(*accounts, gbp("1.00")))
    finally:
        remove()
    assert posted.sequence_no > 0


def _step(name: str, items: int, *, fail: bool = False) -> Step:
    def run(_session: Session, _day: dt.date, progress: Progress) -> StepOutcome:
        if fail:
            raise ValueError("step broke")
        progress(items, items)
        return StepOutcome(items=items)

    return Step(name, run)


def test_close_of_business_steps_are_timed_and_counted(fresh_engine: Engine) -> None:
    name = f"s{uuid.uuid4().hex[:8]}"
    day = dt.date(2026, 3, 2)
    run_step(
        fresh_engine, step=_step(name, 7), position=0, business_date=day, budget_s=STEP_BUDGET_S
    )
    run_step(
        fresh_engine, step=_step(name, 7), position=0, business_date=day, budget_s=STEP_BUDGET_S
    )  # skipped
    assert sample("creditunion_cob_step_duration_seconds_count", step=name) == 1
    assert sample("creditunion_cob_step_items", step=name) == 7
    assert sample("creditunion_cob_steps_total", step=name, status="completed") == 1
    assert sample("creditunion_cob_steps_total", step=name, status="skipped") == 1
    with pytest.raises(StepFailed):
        run_step(
            fresh_engine,
            step=_step(name, 0, fail=True),
            position=0,
            business_date=day + dt.timedelta(1),
            budget_s=STEP_BUDGET_S,
        )
    assert sample("creditunion_cob_steps_total", step=name, status="failed") == 1
    # The scrape reads the latest completed run of each step from the database too.
    text = metrics.exposition(fresh_engine).decode()
    assert f'creditunion_cob_last_step_items{{step="{name}"}} 7.0' in text
    assert 'creditunion_cob_step_runs{status="failed"} 1.0' in text
    assert "creditunion_metrics_database_up 1.0" in text


def test_the_pool_is_read_at_scrape_time(engine: Engine) -> None:
    with engine.connect() as first, engine.connect() as second:
        first.exec_driver_sql("SELECT 1")
        second.exec_driver_sql("SELECT 1")
        text = metrics.exposition(engine).decode()
        assert "creditunion_db_pool_checked_out 2.0" in text
    assert f"creditunion_db_pool_size {float(engine.pool.size())}" in text  # type: ignore[attr-defined]
    text = metrics.exposition(engine).decode()
    assert "creditunion_db_pool_checked_out 0.0" in text


def test_an_unreachable_database_is_reported_not_raised() -> None:
    from creditunion.platform.database import make_engine

    dead = make_engine("postgresql://postgres@127.0.0.1:1/none", pool_size=1)
    text = metrics.exposition(dead).decode()
    assert "creditunion_metrics_database_up 0.0" in text
    assert "creditunion_business_date_timestamp_seconds" not in text


COUNT_IN_CHILD = """
import sys
from creditunion.platform import metrics
for _ in range(int(sys.argv[1])):
    metrics.observe_request(method="GET", route="/v1/x/{id}", status=200, seconds=0.01)
"""
SCRAPE_IN_CHILD = """
from creditunion.platform import metrics
from tests.integration.cob.steps_for_tests import STEP_BUDGET_S
print(metrics.exposition(None).decode())
"""


def test_several_processes_count_into_one_directory(tmp_path: Path) -> None:
    env = os.environ | {metrics.MULTIPROC_ENV: str(tmp_path)}
    for count in ("3", "4"):
        subprocess.run(
            [sys.executable, "-c", COUNT_IN_CHILD, count], env=env, check=True, timeout=60
        )
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE_IN_CHILD],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    assert (
        'creditunion_http_requests_total{method="GET",route="/v1/x/{id}",status="200"} 7.0'
        in scraped
    )
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    assert metrics.clear_multiprocess_dir(str(tmp_path)) >= 2
