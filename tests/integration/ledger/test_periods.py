from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import Engine

from creditunion.platform.database import unit_of_work
from ledger.models import AccountType
from ledger.periods import DateAlreadyClosed, PeriodClosed, close_business_date, closed_through
from ledger.posting import post_entry
from tests.ledger_helpers import TODAY, gbp, new_account, transfer


def test_a_closed_date_refuses_postings_on_or_before_it(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s)
        post_entry(s, transfer(cash.id, shares.id, gbp("1"), business_date=TODAY))
        close_business_date(s, business_date=TODAY, closed_by="cob")

    for backdated in (TODAY, TODAY - dt.timedelta(days=40)):
        with unit_of_work(fresh_engine) as s, pytest.raises(PeriodClosed) as refused:
            post_entry(s, transfer(cash.id, shares.id, gbp("1"), business_date=backdated))
        assert refused.value.closed_through == TODAY
    with unit_of_work(fresh_engine) as s:
        post_entry(s, transfer(cash.id, shares.id, gbp("1"), business_date=TODAY + dt.timedelta(1)))
        assert closed_through(s) == TODAY


def test_dates_close_forwards_only(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=TODAY, closed_by="cob")

    for date in (TODAY, TODAY - dt.timedelta(days=1)):
        with unit_of_work(fresh_engine) as s, pytest.raises(DateAlreadyClosed):
            close_business_date(s, business_date=date, closed_by="cob")


def test_a_close_waits_for_a_posting_in_flight_on_that_date(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        cash = new_account(s, AccountType.ASSET)
        shares = new_account(s)
    posted = threading.Event()
    closed_at: list[float] = []
    committed_at: list[float] = []

    def close() -> None:
        posted.wait(10)
        with unit_of_work(fresh_engine) as s:
            close_business_date(s, business_date=TODAY, closed_by="cob")
        closed_at.append(time.monotonic())

    closer = threading.Thread(target=close)
    closer.start()
    with unit_of_work(fresh_engine) as s:
        post_entry(s, transfer(cash.id, shares.id, gbp("1"), business_date=TODAY))
        posted.set()
        time.sleep(0.5)  # the close is now waiting on this transaction's shared lock
        committed_at.append(time.monotonic())
    closer.join(10)

    assert closed_at and closed_at[0] >= committed_at[0]
