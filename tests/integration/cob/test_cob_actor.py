"""Close of business records itself under one name: every row it writes carries COB_ACTOR."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from creditunion.actors import COB_ACTOR
from creditunion.cob.plan import run_close_of_business
from creditunion.initial_data import initialise
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from loans.frequency import Frequency
from loans.services.applications import decide_application, submit_application
from tests.factories_loans import (
    TODAY,
    gbp,
    make_loan,
    make_product,
    member,
    policy,
    statement,
)

# Past the first due date (15 Feb): one loan's instalment is collected from its shares,
# the other falls into arrears; the offer lapsed on 29 Jan.
UNTIL = dt.date(2026, 2, 20)

_WRITTEN_BY_COB = {
    "journal entries": "SELECT kind, posted_by FROM journal_entries WHERE sequence_no > :entry",
    "loan transactions": "SELECT kind, actor FROM loan_transactions WHERE id > :transaction",
    "application events": (
        "SELECT to_status, actor FROM loan_application_events WHERE id > :event"
    ),
    "day closes": "SELECT 'close', closed_by FROM ledger_day_closes",
    "seals": "SELECT 'seal', sealed_by FROM ledger_day_seals",
}


def test_every_row_close_of_business_writes_names_the_one_cob_actor(
    fresh_engine: Engine,
) -> None:
    with unit_of_work(fresh_engine) as s:
        initialise(s, settings=Settings(base_currency="GBP"), business_date=TODAY)
    make_loan(fresh_engine, amount="600", term=6, mandate=False)
    make_loan(fresh_engine, amount="600", term=6, shares="800")
    facts = member(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        # An offer never accepted: close of business lapses it 14 days on.
        offered = decide_application(
            s,
            application_id=submit_application(
                s,
                member_id=facts.member_id,
                product_code=make_product(s),
                amount=gbp("500"),
                term=6,
                frequency=Frequency.MONTHLY,
                purpose="boiler",
                statement=statement("5000"),
                business_date=TODAY,
            ).id,
            member=facts,
            policy=policy(),
            business_date=TODAY,
        )
        assert offered.status.value == "offered"
        marks = {
            "entry": s.scalar(text("SELECT coalesce(max(sequence_no), 0) FROM journal_entries")),
            "transaction": s.scalar(text("SELECT coalesce(max(id), 0) FROM loan_transactions")),
            "event": s.scalar(text("SELECT coalesce(max(id), 0) FROM loan_application_events")),
        }

    run_close_of_business(fresh_engine, until=UNTIL)

    with unit_of_work(fresh_engine) as s:
        found = {
            name: [(str(what), str(who)) for what, who in s.execute(text(sql), marks)]
            for name, sql in _WRITTEN_BY_COB.items()
        }
    kinds = {what for what, _ in found["journal entries"]}
    # The job did each kind of work it does for loans in these months...
    assert {"loan.accrual", "loan.collection"} <= kinds
    assert {what for what, _ in found["loan transactions"]} == {"collection"}
    assert [what for what, _ in found["application events"]] == ["expired"]
    assert len(found["day closes"]) == len(found["seals"]) == (UNTIL - TODAY).days + 1
    # ...and signed all of it with the one name.
    assert {name: {who for _, who in rows} for name, rows in found.items()} == {
        name: {COB_ACTOR} for name in _WRITTEN_BY_COB
    }
