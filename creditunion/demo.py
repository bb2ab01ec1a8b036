"""A small demonstration: members' share accounts with a few weeks of deposits and withdrawals."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creditunion.database import unit_of_work
from creditunion.settings import Settings
from creditunion.setup import initialise
from ledger.accounts import AccountNotFound, get_account_by_code, open_account
from ledger.chart import CASH_IN_TILLS, MEMBERS_SHARES
from ledger.checks import InsufficientFunds
from ledger.entry import EntryRequest, Line
from ledger.models import AccountType
from ledger.money import Money
from ledger.posting import post_entry
from ledger.trial_balance import TrialBalance, trial_balance

DEMO_MEMBERS = 20
DEMO_DAYS = 30


def run_demo(engine: Engine, *, settings: Settings) -> str:
    currency = settings.base_currency
    rng = random.Random(2026)
    start = dt.date(2026, 10, 1)
    with unit_of_work(engine) as session:
        initialise(session, settings=settings)
        if not _already_seeded(session):
            _seed(session, currency=currency, rng=rng, start=start)
        report = trial_balance(session)
    return _render(report)


def _already_seeded(session: Session) -> bool:
    try:
        get_account_by_code(session, "DEMO-SH-0001")
    except AccountNotFound:
        return False
    return True


def _seed(session: Session, *, currency: str, rng: random.Random, start: dt.date) -> None:
    cash = get_account_by_code(session, CASH_IN_TILLS)
    control = get_account_by_code(session, MEMBERS_SHARES)
    members = [
        open_account(
            session,
            code=f"DEMO-SH-{n:04d}",
            name=f"Demo member {n} shares",
            type=AccountType.LIABILITY,
            currency=currency,
            floor=Money.zero(currency),
            parent_id=control.id,
        )
        for n in range(1, DEMO_MEMBERS + 1)
    ]
    for day in range(DEMO_DAYS):
        for member in rng.sample(members, 5):
            amount = Money.from_minor(rng.randint(500, 20_000), currency)
            deposit = rng.random() < 0.7
            lines = (
                (Line.debit(cash.id, amount), Line.credit(member.id, amount))
                if deposit
                else (Line.debit(member.id, amount), Line.credit(cash.id, amount))
            )
            request = EntryRequest(
                idempotency_key=f"demo-{member.code}-{day}",
                business_date=start + dt.timedelta(days=day),
                lines=lines,
                description="Cash deposit" if deposit else "Cash withdrawal",
                posted_by="demo",
                kind="deposit" if deposit else "withdrawal",
            )
            try:
                post_entry(session, request)
            except InsufficientFunds:
                continue  # a member asking for more than they hold is refused, as at a till


def _render(report: TrialBalance) -> str:
    lines_out = [f"Trial balance after {DEMO_DAYS} demo days ({DEMO_MEMBERS} members):"]
    for account_type, rows in report.rows_by_type.items():
        for row in rows:
            lines_out.append(
                f"  {account_type.value:<10} {row.code:<6} {row.name:<32} "
                f"debit {row.debit.amount:>12} credit {row.credit.amount:>12}"
            )
    for total in report.totals:
        lines_out.append(
            f"  totals {total.currency}: debits {total.debits.amount} "
            f"credits {total.credits.amount} balanced={total.balanced}"
        )
    return "\n".join(lines_out)
