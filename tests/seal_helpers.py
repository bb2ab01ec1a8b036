"""Builders for seal and export tests: a small multi-day history, and tampering as a superuser."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine

from creditunion.platform.database import libpq_url, unit_of_work
from ledger.accounts import AccountView
from ledger.entry import PostedEntry
from ledger.models import AccountType
from ledger.periods import close_business_date
from ledger.posting import post_entry
from ledger.reversal import reverse_entry
from ledger.seal import SealView, seal_day
from tests.ledger_helpers import gbp, new_account, transfer

D1, D2, D3 = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)


@dataclass(frozen=True)
class History:
    cash: AccountView
    alice: AccountView
    bob: AccountView
    day1: list[PostedEntry]
    day3: list[PostedEntry]
    reversal: PostedEntry


def build_history(engine: Engine) -> History:
    """Three entries on D1, none on D2, two on D3 (the second reverses D1's first)."""
    with unit_of_work(engine) as s:
        cash = new_account(s, AccountType.ASSET, name="Cash")
        alice = new_account(s, name="Alice, shares")
        bob = new_account(s, name='Bob "the builder"')
        day1 = [
            post_entry(s, transfer(cash.id, alice.id, gbp("100.00"), business_date=D1)),
            post_entry(s, transfer(cash.id, bob.id, gbp("0.07"), business_date=D1)),
            post_entry(
                s,
                transfer(
                    alice.id,
                    bob.id,
                    gbp("12.30"),
                    business_date=D1,
                    description='Rent, "March"\nsecond line',
                ),
            ),
        ]
        day3 = [post_entry(s, transfer(cash.id, bob.id, gbp("5.55"), business_date=D3))]
        reversal = reverse_entry(
            s,
            entry_id=day1[0].id,
            idempotency_key=f"rev-{uuid.uuid4()}",
            business_date=D3,
            posted_by="manager",
        )
    return History(cash, alice, bob, day1, [*day3, reversal], reversal)


def close_and_seal(engine: Engine, days: list[dt.date]) -> list[SealView]:
    with unit_of_work(engine) as s:
        close_business_date(s, business_date=days[-1], closed_by="test")
    seals = []
    for day in days:
        with unit_of_work(engine) as s:
            seals.append(seal_day(s, business_date=day, sealed_by="test"))
    return seals


@contextmanager
def superuser(engine: Engine) -> Iterator[psycopg.Connection[Any]]:
    """A psycopg connection to the engine's database, committing on a clean exit."""
    url = libpq_url(engine.url.render_as_string(hide_password=False))
    with psycopg.connect(url) as conn:
        yield conn


def tamper(engine: Engine, table: str, statement: str, params: tuple[Any, ...] = ()) -> None:
    """Run `statement` with `table`'s append-only trigger disabled, as a superuser would."""
    with superuser(engine) as conn:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        conn.execute(statement, params)
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
