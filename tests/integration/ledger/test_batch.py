from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine, text

from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account
from ledger.batch import BATCH_ENTRIES_MAX, BatchTooLarge, Outcome, post_batch
from ledger.checks import InsufficientFunds, UnknownAccount
from ledger.entry import InvalidEntry, Line
from ledger.models import AccountType
from ledger.periods import PeriodClosed, close_business_date
from ledger.posting import IdempotencyConflict, post_entry
from tests.ledger_helpers import TODAY, gbp, new_account, transfer


def test_posts_every_good_entry_and_refuses_each_bad_one_alone(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        alice = new_account(s, floor=gbp("0"))
        bob = new_account(s, floor=gbp("0"))
    requests = [
        transfer(cash.id, alice.id, gbp("10")),  # alice 10
        transfer(alice.id, bob.id, gbp("4")),  # alice 6, bob 4
        transfer(alice.id, bob.id, gbp("7")),  # refused: alice would be -1
        transfer(bob.id, cash.id, gbp("4")),  # bob 0
        dataclasses.replace(
            transfer(cash.id, bob.id, gbp("1")),
            lines=(Line.debit(cash.id, gbp("1")), Line.credit(bob.id, gbp("2"))),
        ),  # refused: unbalanced
        transfer(cash.id, 999_999_999, gbp("1")),  # refused: unknown account
    ]

    with unit_of_work(engine) as s:
        results = post_batch(s, requests)

    assert [r.outcome for r in results] == [
        Outcome.POSTED,
        Outcome.POSTED,
        Outcome.REFUSED,
        Outcome.POSTED,
        Outcome.REFUSED,
        Outcome.REFUSED,
    ]
    assert [r.index for r in results] == list(range(6))
    assert isinstance(results[2].error, InsufficientFunds)
    assert isinstance(results[4].error, InvalidEntry)
    assert isinstance(results[5].error, UnknownAccount)
    with unit_of_work(engine) as s:
        assert get_account(s, alice.id).balance == gbp("6")
        assert get_account(s, bob.id).balance == gbp("0")
        assert get_account(s, cash.id).balance == gbp("6")
        sequence = [r.entry.sequence_no for r in results if r.entry]
        assert sequence == sorted(sequence)


def test_replays_keys_already_in_the_journal_and_repeated_in_the_batch(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        alice = new_account(s)
        earlier = post_entry(s, transfer(cash.id, alice.id, gbp("1"), key="batch-known-1"))
    repeated = transfer(cash.id, alice.id, gbp("2"), key="batch-repeat-1")

    with unit_of_work(engine) as s:
        results = post_batch(
            s,
            [
                transfer(cash.id, alice.id, gbp("1"), key="batch-known-1"),
                transfer(cash.id, alice.id, gbp("9"), key="batch-known-1"),
                repeated,
                repeated,
                transfer(cash.id, alice.id, gbp("3"), key="batch-repeat-1"),
            ],
        )

    assert [r.outcome for r in results] == [
        Outcome.REPLAYED,
        Outcome.REFUSED,
        Outcome.POSTED,
        Outcome.REPLAYED,
        Outcome.REFUSED,
    ]
    assert results[0].entry is not None and results[0].entry.id == earlier.id
    assert isinstance(results[1].error, IdempotencyConflict)
    assert results[3].entry is not None and results[2].entry is not None
    assert results[3].entry.id == results[2].entry.id
    assert isinstance(results[4].error, IdempotencyConflict)
    with unit_of_work(engine) as s:
        assert get_account(s, alice.id).balance == gbp("3")


def test_running_the_same_batch_twice_posts_it_once(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        accounts = [new_account(s) for _ in range(5)]
    batch = [transfer(cash.id, a.id, gbp("2.50")) for a in accounts]

    with unit_of_work(engine) as s:
        first = post_batch(s, batch)
    with unit_of_work(engine) as s:
        second = post_batch(s, batch)

    assert {r.outcome for r in first} == {Outcome.POSTED}
    assert {r.outcome for r in second} == {Outcome.REPLAYED}
    assert [r.entry.id for r in first if r.entry] == [r.entry.id for r in second if r.entry]
    with unit_of_work(engine) as s:
        assert get_account(s, cash.id).balance == gbp("12.50")


def test_refuses_entries_in_a_closed_period(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET)
        alice = new_account(s)
        close_business_date(s, business_date=TODAY, closed_by="test")

    with unit_of_work(fresh_engine) as s:
        results = post_batch(
            s,
            [
                transfer(cash.id, alice.id, gbp("1"), business_date=TODAY),
                transfer(cash.id, alice.id, gbp("1"), business_date=TODAY.replace(day=26)),
            ],
        )

    assert isinstance(results[0].error, PeriodClosed)
    assert results[1].outcome is Outcome.POSTED


def test_refuses_an_oversized_batch_outright(engine: Engine) -> None:
    with unit_of_work(engine) as s, pytest.raises(BatchTooLarge):
        post_batch(s, [transfer(1, 2, gbp("1"))] * (BATCH_ENTRIES_MAX + 1))


def test_a_large_batch_keeps_balances_equal_to_postings(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        members = [new_account(s, floor=gbp("0")) for _ in range(50)]
    requests = [
        transfer(cash.id, members[i % 50].id, gbp(f"{1 + i % 7}.{i % 100:02d}"))
        for i in range(3_000)
    ]

    with unit_of_work(engine) as s:
        results = post_batch(s, requests)

    assert all(r.outcome is Outcome.POSTED for r in results)
    ids = [m.id for m in members] + [cash.id]
    with unit_of_work(engine) as s:
        drift = s.execute(
            text("""
            SELECT a.id FROM ledger_accounts a
            JOIN (SELECT account_id, sum(amount_minor) AS t FROM postings GROUP BY account_id) p
              ON p.account_id = a.id
            WHERE a.id = ANY(:ids) AND a.balance_minor <> p.t
            """),
            {"ids": ids},
        ).all()
        assert drift == []
        expected = sum(r.minor_units for r in (q.lines[0].amount for q in requests))
        assert get_account(s, cash.id).balance.minor_units == expected
