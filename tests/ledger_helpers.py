"""Small builders for ledger tests: accounts with unique codes, and two-line transfers."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from ledger.accounts import AccountView, open_account
from ledger.entry import EntryRequest, Line
from ledger.models import AccountType
from ledger.money import Money

TODAY = dt.date(2026, 11, 25)


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def new_account(
    session: Session,
    type: AccountType = AccountType.LIABILITY,
    *,
    currency: str = "GBP",
    floor: Money | None = None,
    name: str = "Test account",
    parent_id: int | None = None,
) -> AccountView:
    return open_account(
        session,
        code=f"T-{uuid.uuid4().hex[:12]}",
        name=name,
        type=type,
        currency=currency,
        floor=floor,
        parent_id=parent_id,
    )


def transfer(
    debit_id: int,
    credit_id: int,
    amount: Money,
    *,
    key: str | None = None,
    business_date: dt.date = TODAY,
    description: str = "transfer",
    kind: str = "transfer",
) -> EntryRequest:
    return EntryRequest(
        idempotency_key=key or f"test-{uuid.uuid4()}",
        business_date=business_date,
        lines=(Line.debit(debit_id, amount), Line.credit(credit_id, amount)),
        description=description,
        posted_by="test",
        kind=kind,
    )
