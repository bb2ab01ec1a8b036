"""The member's own share account, as a loan pays into it and is repaid from it.

A loan's money moves through the share account's ledger account; the share service's own
rules still apply to it, so each movement takes the share account's row lock first (as
every share movement does) and is checked as the share service checks a deposit or a
withdrawal: the account is the member's (another member's is "not found"), open, in the
right currency; a credit stays within the product's maximum; a debit only takes what is
available (balance less the floor and withdrawals awaiting approval), from an active
member, inside the product's withdrawal windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.shares.ledger_link import after_credit
from creditunion.shares.models import ShareAccount
from creditunion.shares.movement_rules import (
    InsufficientAvailableBalance,
    require_can_give,
    require_can_receive,
    require_open,
)
from creditunion.shares.service import (
    LockedAccount,
    ShareAccountNotFound,
    available_balance,
    lock_share_accounts,
)
from ledger.money import Money

LOOKUP_MAX = 50


def own_share_account(session: Session, *, member_id: int, share_account_id: int) -> LockedAccount:
    """The member's open share account, locked. Raises ShareAccountNotFound, ShareAccountClosed."""
    owner = session.scalar(
        select(ShareAccount.member_id).where(ShareAccount.id == share_account_id)
    )
    if owner is None or owner != member_id:
        raise ShareAccountNotFound(share_account_id)
    locked = lock_share_accounts(session, [share_account_id])[share_account_id]
    require_open(locked)
    return locked


def account_to_pay_into(
    session: Session, *, member_id: int, share_account_id: int, amount: Money
) -> LockedAccount:
    """The member's account that can take `amount` (open, its currency, under its maximum)."""
    locked = own_share_account(session, member_id=member_id, share_account_id=share_account_id)
    require_can_receive(locked, amount)
    return locked


def account_to_pay_from(
    session: Session,
    *,
    member_id: int,
    share_account_id: int,
    amount: Money,
    business_date: dt.date,
) -> LockedAccount:
    """The member's account that can give `amount` now (see the module docstring)."""
    locked = own_share_account(session, member_id=member_id, share_account_id=share_account_id)
    require_can_give(session, locked, amount, business_date)
    return locked


def available(locked: LockedAccount) -> Money:
    """What can leave the account now: balance less the floor and pending withdrawals."""
    return available_balance(locked.ledger.balance, locked.floor, locked.pending_withdrawals)


def require_took_at_most(locked: LockedAccount, *, taken: Money, available_before: Money) -> None:
    """After a debit whose amount the loans service worked out: it fitted what was available.

    Raised inside the request's transaction, so the debit is rolled back with it.
    """
    if taken > available_before:
        raise InsufficientAvailableBalance(locked.account.account_number, available_before, taken)


def credited(session: Session, locked: LockedAccount, business_date: dt.date) -> None:
    """What the share service does after any credit (the floor reaching the minimum share)."""
    after_credit(session, locked, business_date)


def share_account_ids(session: Session, ledger_account_ids: Collection[int]) -> dict[int, int]:
    """Share account id by ledger account id, for the ledger accounts that are share accounts."""
    wanted = sorted(set(ledger_account_ids))[:LOOKUP_MAX]
    if not wanted:
        return {}
    rows = session.execute(
        select(ShareAccount.ledger_account_id, ShareAccount.id).where(
            ShareAccount.ledger_account_id.in_(wanted)
        )
    ).all()
    return {int(ledger_id): int(account_id) for ledger_id, account_id in rows}
