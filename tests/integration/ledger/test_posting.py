from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from creditunion.platform.database import unit_of_work
from ledger.accounts import close_account, get_account
from ledger.checks import (
    AccountClosed,
    AccountCurrencyMismatch,
    AccountNotPostable,
    InsufficientFunds,
    UnknownAccount,
)
from ledger.entry import EntryRequest, InvalidEntry, Line
from ledger.models import AccountType
from ledger.money import Money
from ledger.posting import IdempotencyConflict, post_entry
from ledger.transaction import TransactionRequired
from tests.ledger_helpers import TODAY, gbp, new_account, transfer


def test_a_transfer_moves_balances_and_records_the_entry(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s, floor=gbp("0"))

    with unit_of_work(engine) as s:
        entry = post_entry(s, transfer(cash.id, shares.id, gbp("25.50"), kind="deposit"))

    with unit_of_work(engine) as s:
        assert get_account(s, cash.id).balance == gbp("25.50")
        assert get_account(s, shares.id).balance == gbp("25.50")
        lines = s.execute(
            text("SELECT account_id, amount_minor FROM postings WHERE entry_id = :e ORDER BY id"),
            {"e": entry.id},
        ).all()
        assert [tuple(r) for r in lines] == [(cash.id, 2550), (shares.id, -2550)]
        kind, date = s.execute(
            text("SELECT kind, business_date FROM journal_entries WHERE id = :e"), {"e": entry.id}
        ).one()
        assert (kind, date) == ("deposit", TODAY)
    assert entry.sequence_no > 0
    assert not entry.replayed


def test_replaying_a_key_returns_the_first_entry_and_moves_nothing(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s)
    request = transfer(cash.id, shares.id, gbp("10"), key="replay-me-1")

    with unit_of_work(engine) as s:
        first = post_entry(s, request)
    with unit_of_work(engine) as s:
        again = post_entry(s, request)

    assert again.id == first.id
    assert again.sequence_no == first.sequence_no
    assert again.replayed
    with unit_of_work(engine) as s:
        assert get_account(s, shares.id).balance == gbp("10")
        count = s.scalar(
            text("SELECT count(*) FROM journal_entries WHERE idempotency_key = 'replay-me-1'")
        )
        assert count == 1


def test_the_same_key_with_other_content_is_a_conflict(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s)
    with unit_of_work(engine) as s:
        first = post_entry(s, transfer(cash.id, shares.id, gbp("10"), key="conflict-1"))

    with unit_of_work(engine) as s, pytest.raises(IdempotencyConflict) as conflict:
        post_entry(s, transfer(cash.id, shares.id, gbp("11"), key="conflict-1"))

    assert conflict.value.entry_id == first.id
    with unit_of_work(engine) as s:
        assert get_account(s, shares.id).balance == gbp("10")


def test_a_floor_refusal_writes_nothing_and_leaves_the_transaction_usable(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s, floor=gbp("0"))
        post_entry(s, transfer(cash.id, shares.id, gbp("5")))

    with unit_of_work(engine) as s:
        with pytest.raises(InsufficientFunds):
            post_entry(s, transfer(shares.id, cash.id, gbp("5.01"), key="too-much-1"))
        post_entry(s, transfer(shares.id, cash.id, gbp("5.00")))

    with unit_of_work(engine) as s:
        assert get_account(s, shares.id).balance == gbp("0")
        assert (
            s.scalar(
                text("SELECT count(*) FROM journal_entries WHERE idempotency_key = 'too-much-1'")
            )
            == 0
        )


