from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine, text

from creditunion.platform.database import run_command, unit_of_work
from ledger.accounts import get_account
from ledger.checks import InsufficientFunds
from ledger.models import AccountType
from ledger.posting import AlreadyReversed, post_entry
from ledger.reversal import CannotReverseReversal, EntryNotFound, reverse_entry
from tests.ledger_helpers import TODAY, gbp, new_account, transfer


def _setup(engine: Engine) -> tuple[int, int, uuid.UUID]:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s, floor=gbp("0"))
        entry = post_entry(s, transfer(cash.id, shares.id, gbp("40"), description="Deposit"))
    return cash.id, shares.id, entry.id


def test_a_reversal_mirrors_the_original_and_links_to_it(engine: Engine) -> None:
    cash, shares, original = _setup(engine)

    with unit_of_work(engine) as s:
        reversal = reverse_entry(
            s, entry_id=original, idempotency_key="rev-1", business_date=TODAY, posted_by="mgr"
        )

    with unit_of_work(engine) as s:
        assert get_account(s, shares).balance == gbp("0")
        assert get_account(s, cash).balance == gbp("0")
        row = s.execute(
            text("SELECT kind, reverses_entry_id, description FROM journal_entries WHERE id = :i"),
            {"i": reversal.id},
        ).one()
        assert tuple(row) == ("reversal", original, "Reversal of Deposit")
        original_lines = s.execute(
            text("SELECT account_id, amount_minor FROM postings WHERE entry_id = :i"),
            {"i": original},
        ).all()
        mirrored = s.execute(
            text("SELECT account_id, -amount_minor FROM postings WHERE entry_id = :i"),
            {"i": reversal.id},
        ).all()
        assert sorted(map(tuple, original_lines)) == sorted(map(tuple, mirrored))


def test_an_entry_is_reversed_once_and_a_replay_returns_that_reversal(engine: Engine) -> None:
    _, _, original = _setup(engine)
    with unit_of_work(engine) as s:
        first = reverse_entry(
            s, entry_id=original, idempotency_key="rev-2", business_date=TODAY, posted_by="m"
        )

    with unit_of_work(engine) as s:
        replay = reverse_entry(
            s, entry_id=original, idempotency_key="rev-2", business_date=TODAY, posted_by="m"
        )
    with unit_of_work(engine) as s, pytest.raises(AlreadyReversed) as refused:
        reverse_entry(
            s, entry_id=original, idempotency_key="rev-3", business_date=TODAY, posted_by="m"
        )

    assert replay.id == first.id and replay.replayed
    assert refused.value.reversal_id == first.id


def test_a_reversal_cannot_itself_be_reversed(engine: Engine) -> None:
    _, _, original = _setup(engine)
    with unit_of_work(engine) as s:
        reversal = reverse_entry(
            s, entry_id=original, idempotency_key="rev-4", business_date=TODAY, posted_by="m"
        )

    with unit_of_work(engine) as s, pytest.raises(CannotReverseReversal):
        reverse_entry(
            s, entry_id=reversal.id, idempotency_key="rev-5", business_date=TODAY, posted_by="m"
        )


def test_a_reversal_respects_floors(engine: Engine) -> None:
    cash, shares, _ = _setup(engine)
    with unit_of_work(engine) as s:
        spend = post_entry(s, transfer(shares, cash, gbp("30")))
        post_entry(s, transfer(shares, cash, gbp("10")))

    # Reversing the withdrawal puts money back: fine. Reversing the deposit now would overdraw.
    with unit_of_work(engine) as s:
        reverse_entry(
            s, entry_id=spend.id, idempotency_key="rev-6", business_date=TODAY, posted_by="m"
        )
    with unit_of_work(engine) as s:
        assert get_account(s, shares).balance == gbp("30")


def test_reversing_a_deposit_already_spent_is_refused(engine: Engine) -> None:
    cash, shares, original = _setup(engine)
    with unit_of_work(engine) as s:
        post_entry(s, transfer(shares, cash, gbp("40")))

    with unit_of_work(engine) as s, pytest.raises(InsufficientFunds):
        reverse_entry(
            s, entry_id=original, idempotency_key="rev-7", business_date=TODAY, posted_by="m"
        )


def test_reversing_an_unknown_entry_is_refused(engine: Engine) -> None:
    with unit_of_work(engine) as s, pytest.raises(EntryNotFound):
        reverse_entry(
            s, entry_id=uuid.uuid4(), idempotency_key="rev-8", business_date=TODAY, posted_by="m"
        )


def test_concurrent_reversals_of_one_entry_post_exactly_one(engine: Engine) -> None:
    _, shares, original = _setup(engine)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            run_command(
                engine,
                lambda s: reverse_entry(
                    s,
                    entry_id=original,
                    idempotency_key=f"rev-race-{n}",
                    business_date=TODAY,
                    posted_by="m",
                ),
            )
            result = "posted"
        except AlreadyReversed:
            result = "already"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["already"] * 7 + ["posted"]
    with unit_of_work(engine) as s:
        assert get_account(s, shares).balance == gbp("0")
