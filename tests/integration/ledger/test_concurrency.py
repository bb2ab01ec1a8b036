"""Many threads posting at once against real PostgreSQL: nothing lost, created or overdrawn."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable

from sqlalchemy import Engine, text

from creditunion.platform.database import run_command, unit_of_work
from ledger.accounts import AccountView, get_account
from ledger.batch import Outcome, post_batch
from ledger.checks import InsufficientFunds
from ledger.invariants import check_invariants
from ledger.models import AccountType
from ledger.posting import post_entry
from tests.ledger_helpers import gbp, new_account, transfer

THREADS = 8
TRANSFERS_PER_THREAD = 300


def _run_threads(target: Callable[[int], None], count: int) -> None:
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        target(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker hung"


def _fund(engine: Engine, accounts: list[AccountView], amount: str) -> AccountView:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        for account in accounts:
            post_entry(s, transfer(cash.id, account.id, gbp(amount)))
    return cash


def test_concurrent_random_transfers_keep_every_invariant(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        hot = [new_account(s, floor=gbp("0"), name=f"hot {n}") for n in range(2)]
        cold = [new_account(s, floor=gbp("0"), name=f"cold {n}") for n in range(4)]
    members = hot + cold
    _fund(engine, hot, "50.00")
    _fund(engine, cold, "500.00")
    outcomes: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    posted_ids: list[uuid.UUID] = []
    guard = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(n)
        for _ in range(TRANSFERS_PER_THREAD):
            # Most transfers touch a hot account, so the floors are fought over.
            source = rng.choice(hot if rng.random() < 0.7 else members)
            target = rng.choice([m for m in members if m.id != source.id])
            amount = gbp(f"{rng.randint(1, 4000) / 100:.2f}")
            request = transfer(source.id, target.id, amount)
            try:
                entry = run_command(engine, lambda s, r=request: post_entry(s, r))  # type: ignore[misc]
                result = "posted"
            except InsufficientFunds:
                result = "refused"
            except BaseException as exc:
                with guard:
                    unexpected.append(exc)
                continue
            with guard:
                outcomes[result] += 1
                if result == "posted":
                    posted_ids.append(entry.id)

    _run_threads(worker, THREADS)

    assert unexpected == []
    assert outcomes["posted"] + outcomes["refused"] == THREADS * TRANSFERS_PER_THREAD
    assert outcomes["posted"] > 100 and outcomes["refused"] > 10
    assert len(set(posted_ids)) == outcomes["posted"]
    with unit_of_work(engine) as s:
        balances = [get_account(s, m.id).balance for m in members]
        assert all(b >= gbp("0") for b in balances)
        assert sum(b.minor_units for b in balances) == (2 * 5000 + 4 * 50000)
        report = check_invariants(s)
        assert report.ok, report
        journal_count = s.scalar(
            text("SELECT count(*) FROM journal_entries WHERE id = ANY(:ids)"), {"ids": posted_ids}
        )
        assert journal_count == outcomes["posted"]


def test_the_same_withdrawal_sent_by_many_clients_at_once_posts_once(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        shares = new_account(s, floor=gbp("0"))
    cash = _fund(engine, [shares], "20.00")
    request = transfer(shares.id, cash.id, gbp("20.00"), key=f"withdraw-all-{uuid.uuid4()}")
    seen: list[tuple[uuid.UUID, bool]] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def client(_: int) -> None:
        try:
            entry = run_command(engine, lambda s: post_entry(s, request))
        except BaseException as exc:
            with guard:
                errors.append(exc)
            return
        with guard:
            seen.append((entry.id, entry.replayed))

    _run_threads(client, THREADS)

    assert errors == []
    assert len({entry_id for entry_id, _ in seen}) == 1
    assert sorted(replayed for _, replayed in seen) == [False] + [True] * (THREADS - 1)
    with unit_of_work(engine) as s:
        assert get_account(s, shares.id).balance == gbp("0")


def test_concurrent_batches_and_single_postings_share_hot_accounts(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        hot = new_account(s, floor=gbp("0"))
        others = [new_account(s, floor=gbp("0")) for _ in range(6)]
    _fund(engine, [hot], "100.00")
    posted_minor: Counter[str] = Counter()
    errors: list[BaseException] = []
    guard = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(1000 + n)
        for _ in range(20):
            amounts = [rng.randint(1, 300) for _ in range(10)]
            requests = [
                transfer(hot.id, rng.choice(others).id, gbp(f"{a / 100:.2f}")) for a in amounts
            ]
            try:
                if n % 2:
                    results = run_command(engine, lambda s, r=requests: post_batch(s, r))  # type: ignore[misc]
                    moved = sum(
                        a
                        for a, r in zip(amounts, results, strict=True)
                        if r.outcome is Outcome.POSTED
                    )
                else:
                    moved = 0
                    for amount, request in zip(amounts, requests, strict=True):
                        try:
                            run_command(engine, lambda s, r=request: post_entry(s, r))  # type: ignore[misc]
                            moved += amount
                        except InsufficientFunds:
                            pass
            except BaseException as exc:
                with guard:
                    errors.append(exc)
                return
            with guard:
                posted_minor["moved"] += moved

    _run_threads(worker, THREADS)

    assert errors == []
    with unit_of_work(engine) as s:
        assert get_account(s, hot.id).balance.minor_units == 10_000 - posted_minor["moved"]
        assert get_account(s, hot.id).balance >= gbp("0")
        received = sum(get_account(s, o.id).balance.minor_units for o in others)
        assert received == posted_minor["moved"]
        assert check_invariants(s).ok
