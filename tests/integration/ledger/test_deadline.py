"""One deadline per command: however many layers retry, a command stuck behind a lock gives
up when its budget is spent, and writes nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from creditunion.platform.database import make_engine, run_command, unit_of_work
from creditunion.platform.settings import Settings
from ledger.accounts import get_account
from ledger.deadline import Deadline, current_deadline, deadline_set
from ledger.models import AccountType
from ledger.posting import post_entry
from ledger.transaction import DeadlineExceeded
from tests.ledger_helpers import gbp, new_account, transfer

LOCK_WAIT_MS = 300
BUDGET_S = 1.5


@pytest.fixture
def short_waits(database_url: str) -> Iterator[Engine]:
    """An engine whose lock waits are short, so the old retry-on-retry would take ~20 s."""
    settings = Settings(db_lock_timeout_ms=LOCK_WAIT_MS, command_deadline_s=BUDGET_S)
    engine = make_engine(database_url, settings, pool_size=2)
    yield engine
    engine.dispose()


def test_a_command_behind_a_held_lock_gives_up_at_its_deadline(
    engine: Engine, short_waits: Engine
) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        member = new_account(s)
    held = threading.Event()
    release = threading.Event()

    def hold_the_account() -> None:
        with engine.connect() as conn, conn.begin():
            conn.execute(
                text("SELECT 1 FROM ledger_accounts WHERE id = :id FOR UPDATE"), {"id": member.id}
            )
            held.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold_the_account)
    holder.start()
    try:
        assert held.wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            run_command(
                short_waits,
                lambda s: post_entry(s, transfer(cash.id, member.id, gbp("5.00"))),
                budget_s=BUDGET_S,
            )
        elapsed_s = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=10)
    # 12 savepoint retries x 5 whole-command retries x 0.3 s lock waits = 18 s without it.
    assert BUDGET_S <= elapsed_s < BUDGET_S + 1.0
    with unit_of_work(engine) as s:
        assert get_account(s, member.id).balance == gbp("0.00")


def test_a_nested_deadline_never_extends_the_outer_one() -> None:
    outer = Deadline.after(1.0)
    with deadline_set(outer), deadline_set(Deadline.after(60.0)) as effective:
        assert effective is outer
        assert current_deadline() is outer
    assert current_deadline() is None
