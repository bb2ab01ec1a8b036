"""Checks of an entry's lines against the locked state of its accounts (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger.entry import Line, net_by_account
from ledger.errors import Conflict
from ledger.models import AccountStatus, AccountType


class PostingRefused(Conflict):
    """The ledger refused an entry; nothing was written."""


class UnknownAccount(PostingRefused):
    def __init__(self, account_id: int) -> None:
        super().__init__(f"account {account_id} does not exist")
        self.account_id = account_id


class AccountClosed(PostingRefused):
    def __init__(self, account_id: int) -> None:
        super().__init__(f"account {account_id} is closed")
        self.account_id = account_id


class AccountNotPostable(PostingRefused):
    def __init__(self, account_id: int) -> None:
        super().__init__(f"account {account_id} is a header of the chart and takes no postings")
        self.account_id = account_id


class AccountCurrencyMismatch(PostingRefused):
    def __init__(self, account_id: int, account_currency: str, line_currency: str) -> None:
        super().__init__(
            f"account {account_id} is in {account_currency}, the line is in {line_currency}"
        )
        self.account_id = account_id


class InsufficientFunds(PostingRefused):
    """The entry would take an account below its floor."""

    def __init__(self, account_id: int, floor_minor: int, balance_after_minor: int) -> None:
        super().__init__(
            f"account {account_id} would fall to {balance_after_minor} minor units, "
            f"below its floor of {floor_minor}"
        )
        self.account_id = account_id
        self.floor_minor = floor_minor
        self.balance_after_minor = balance_after_minor


@dataclass(slots=True)
class AccountState:
    id: int
    currency: str
    status: AccountStatus
    type: AccountType
    floor_minor: int | None
    balance_minor: int
    header: bool

    def normal_balance(self, balance_minor: int) -> int:
        return balance_minor if self.type.debit_normal else -balance_minor


def apply_lines(lines: Sequence[Line], accounts: Mapping[int, AccountState]) -> dict[int, int]:
    """Return each touched account's balance after the lines, or raise why they can't post."""
    for line in lines:
        account = accounts.get(line.account_id)
        if account is None:
            raise UnknownAccount(line.account_id)
        if account.status is not AccountStatus.OPEN:
            raise AccountClosed(account.id)
        if account.header:
            raise AccountNotPostable(account.id)
        if account.currency != line.amount.currency:
            raise AccountCurrencyMismatch(account.id, account.currency, line.amount.currency)
    after: dict[int, int] = {}
    for account_id, delta in net_by_account(lines).items():
        account = accounts[account_id]
        balance_after = account.balance_minor + delta
        floor = account.floor_minor
        if floor is not None and account.normal_balance(balance_after) < floor:
            raise InsufficientFunds(account_id, floor, account.normal_balance(balance_after))
        after[account_id] = balance_after
    return after
