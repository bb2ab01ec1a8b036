"""Where share movements meet the ledger: posting one entry, replays, the till account, and
what follows a credit (the floor rising to the minimum share, the member activating).

Whether money may move at all is decided in `movement_rules`, before anything here runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from creditunion.members.service import activate_if_pending
from creditunion.shares.product_service import ChartNotInstalled
from creditunion.shares.service import LockedAccount
from creditunion.shares.views import Movement
from ledger.accounts import AccountNotFound, get_account, get_account_by_code, set_floor
from ledger.chart import CASH_IN_TILLS
from ledger.entry import EntryRequest, Line, PostedEntry
from ledger.models import JournalEntry
from ledger.money import Money
from ledger.posting import post_entry


def already_posted(session: Session, key: str) -> bool:
    return bool(session.scalar(select(exists().where(JournalEntry.idempotency_key == key))))


def till_id(session: Session) -> int:
    try:
        return get_account_by_code(session, CASH_IN_TILLS).id
    except AccountNotFound:
        raise ChartNotInstalled("no cash-in-tills account: run `creditunion init`") from None


def post_movement(
    session: Session,
    *,
    key: str,
    business_date: dt.date,
    debit: int,
    credit: int,
    amount: Money,
    description: str,
    kind: str,
    actor: str,
    reference: str | None,
    metadata: Mapping[str, Any],
) -> PostedEntry:
    return post_entry(
        session,
        EntryRequest(
            idempotency_key=key,
            business_date=business_date,
            lines=(Line.debit(debit, amount), Line.credit(credit, amount)),
            description=description,
            posted_by=actor,
            kind=kind,
            reference=reference,
            metadata=metadata,
        ),
    )


def movement_of(
    session: Session,
    entry: PostedEntry,
    *,
    kind: str,
    amount: Money,
    from_number: str | None,
    to_number: str | None,
    acted_on: LockedAccount,
    change: Money,
) -> Movement:
    """`change` is what the entry did to `acted_on`'s balance (locked before it posted)."""
    balance_after = (
        get_account(session, acted_on.account.ledger_account_id).balance
        if entry.replayed
        else acted_on.ledger.balance + change
    )
    return Movement(
        entry_id=entry.id,
        sequence_no=entry.sequence_no,
        business_date=entry.business_date,
        posted_at=entry.posted_at,
        replayed=entry.replayed,
        kind=kind,
        amount=amount,
        from_account_number=from_number,
        to_account_number=to_number,
        balance_after=balance_after,
    )


def after_credit(session: Session, locked: LockedAccount, business_date: dt.date) -> None:
    """Once an account first holds its product's minimum (and at least one minor unit),
    raise its ledger floor to the minimum and activate a pending member."""
    account = locked.account
    if account.minimum_reached_on is not None:
        return
    balance = get_account(session, account.ledger_account_id).balance
    minimum = locked.product.minimum_balance
    if balance < minimum or not balance.is_positive():
        return
    if minimum:
        set_floor(session, account_id=account.ledger_account_id, floor=minimum)
    account.minimum_reached_on = business_date
    session.flush()
    activate_if_pending(session, member_id=account.member_id, business_date=business_date)
