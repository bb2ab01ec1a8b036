"""The stored business date: initialised once, moved only by COB after the ledger closes it."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.service import (
    BusinessDateMoved,
    BusinessDateNotInitialised,
    BusinessDateStillOpen,
    advance_business_date,
    current_business_date,
    initialise_business_date,
)
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.shares.product_service import list_share_products
from ledger.periods import close_business_date

DAY = dt.date(2026, 11, 25)


def test_uninitialised_then_set_once(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s, pytest.raises(BusinessDateNotInitialised):
        current_business_date(s)
    with unit_of_work(fresh_engine) as s:
        assert initialise_business_date(s, business_date=DAY) == DAY
        # Initialising again changes nothing: only COB moves the date.
        assert initialise_business_date(s, business_date=dt.date(2030, 1, 1)) == DAY
    with unit_of_work(fresh_engine) as s:
        assert current_business_date(s) == DAY
    with pytest.raises(IntegrityError, match="single_row"), unit_of_work(fresh_engine) as s:
        s.execute(text("INSERT INTO business_calendar (id, business_date) VALUES (2, now())"))


def test_advance_needs_the_day_before_closed_and_the_right_date(fresh_engine: Engine) -> None:
    next_day = DAY + dt.timedelta(days=1)
    with unit_of_work(fresh_engine) as s:
        initialise_business_date(s, business_date=DAY)
        assert advance_business_date(s, from_date=DAY) == next_day
    # A second COB for the same date cannot move it again.
    with unit_of_work(fresh_engine) as s, pytest.raises(BusinessDateMoved) as caught:
        advance_business_date(s, from_date=DAY)
    assert caught.value.current == next_day
    # Nor can the next day's cut-off come before DAY is closed in the ledger.
    with unit_of_work(fresh_engine) as s, pytest.raises(BusinessDateStillOpen):
        close_business_date(s, business_date=DAY - dt.timedelta(days=5), closed_by="cob")
        advance_business_date(s, from_date=next_day)
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=DAY, closed_by="system:cob")
        assert advance_business_date(s, from_date=next_day) == next_day + dt.timedelta(days=1)


def test_the_cut_off_waits_for_requests_that_read_the_old_date(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise_business_date(s, business_date=DAY)
    moved: list[dt.date] = []

    def cut_off() -> None:
        with unit_of_work(fresh_engine) as s:
            moved.append(advance_business_date(s, from_date=DAY))

    with unit_of_work(fresh_engine) as reader:
        assert current_business_date(reader) == DAY
        mover = threading.Thread(target=cut_off)
        mover.start()
        mover.join(0.5)
        assert moved == []  # still waiting: a request that read DAY is in flight
    mover.join(10)
    assert moved == [DAY + dt.timedelta(days=1)]
    with unit_of_work(fresh_engine) as s:
        assert current_business_date(s) == DAY + dt.timedelta(days=1)


def test_init_seeds_chart_products_and_date(fresh_engine: Engine) -> None:
    settings = Settings(base_currency="GBP")
    with unit_of_work(fresh_engine) as s:
        report = initialise(s, settings=settings, business_date=DAY)
    with unit_of_work(fresh_engine) as s:
        again = initialise(s, settings=settings)
        codes = [p.code for p in list_share_products(s)]
        assert current_business_date(s) == DAY
    assert "share products: 3 added" in report and "business date: 2026-11-25" in report
    assert "share products: 0 added" in again and "business date: 2026-11-25" in again
    assert codes == ["INSTANT", "JUNIOR", "XMAS"]


def test_today_in_the_business_zone() -> None:
    london = zoneinfo.ZoneInfo("Europe/London")
    # 23:30 UTC on 30 June is already 1 July in London (BST).
    assert today_in_zone(london, now=dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)) == dt.date(
        2026, 7, 1
    )
    assert today_in_zone(london, now=dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(
        2026, 12, 31
    )
    with pytest.raises(ValueError):
        today_in_zone(london, now=dt.datetime(2026, 1, 1))
