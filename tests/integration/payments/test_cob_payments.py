"""Close of business checks the payments sub-ledger: money moved into outbound clearing by
anything but a payment stops the day before it is closed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from creditunion.cob.plan import run_close_of_business
from creditunion.cob.runner import StepFailed
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from ledger.accounts import get_account_by_code
from ledger.chart import CASH_IN_TILLS, OUTBOUND_PAYMENTS_CLEARING
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.periods import closed_through
from ledger.posting import post_entry

TODAY = dt.date(2026, 1, 15)


def test_a_manual_posting_to_clearing_stops_close_of_business(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
        post_entry(
            s,
            EntryRequest(
                idempotency_key="manual-clearing",
                business_date=TODAY,
                lines=(
                    Line.debit(get_account_by_code(s, CASH_IN_TILLS).id, Money("5.00", "GBP")),
                    Line.credit(
                        get_account_by_code(s, OUTBOUND_PAYMENTS_CLEARING).id,
                        Money("5.00", "GBP"),
                    ),
                ),
                description="a journal that should not be",
                posted_by="user:someone",
                kind="manual",
            ),
        )
    with pytest.raises(StepFailed, match="payments sub-ledger does not reconcile"):
        run_close_of_business(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        assert closed_through(s) is None
        status = s.scalar(text("SELECT status FROM cob_step_runs WHERE step = 'reconciliation'"))
    assert status == "failed"