def test_refuses_closed_header_unknown_and_wrong_currency_accounts(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        closed = new_account(s)
        close_account(s, account_id=closed.id, closed_at=dt.datetime.now(dt.UTC))
        dollars = new_account(s, currency="USD")
        header = new_account(s)
        s.execute(text("UPDATE ledger_accounts SET header = true WHERE id = :i"), {"i": header.id})

    cases = [
        (transfer(cash.id, closed.id, gbp("1")), AccountClosed),
        (transfer(cash.id, header.id, gbp("1")), AccountNotPostable),
        (transfer(cash.id, 987_654_321, gbp("1")), UnknownAccount),
        (transfer(cash.id, dollars.id, gbp("1")), AccountCurrencyMismatch),
    ]
    for request, error in cases:
        with unit_of_work(engine) as s, pytest.raises(error):
            post_entry(s, request)
    with unit_of_work(engine) as s:
        assert get_account(s, cash.id).balance == gbp("0")


def test_refuses_an_unbalanced_entry_before_touching_the_database(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        a = new_account(s, AccountType.ASSET)
        b = new_account(s)
    bad = EntryRequest(
        idempotency_key="unbalanced-1",
        business_date=TODAY,
        lines=(Line.debit(a.id, gbp("1")), Line.credit(b.id, gbp("0.99"))),
        description="bad",
        posted_by="test",
    )
    with unit_of_work(engine) as s, pytest.raises(InvalidEntry):
        post_entry(s, bad)


def test_the_ledger_will_not_post_outside_a_transaction(engine: Engine) -> None:
    from sqlalchemy.orm import Session

    with Session(engine) as s, pytest.raises(TransactionRequired):
        post_entry(s, transfer(1, 2, gbp("1")))


def test_several_postings_compose_into_one_transaction_that_can_roll_back(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s)

    with pytest.raises(RuntimeError), unit_of_work(engine) as s:
        post_entry(s, transfer(cash.id, shares.id, gbp("3"), key="compose-1"))
        post_entry(s, transfer(cash.id, shares.id, gbp("4"), key="compose-2"))
        raise RuntimeError("the command failed after posting")

    with unit_of_work(engine) as s:
        assert get_account(s, shares.id).balance == gbp("0")
        assert (
            s.scalar(
                text("SELECT count(*) FROM journal_entries WHERE idempotency_key LIKE 'compose-%'")
            )
            == 0
        )


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE postings SET amount_minor = amount_minor + 1",
            "DELETE FROM postings",
            "TRUNCATE postings CASCADE",
            "UPDATE journal_entries SET description = 'changed'",
            "DELETE FROM journal_entries",
            "TRUNCATE journal_entries CASCADE",
        ],
    )
    def test_raw_sql_cannot_change_or_remove_journal_rows(
        self, engine: Engine, statement: str
    ) -> None:
        with unit_of_work(engine) as s:
            post_entry(
                s, transfer(new_account(s, AccountType.ASSET).id, new_account(s).id, gbp("1"))
            )

        with pytest.raises(DBAPIError) as refused, unit_of_work(engine) as s:
            s.execute(text(statement))

        assert isinstance(refused.value.orig, psycopg.errors.RestrictViolation)
        assert "append-only" in str(refused.value.orig)

    def test_raw_sql_cannot_insert_an_unbalanced_entry(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            a = new_account(s, AccountType.ASSET)
            b = new_account(s)

        with pytest.raises(DBAPIError) as refused, unit_of_work(engine) as s:
            s.execute(
                text("""
                WITH e AS (
                    INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date,
                        description, kind, posted_by)
                    VALUES (gen_random_uuid(), 'raw-1', sha256('x'), :d, 'raw', 'manual', 'sql')
                    RETURNING id
                )
                INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date)
                SELECT e.id, v.a, v.m, 'GBP', :d FROM e,
                    (VALUES (:a, 100), (:b, -99)) AS v(a, m)
                """),
                {"d": TODAY, "a": a.id, "b": b.id},
            )

        assert isinstance(refused.value.orig, psycopg.errors.CheckViolation)

    def test_raw_sql_cannot_add_lines_to_an_existing_entry(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            a = new_account(s, AccountType.ASSET)
            b = new_account(s)
            entry = post_entry(s, transfer(a.id, b.id, gbp("1")))

        with pytest.raises(DBAPIError) as refused, unit_of_work(engine) as s:
            s.execute(
                text(
                    "INSERT INTO postings (entry_id, account_id, amount_minor, currency, "
                    "business_date) VALUES (:e, :a, 5, 'GBP', :d), (:e, :b, -5, 'GBP', :d)"
                ),
                {"e": entry.id, "a": a.id, "b": b.id, "d": TODAY},
            )

        assert isinstance(refused.value.orig, psycopg.errors.CheckViolation)

    def test_the_database_refuses_a_balance_below_its_floor(self, engine: Engine) -> None:
        with unit_of_work(engine) as s:
            floored = new_account(s, floor=Money("0", "GBP"))

        with pytest.raises(DBAPIError) as refused, unit_of_work(engine) as s:
            s.execute(
                text("UPDATE ledger_accounts SET balance_minor = 1 WHERE id = :i"),
                {"i": floored.id},
            )

        assert isinstance(refused.value.orig, psycopg.errors.CheckViolation)
