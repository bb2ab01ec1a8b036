"""The payment API tests' world: a database of its own (file production takes every payment
due, so no neighbour's payment may be in it), the app over it, members and staff, and the
ledger figures the tests assert on, read back from the books."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from httpx import Response

from creditunion.auth.roles import Role
from creditunion.business_date.service import advance_business_date
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account
from ledger.invariants import check_invariants
from ledger.money import Money
from ledger.periods import close_business_date
from tests.api.banking.bank import Bank, new_key
from tests.api.conftest import LoggedIn


@dataclass(frozen=True)
class Member:
    id: int
    account_id: int
    login: LoggedIn


@dataclass
class PayWorld:
    bank: Bank
    _staff: dict[Role, LoggedIn] = field(default_factory=dict)

    def staff(self, role: Role) -> LoggedIn:
        if role not in self._staff:
            self._staff[role] = self.bank.staff(role)
        return self._staff[role]

    def member(self, balance: str = "500.00") -> Member:
        """A new member with a funded share account and an app login."""
        account = self.bank.account(balance=balance)
        return Member(account.member_id, account.id, self.bank.member_login(account.member_id))

    def call(
        self,
        method: str,
        url: str,
        who: LoggedIn,
        json: Any = None,
        *,
        key: str | None = None,
        money: bool = False,
    ) -> Response:
        """A request as `who`; `money` (or a `key`) sends an Idempotency-Key."""
        headers = dict(who.headers)
        if money or key is not None:
            headers["Idempotency-Key"] = key or new_key()
        return self.bank.client.request(method, url, json=json, headers=headers)

    def post_xml(
        self, url: str, who: LoggedIn, content: bytes, *, key: str | None = None
    ) -> Response:
        headers = {
            **who.headers,
            "Idempotency-Key": key or new_key(),
            "Content-Type": "application/xml",
        }
        return self.bank.client.post(url, content=content, headers=headers)

    def balance(self, account_id: int) -> Money:
        return self.bank.read_account(account_id).balance

    def clearing_and_settlement(self) -> tuple[Money, Money]:
        """The outbound clearing and settlement bank accounts' balances."""
        with unit_of_work(self.bank.engine) as session:
            accounts = payment_accounts(session)
            return (
                get_account(session, accounts.outbound_clearing).balance,
                get_account(session, accounts.settlement_bank).balance,
            )

    def suspense(self) -> Money:
        with unit_of_work(self.bank.engine) as session:
            return get_account(session, payment_accounts(session).suspense).balance

    def advance(self, days: int) -> dt.date:
        """Move the business date on by `days`, closing each day left behind."""
        for _ in range(days):
            today = self.bank.business_date()
            with unit_of_work(self.bank.engine) as session:
                advance_business_date(session, from_date=today)
                close_business_date(session, business_date=today, closed_by="test")
        return self.bank.business_date()

    def assert_invariants(self) -> None:
        with unit_of_work(self.bank.engine) as session:
            report = check_invariants(session)
        assert report.ok, report
