"""Builders for the member and share account API tests: books, members, accounts, logins.

Objects are made through the real services straight against the shared test database
(fast, and exactly what the application would have made); requests then go through the
API. Money figures are read back from the ledger, never from a response alone.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from creditunion.approvals.views import ApprovalView
from creditunion.auth.roles import Role
from creditunion.business_date.service import current_business_date, initialise_business_date
from creditunion.members.views import MemberView
from creditunion.platform.database import unit_of_work
from creditunion.shares.movements import deposit_cash, withdraw_cash
from creditunion.shares.product_service import install_standard_products
from creditunion.shares.products import INSTANT_ACCESS
from creditunion.shares.service import get_share_account
from creditunion.shares.views import Movement, ShareAccountView, ShareProductView
from ledger import ownership
from ledger.chart import install_chart
from ledger.models import JournalEntry
from ledger.money import Money
from tests.api.conftest import LoggedIn, login
from tests.api.factories import make_user
from tests.factories import TODAY, MemberFactory, ShareAccountFactory, ShareProductFactory

STAFF_ACTOR = "user:api-tests"
LIMIT = Money("1000.00", "GBP")


def gbp(amount: str) -> dict[str, str]:
    """An amount as the wire carries it."""
    return {"amount": amount, "currency": "GBP"}


def new_key() -> str:
    return str(uuid.uuid4())


@dataclass
class Bank:
    """The shared test database with the books installed, and builders over it."""

    engine: Engine
    client: TestClient
    today: dt.date

    @classmethod
    def open(cls, engine: Engine, client: TestClient) -> Bank:
        with unit_of_work(engine) as session:
            install_chart(session, currency="GBP")
            install_standard_products(session, currency="GBP")
            today = initialise_business_date(session, business_date=TODAY)
        return cls(engine=engine, client=client, today=today)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def member(self, **fields: Any) -> MemberView:
        with unit_of_work(self.engine) as session:
            member = MemberFactory.create(session=session, business_date=self.today, **fields)
        assert isinstance(member, MemberView)
        return member

    def product(self, **fields: Any) -> ShareProductView:
        with unit_of_work(self.engine) as session:
            product = ShareProductFactory.create(session=session, **fields)
        assert isinstance(product, ShareProductView)
        return product

    def account(
        self,
        *,
        member_id: int | None = None,
        product_code: str = INSTANT_ACCESS,
        balance: str | None = None,
    ) -> ShareAccountView:
        """An open account; with `balance`, a deposit of it (which activates the member)."""
        with unit_of_work(self.engine) as session:
            account = ShareAccountFactory.create(
                session=session,
                member_id=member_id,
                product_code=product_code,
                business_date=self.today,
            )
        assert isinstance(account, ShareAccountView)
        if balance is not None:
            self.deposit(account.id, balance)
        return self.read_account(account.id)

    def deposit(self, account_id: int, amount: str) -> Movement:
        with unit_of_work(self.engine) as session:
            return deposit_cash(
                session,
                share_account_id=account_id,
                amount=Money(amount, "GBP"),
                actor=STAFF_ACTOR,
                idempotency_key=f"test:{new_key()}",
                business_date=self.today,
            )

    def pending_withdrawal(self, account_id: int, amount: str, *, maker: str) -> ApprovalView:
        """A withdrawal above the limit, made by `maker` (`user:{id}`), awaiting approval."""
        with unit_of_work(self.engine) as session:
            result = withdraw_cash(
                session,
                share_account_id=account_id,
                amount=Money(amount, "GBP"),
                actor=maker,
                idempotency_key=f"test:{new_key()}",
                business_date=self.today,
                approval_limit=LIMIT,
            )
        assert result.approval is not None
        return result.approval

    def read_account(self, account_id: int) -> ShareAccountView:
        with unit_of_work(self.engine) as session:
            return get_share_account(session, share_account_id=account_id, scope=ownership.STAFF)

    def balance(self, account_id: int) -> str:
        return str(self.read_account(account_id).balance.amount)

    def journal_count(self) -> int:
        with unit_of_work(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(JournalEntry)) or 0)

    def entries_with_key(self, ledger_key: str) -> int:
        with unit_of_work(self.engine) as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(JournalEntry)
                    .where(JournalEntry.idempotency_key == ledger_key)
                )
                or 0
            )

    def entry_exists(self, entry_id: str) -> bool:
        with unit_of_work(self.engine) as session:
            return session.get(JournalEntry, uuid.UUID(entry_id)) is not None

    def audit_actions(self, target_type: str, target_id: object) -> list[str]:
        with unit_of_work(self.engine) as session:
            rows = session.execute(
                text(
                    "SELECT action FROM audit_log WHERE target_type = :t AND target_id = :i "
                    "ORDER BY id"
                ),
                {"t": target_type, "i": str(target_id)},
            ).all()
        return [row[0] for row in rows]

    def business_date(self) -> dt.date:
        with unit_of_work(self.engine) as session:
            return current_business_date(session)

    # ------------------------------------------------------------------------- logins

    def staff(self, role: Role) -> LoggedIn:
        return login(self.client, make_user(role))

    def member_login(self, member_id: int | None = None) -> LoggedIn:
        """A member's app login (a new member unless `member_id` is given)."""
        user = (
            make_user(Role.MEMBER)
            if member_id is None
            else make_user(Role.MEMBER, member_id=member_id)
        )
        return login(self.client, user)


def idem(who: LoggedIn, key: str | None = None) -> dict[str, str]:
    """Headers for a POST that moves money."""
    return {**who.headers, "Idempotency-Key": key or new_key()}


def run_threads(target: Callable[[int], None], count: int) -> None:
    """Start `count` threads at once (a barrier), wait for all, fail if one hangs."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            target(n)
        except BaseException as exc:  # reported below, so a failing worker fails the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors
