"""Account balances now and as of a business date, on the account's normal side."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.accounts import AccountNotFound
from ledger.models import LedgerAccount, Posting
from ledger.money import Money


def balance(session: Session, *, account_id: int, as_of: dt.date | None = None) -> Money:
    """The stored balance, or with `as_of` the sum of postings dated on or before it.

    Positive means the account holds value on its normal side (a member's shares in credit).
    """
    account = session.execute(
        select(LedgerAccount.type, LedgerAccount.currency, LedgerAccount.balance_minor).where(
            LedgerAccount.id == account_id
        )
    ).one_or_none()
    if account is None:
        raise AccountNotFound(f"account {account_id} does not exist")
    account_type, currency, stored_minor = account
    debit_minor: int | None = stored_minor
    if as_of is not None:
        debit_minor = session.scalar(
            select(func.coalesce(func.sum(Posting.amount_minor), 0)).where(
                Posting.account_id == account_id, Posting.business_date <= as_of
            )
        )
    sign = 1 if account_type.debit_normal else -1
    return Money.from_minor(sign * int(debit_minor or 0), currency)
