"""Seed a scratch database for the ops proofs: the demo credit union, its history closed.

    python -m ops.seed_books [--members 20] [--behind-days 30]

Runs the demo (staff logins, members, accounts, 90 days of history) with its last day
`--behind-days` before today, then closes and seals that history in the ledger through
the day before the business date, as close of business would have. Close of business
(`creditunion cob run`, the scheduler) then carries on from the business date: with
`--behind-days N` the scheduler has N days to catch up, which keeps it busy long enough to
show a second scheduler being turned away.

The demo itself only moves the business date over its history (it neither closes nor
seals those days); closing and sealing them here means close of business starts from a
sealed ledger and each run does one day's work, whatever the version of close_and_seal
(at the time of writing, close_and_seal sealed only its own day and so refused a first
day after the journal's first date; a change making it catch up is in progress). Uses
DATABASE_URL; prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Final

from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.service import current_business_date
from creditunion.demo import run_demo
from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.settings import get_settings
from ledger.periods import close_business_date, closed_through
from ledger.seal import seal_through

SEEDED_BY: Final = "ops:seed_books"


def seed(*, members: int, behind_days: int) -> dict[str, object]:
    settings = get_settings()
    engine = default_engine()
    today = today_in_zone(settings.zone) - dt.timedelta(days=behind_days)
    report = run_demo(engine, settings=settings, today=today, members=members)
    with unit_of_work(engine) as session:
        business = current_business_date(session)
        last = business - dt.timedelta(days=1)
        closed = closed_through(session)
        if closed is None or closed < last:
            close_business_date(session, business_date=last, closed_by=SEEDED_BY)
        seals = seal_through(session, business_date=last, sealed_by=SEEDED_BY)
    return {
        "members": report.members,
        "accounts": report.accounts,
        "entries": report.entries,
        "history_from": report.history_from.isoformat(),
        "business_date": business.isoformat(),
        "closed_through": last.isoformat(),
        "days_sealed_now": len(seals),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--behind-days", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(seed(members=args.members, behind_days=args.behind_days)))


if __name__ == "__main__":
    main()
