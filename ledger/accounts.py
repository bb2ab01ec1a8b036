"""Opening, finding and closing ledger accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ledger.errors import Conflict, NotFound
from ledger.models import AccountStatus, AccountType, LedgerAccount
from ledger.money import Money, minor_unit_exponent
from ledger.transaction import require_transaction


class AccountNotFound(NotFound):
    pass


class AccountCodeTaken(Conflict, ValueError):
    pass


class AccountNotEmpty(Conflict, ValueError):
    """Only an account at zero balance can be closed."""


class FloorAboveBalance(Conflict, ValueError):
    """A floor may not be set above the balance the account holds now."""


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    code: str
    name: str
    type: AccountType
    currency: str
    status: AccountStatus
    header: bool
    parent_id: int | None
    floor: Money | None
    balance: Money  # on the account's normal side: a member's £10 of shares is +10.00

    @classmethod
    def of(cls, row: LedgerAccount) -> AccountView:
        sign = 1 if row.type.debit_normal else -1
        floor = None if row.floor_minor is None else Money.from_minor(row.floor_minor, row.currency)
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            type=row.type,
            currency=row.currency,
            status=row.status,
            header=row.header,
            parent_id=row.parent_id,
            floor=floor,
            balance=Money.from_minor(sign * row.balance_minor, row.currency),
        )


def open_account(
    session: Session,
    *,
    code: str,
    name: str,
    type: AccountType,
    currency: str,
    floor: Money | None = None,
    parent_id: int | None = None,
    header: bool = False,
) -> AccountView:
    require_transaction(session)
    minor_unit_exponent(currency)
    if floor is not None and floor.currency != currency.upper():
        raise ValueError(f"the floor is in {floor.currency}, the account in {currency}")
    if not code.strip() or len(code) > 64 or not name.strip() or len(name) > 200:
        raise ValueError("an account needs a code of 1-64 and a name of 1-200 characters")
    if session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code)) is not None:
        raise AccountCodeTaken(f"account code {code!r} is already in use")
    account = LedgerAccount(
        code=code,
        name=name,
        type=type,
        currency=currency.upper(),
        floor_minor=None if floor is None else floor.minor_units,
        parent_id=parent_id,
        header=header,
        status=AccountStatus.OPEN,
        balance_minor=0,
    )
    session.add(account)
    session.flush()
    return AccountView.of(account)


def get_account(session: Session, account_id: int) -> AccountView:
    row = session.get(LedgerAccount, account_id, populate_existing=True)
    if row is None:
        raise AccountNotFound(f"account {account_id} does not exist")
    return AccountView.of(row)


def get_account_by_code(session: Session, code: str) -> AccountView:
    row = session.scalar(
        select(LedgerAccount)
        .where(LedgerAccount.code == code)
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise AccountNotFound(f"account {code!r} does not exist")
    return AccountView.of(row)


def close_account(session: Session, *, account_id: int, closed_at: dt.datetime) -> AccountView:
    """Close an account at zero balance; it then takes no postings."""
    require_transaction(session)
    row = session.get(LedgerAccount, account_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise AccountNotFound(f"account {account_id} does not exist")
    if row.status is AccountStatus.CLOSED:
        raise ValueError(f"account {account_id} is already closed")
    if row.balance_minor != 0:
        raise AccountNotEmpty(f"account {account_id} has a balance and cannot be closed")
    session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == account_id)
        .values(status=AccountStatus.CLOSED, closed_at=closed_at)
    )
    session.refresh(row)
    return AccountView.of(row)


def set_floor(session: Session, *, account_id: int, floor: Money | None) -> AccountView:
    """Change the lowest balance the account may reach (None: no floor); balances untouched."""
    require_transaction(session)
    row = session.get(LedgerAccount, account_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise AccountNotFound(f"account {account_id} does not exist")
    if floor is not None:
        if floor.currency != row.currency:
            raise ValueError(f"the floor is in {floor.currency}, the account in {row.currency}")
        normal = row.balance_minor if row.type.debit_normal else -row.balance_minor
        if normal < floor.minor_units:
            raise FloorAboveBalance(f"account {account_id} holds less than {floor}")
    row.floor_minor = None if floor is None else floor.minor_units
    session.flush()
    return AccountView.of(row)


def count_accounts(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LedgerAccount)) or 0)
