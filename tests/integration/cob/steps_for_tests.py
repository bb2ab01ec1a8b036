"""Close-of-business steps used by the runner tests, and a process entry point for the
kill test: `python -m tests.integration.cob.steps_for_tests URL DATE CASH_ID MEMBER_IDS`."""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Final

from sqlalchemy.orm import Session

from creditunion.cob.runner import run_steps_for_date
from creditunion.cob.steps import Progress, Step, StepOutcome
from creditunion.platform.database import make_engine
from ledger.batch import Outcome, post_batch
from ledger.entry import EntryRequest, Line
from ledger.money import Money

# Each step's deadline in these tests: far beyond what a step here takes.
STEP_BUDGET_S: Final = 600.0


def credit_members_step(
    cash_id: int, member_ids: list[int], *, pause_s: float = 0.0, name: str = "credit_members"
) -> Step:
    """Pays each member 1.00 from cash, keyed by date, then (optionally) lingers uncommitted."""

    def run(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
        one = Money("1.00", "GBP")
        requests = [
            EntryRequest(
                idempotency_key=f"test-cob:{name}:{business_date}:{member}",
                business_date=business_date,
                lines=(Line.debit(cash_id, one), Line.credit(member, one)),
                description="test step credit",
                posted_by="cob",
                kind="test_cob",
            )
            for member in member_ids
        ]
        results = post_batch(session, requests)
        posted = sum(1 for r in results if r.outcome is Outcome.POSTED)
        progress(posted, len(requests))
        if pause_s:
            print("STEP-WROTE", flush=True)  # noqa: T201 - the kill test waits for this line
            time.sleep(pause_s)
        return StepOutcome(items=posted, totals={"GBP": str(one.amount * posted)})

    return Step(name, run)


if __name__ == "__main__":
    url, date, cash, members = sys.argv[1:5]
    engine = make_engine(url, pool_size=2)
    step = credit_members_step(int(cash), [int(m) for m in members.split(",")], pause_s=60)
    run_steps_for_date(
        engine, steps=[step], business_date=dt.date.fromisoformat(date), step_budget_s=STEP_BUDGET_S
    )
