"""`creditunion demo`: a credit union with staff, a few hundred members and months of history.

Everything goes through the commands the API runs (registration, accounts, cash at the
till, transfers, maker-checker), each audited as the demo's staff acting, so the demo holds
exactly what the application would; only the bulk of past movements is posted straight to
the ledger, as a migrated history would be (see `creditunion.demo.history`). The
history is dated in the past and the business date moves with it: it is set to the first
day of the history, and after each day's movements close of business runs for that day
(accruals, loan collections, close and seal) and moves it on, so at the end it is today.

Running it again adds nothing: the people are created in one transaction (the demo's
admin login says they exist); each day of history is posted in one transaction with the
close of business that follows it (so the date says how far the history got, and an
interrupted demo carries on where it stopped); the last requests, left for the checkers, are keyed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from creditunion.approvals.commands import request_reversal
from creditunion.approvals.requests import find_by_key
from creditunion.auth.actor import Actor
from creditunion.business_date.service import current_business_date
from creditunion.cob.plan import run_close_of_business
from creditunion.commands import CommandContext, IdempotencyKey, staff_context
from creditunion.demo.data import day_activity
from creditunion.demo.history import DayPoster
from creditunion.demo.loans import DemoLoans
from creditunion.demo.people import (
    MEMBERS_MAX,
    DemoBook,
    Login,
    create_people,
    demo_exists,
    load_book,
    logins,
)
from creditunion.errors import Conflict
from creditunion.members.models import Member
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.shares.commands import withdraw_cash
from creditunion.shares.movement_rules import DailyCashLimits
from ledger.deadline import Deadline
from ledger.models import JournalEntry
from ledger.money import Money
from ledger.trial_balance import TrialBalance, trial_balance

HISTORY_DAYS: Final = 90
MEMBERS_DEFAULT: Final = 300
DAY_MOVEMENTS_MAX: Final = 2_000
LARGE_WITHDRAWAL: Final = Decimal("1250.00")  # above the default approval limit

OnDay = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DemoReport:
    created: bool  # False: the database already held the demo's people
    members: int
    accounts: int
    entries: int
    history_from: dt.date
    business_date: dt.date
    seconds: float
    logins: tuple[Login, ...]
    trial_balance: TrialBalance


def run_demo(
    engine: Engine,
    *,
    settings: Settings,
    today: dt.date,
    members: int = MEMBERS_DEFAULT,
    on_day: OnDay | None = None,
) -> DemoReport:
    """Create the demo (or find it) and bring its history up to its last day.

    `today` (the wall clock's date, read by the caller) places a new demo's history: it
    runs from `today - HISTORY_DAYS` to `today`. An existing demo keeps its own dates.
    `on_day(done, total)` reports progress through the history.
    """
    if not 1 <= members <= MEMBERS_MAX:
        raise ValueError(f"the demo has 1 to {MEMBERS_MAX} members")
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        created = not demo_exists(session)
        if created:
            start = today - dt.timedelta(days=HISTORY_DAYS)
            create_people(session, settings=settings, count=members, start=start)
    with unit_of_work(engine) as session:
        history_from = session.scalar(select(func.min(Member.joined_on)))
        assert history_from is not None, "the demo's members are registered"
        book = load_book(session, start=history_from)
    end = history_from + dt.timedelta(days=HISTORY_DAYS)
    _post_history(engine, book, settings=settings, first=history_from, end=end, on_day=on_day)
    with unit_of_work(engine) as session:
        _leave_requests_for_the_checkers(session, book, settings=settings, end=end)
    with unit_of_work(engine) as session:
        return DemoReport(
            created=created,
            members=len(book.people),
            accounts=book.accounts,
            entries=int(session.scalar(select(func.count()).select_from(JournalEntry)) or 0),
            history_from=history_from,
            business_date=current_business_date(session),
            seconds=time.perf_counter() - started,
            logins=logins(book),
            trial_balance=trial_balance(session),
        )


# ----------------------------------------------------------------------------- history


def _post_history(
    engine: Engine,
    book: DemoBook,
    *,
    settings: Settings,
    first: dt.date,
    end: dt.date,
    on_day: OnDay | None,
) -> None:
    total = (end - first).days
    for _ in range(total):
        with unit_of_work(engine) as session:
            day = current_business_date(session)
            if day >= end:
                break
            poster = DayPoster(session, book, settings, day)
            if day == first:
                poster.opening_deposits()
            for n, activity in enumerate(day_activity(book.people, day, limit=DAY_MOVEMENTS_MAX)):
                poster.post(n, activity)
            poster.finish()
            offset = (day - first).days
            DemoLoans(session, book, settings, day=day, offset=offset, last=total - 1).post()
        # The day ends as every business day does: interest accrued, loans collected and
        # aged, the ledger closed and sealed, the date moved on.
        run_close_of_business(engine, until=day)
        if on_day is not None:
            on_day((day - first).days + 1, total)


# -------------------------------------------------------------------- for the checkers


def _leave_requests_for_the_checkers(
    session: Session, book: DemoBook, *, settings: Settings, end: dt.date
) -> None:
    """Two large withdrawals and a reversal awaiting a manager, made by the demo teller.

    Keyed; a request already made (a second run) is not asked again, so it is recorded
    once in the audit log.
    """
    today = current_business_date(session)
    currency = settings.base_currency
    limits = DailyCashLimits(
        per_account=settings.withdrawal_daily_limit_account_money,
        per_member=settings.withdrawal_daily_limit_member_money,
    )
    for index in range(min(2, len(book.people))):
        key = f"checker:withdrawal:{index}"
        if index not in book.instant or _asked(session, book.teller, key):
            continue
        try:
            withdraw_cash(
                session,
                _keyed(book.teller, today, settings, key),
                share_account_id=book.instant[index],
                amount=Money(LARGE_WITHDRAWAL, currency),
                approval_limit=settings.withdrawal_approval_limit_money,
                daily_limits=limits,
                final=False,
                reference=None,
            )
        except Conflict:
            continue  # not enough money in it any more: nothing to show
    last_day = end - dt.timedelta(days=1)
    # The last day's first movement: posted in the day's batch, or by the teller's command.
    keys = [f"demo:{last_day}:0", _ledger_key(book.teller, f"{last_day}:0")]
    entry_id = session.scalar(
        select(JournalEntry.id).where(JournalEntry.idempotency_key.in_(keys)).limit(1)
    )
    if entry_id is not None and not _asked(session, book.teller, "checker:reversal"):
        # Already reversed (by someone trying the demo): nothing left to show.
        with contextlib.suppress(Conflict):
            request_reversal(
                session,
                _keyed(book.teller, today, settings, "checker:reversal"),
                entry_id=entry_id,
                reason="Keyed against the wrong member",
            )


def _idempotency(actor: Actor, key: str) -> IdempotencyKey:
    return IdempotencyKey("demo", str(actor.user_id), key)


def _ledger_key(actor: Actor, key: str) -> str:
    return _idempotency(actor, key).ledger_key()


def _asked(session: Session, actor: Actor, key: str) -> bool:
    return find_by_key(session, _ledger_key(actor, key)) is not None


def _keyed(actor: Actor, today: dt.date, settings: Settings, key: str) -> CommandContext:
    """A staff command keyed for one demo action, so a second run finds it done."""
    return staff_context(
        actor,
        business_date=today,
        deadline=Deadline.after(settings.command_deadline_s),
        idempotency=_idempotency(actor, key),
    )
