"""The closed period and the business date are guarded in the database as well as the
ledger: a raw insert on a closed day is refused by a trigger; an entry
dated after the business date its transaction runs under is refused with `FutureDated`."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from creditunion.business_date.service import current_business_date, initialise_business_date
from creditunion.platform.database import unit_of_work
from ledger.batch import Outcome, post_batch
from ledger.models import AccountType
from ledger.periods import FutureDated, close_business_date, limit_postings_to
from ledger.posting import post_entry
from tests.ledger_helpers import TODAY, gbp, new_account, transfer

RAW_ENTRY = text("""
WITH e AS (
    INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date,
        description, kind, posted_by)
    VALUES (:id, :key, sha256('x'), :d, 'raw', 'manual', 'sql')
    RETURNING id
)
INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date)
SELECT e.id, v.a, v.m, 'GBP', :d FROM e, (VALUES (:a, 100), (:b, -100)) AS v(a, m)
""")


def _raw(session: Session, day: dt.date, debit: int, credit: int) -> None:
    entry_id = uuid.uuid4()
    session.execute(
        RAW_ENTRY, {"id": entry_id, "key": f"raw-{entry_id}", "d": day, "a": debit, "b": credit}
    )


def test_the_database_refuses_a_raw_entry_on_a_closed_day(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s)
        post_entry(s, transfer(cash.id, shares.id, gbp("1"), business_date=TODAY))
        close_business_date(s, business_date=TODAY, closed_by="cob")

    for closed_day in (TODAY, TODAY - dt.timedelta(days=30)):
        with pytest.raises(DBAPIError) as refused, unit_of_work(fresh_engine) as s:
            _raw(s, closed_day, cash.id, shares.id)
        assert isinstance(refused.value.orig, psycopg.errors.CheckViolation)
        assert f"business date {closed_day} is closed (closed through {TODAY})" in str(
            refused.value.orig
        )
    with unit_of_work(fresh_engine) as s:
        _raw(s, TODAY + dt.timedelta(days=1), cash.id, shares.id)
        count = s.scalar(text("SELECT count(*) FROM journal_entries"))
    assert count == 2


def test_an_entry_after_the_business_date_is_refused(fresh_engine: Engine) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        initialise_business_date(s, business_date=TODAY)
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s)
    with unit_of_work(fresh_engine) as s, pytest.raises(FutureDated) as refused:
        assert current_business_date(s) == TODAY
        post_entry(s, transfer(cash.id, shares.id, gbp("1"), business_date=tomorrow))
    assert (refused.value.business_date, refused.value.horizon) == (tomorrow, TODAY)
    with unit_of_work(fresh_engine) as s:
        limit_postings_to(s, TODAY)
        results = post_batch(
            s,
            [
                transfer(cash.id, shares.id, gbp("2"), business_date=tomorrow),
                transfer(cash.id, shares.id, gbp("3"), business_date=TODAY),
            ],
        )
    assert [r.outcome for r in results] == [Outcome.REFUSED, Outcome.POSTED]
    assert isinstance(results[0].error, FutureDated)
    with pytest.raises(DBAPIError) as raw, unit_of_work(fresh_engine) as s:
        limit_postings_to(s, TODAY)
        _raw(s, tomorrow, cash.id, shares.id)
    assert f"business date {tomorrow} is after the business date {TODAY}" in str(raw.value.orig)
    with unit_of_work(fresh_engine) as s:
        limit_postings_to(s, TODAY)
        post_entry(s, transfer(cash.id, shares.id, gbp("4"), business_date=TODAY))
        balance = s.scalar(
            text("SELECT balance_minor FROM ledger_accounts WHERE id = :i"), {"i": cash.id}
        )
    assert balance == 700
