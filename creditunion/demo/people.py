"""The demo's people: staff logins of every role, members with their accounts and app logins.

Created once, in one transaction, through the commands the API runs (so each is recorded
in the audit log as the demo's staff acting); found again on later runs (the demo's admin
login says they exist) together with the accounts' balances.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.auth.actor import Actor
from creditunion.auth.models import User
from creditunion.auth.roles import Role
from creditunion.auth.user_commands import (
    approve_staff_user,
    create_first_admin,
    create_staff_user,
)
from creditunion.business_date.service import current_business_date
from creditunion.commands import CommandContext, staff_context
from creditunion.demo.data import DemoMember, demo_members
from creditunion.errors import Conflict
from creditunion.initial_data import initialise
from creditunion.members.commands import AppLogin, create_login, register_member
from creditunion.members.models import Member
from creditunion.members.views import NiVisibility
from creditunion.platform.settings import Settings
from creditunion.shares.account_commands import open_share_account
from creditunion.shares.models import ShareAccount, ShareProduct
from creditunion.shares.products import CHRISTMAS_SAVER, INSTANT_ACCESS, JUNIOR_SAVER
from ledger.accounts import AccountView
from ledger.deadline import Deadline
from ledger.models import LedgerAccount
from ledger.money import Money

DEMO_PASSWORD: Final = "demo-password-2026"
MEMBERS_MAX: Final = 5_000
MEMBER_LOGINS: Final = 5
ADMIN_USERNAME: Final = "demo.admin"
STAFF: Final = (
    ("demo.manager", Role.MANAGER),
    ("demo.manager2", Role.MANAGER),
    ("demo.teller", Role.TELLER),
    ("demo.loans", Role.LOAN_OFFICER),
    ("demo.auditor", Role.AUDITOR),
)
SYSTEM: Final = Actor.system("demo")


class DemoRefused(Conflict, RuntimeError):
    """The database already runs at a business date the demo's history cannot start from."""


@dataclass(frozen=True, slots=True)
class Login:
    username: str
    role: Role
    password: str
    membership_number: str | None = None


@dataclass
class DemoBook:
    """The demo's members and accounts, and their balances as the history is posted."""

    teller: Actor  # the demo's staff, as the API knows them once signed in
    manager: Actor
    people: list[DemoMember]
    member_ids: list[int]
    membership_numbers: list[str]
    instant: dict[int, int] = field(default_factory=dict)  # member index -> account id
    christmas: dict[int, int] = field(default_factory=dict)
    junior: dict[int, int] = field(default_factory=dict)
    ledgers: dict[int, AccountLimits] = field(default_factory=dict)  # account id -> its state

    @property
    def teller_ref(self) -> str:
        """The teller as services record who acted (`user:{id}`)."""
        return f"user:{self.teller.user_id}"

    @property
    def accounts(self) -> int:
        return len(self.instant) + len(self.christmas) + len(self.junior)

    def main_account(self, index: int) -> int:
        """The account a member is paid into and pays from: instant access, or a junior's."""
        return self.junior[index] if index in self.junior else self.instant[index]


@dataclass
class AccountLimits:
    """What the history poster needs to know to ask only for movements that can succeed:
    the balance, the product's minimum share (the floor once reached) and maximum."""

    number: str  # the account number
    ledger_id: int  # its ledger account
    balance: Money
    minimum: Money
    maximum: Money | None
    minimum_reached: bool

    def can_give(self, amount: Money) -> bool:
        floor = self.minimum if self.minimum_reached else Money.zero(self.minimum.currency)
        return amount <= self.balance - floor

    def can_take(self, amount: Money) -> bool:
        return self.maximum is None or self.balance + amount <= self.maximum

    def moved(self, change: Money) -> None:
        self.balance += change
        self.minimum_reached = self.minimum_reached or (
            self.balance >= self.minimum and self.balance.is_positive()
        )


def demo_exists(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.username == ADMIN_USERNAME)) is not None


def create_people(session: Session, *, settings: Settings, count: int, start: dt.date) -> None:
    """Chart, products and business date (`start`), staff, `count` members and accounts."""
    initialise(session, settings=settings, business_date=start)
    current = current_business_date(session)
    if current != start:
        raise DemoRefused(
            f"this database's business date is {current}, but the demo's history starts on "
            f"{start}: run the demo on a new database (set DATABASE_URL, or remove "
            f"{settings.embedded_data_dir})"
        )
    admin = _bootstrap_admin(session, settings, start)
    staff = {
        username: create_staff_user(
            session,
            _acting(admin, start, settings),
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            settings=settings,
        )
        for username, role in STAFF
    }
    # The demo has one admin, so its managers are approved as the operator's command line
    # would approve them (maker-checker, creditunion.auth.users).
    for view in staff.values():
        if view.approval_pending:
            approve_staff_user(session, _acting(SYSTEM, start, settings), user_id=view.id)
    teller = _staff_actor(session, "demo.teller")
    for person in demo_members(count, today=start):
        member = register_member(
            session,
            _acting(teller, start, settings),
            application=person.application,
            login=None,
            settings=settings,
            ni_visibility=NiVisibility.MASKED,
        ).member
        codes = [JUNIOR_SAVER] if person.junior else [INSTANT_ACCESS]
        if person.christmas_saver:
            codes.append(CHRISTMAS_SAVER)
        for code in codes:
            open_share_account(
                session,
                _acting(teller, start, settings),
                member_id=member.id,
                product_code=code,
                repayment_mandate=False,
            )
        if person.index < MEMBER_LOGINS:
            create_login(
                session,
                _acting(SYSTEM, start, settings),
                member_id=member.id,
                login=AppLogin(f"member{person.index + 1}", DEMO_PASSWORD),
                settings=settings,
            )


def _acting(actor: Actor, start: dt.date, settings: Settings) -> CommandContext:
    """The logins are made by commands, so the audit trail tells who made each, as the
    API's would; each command gets the whole budget of its own."""
    deadline = Deadline.after(settings.command_deadline_s)
    return staff_context(actor, business_date=start, deadline=deadline)


def _bootstrap_admin(session: Session, settings: Settings, start: dt.date) -> Actor:
    view = create_first_admin(
        session,
        _acting(SYSTEM, start, settings),
        username=ADMIN_USERNAME,
        password=DEMO_PASSWORD,
        settings=settings,
    )
    return Actor(user_id=view.id, username=view.username, role=Role.ADMIN)


def _staff_actor(session: Session, username: str) -> Actor:
    """A demo staff login as the API's actor for it once signed in."""
    found = session.scalar(select(User).where(User.username == username))
    if found is None:
        raise DemoRefused(f"the demo's {username} login is missing: was it renamed?")
    return Actor(user_id=found.id, username=found.username, role=found.role, member_id=None)


def load_book(session: Session, *, start: dt.date) -> DemoBook:
    """The demo's members (registered by the demo teller, in order) and their accounts."""
    teller = _staff_actor(session, "demo.teller")
    rows = session.execute(
        select(Member.id, Member.membership_number)
        .where(Member.created_by == f"user:{teller.user_id}")
        .order_by(Member.id)
        .limit(MEMBERS_MAX)
    ).all()
    book = DemoBook(
        teller=teller,
        manager=_staff_actor(session, "demo.manager"),
        people=demo_members(len(rows), today=start),
        member_ids=[member_id for member_id, _ in rows],
        membership_numbers=[number for _, number in rows],
    )
    index_of = {member_id: index for index, member_id in enumerate(book.member_ids)}
    by_product = {
        INSTANT_ACCESS: book.instant,
        CHRISTMAS_SAVER: book.christmas,
        JUNIOR_SAVER: book.junior,
    }
    accounts = session.execute(
        select(ShareAccount, ShareProduct, LedgerAccount)
        .join(ShareProduct, ShareProduct.id == ShareAccount.product_id)
        .join(LedgerAccount, LedgerAccount.id == ShareAccount.ledger_account_id)
        .where(ShareAccount.member_id.in_(book.member_ids))
        .order_by(ShareAccount.id)
    ).all()
    for account, product, ledger in accounts:
        if product.code in by_product:
            by_product[product.code].setdefault(index_of[account.member_id], account.id)
        book.ledgers[account.id] = AccountLimits(
            number=account.account_number,
            ledger_id=account.ledger_account_id,
            # On the account's normal side, as the ledger reads it: the stored balance of
            # a member's shares (a liability) is negative.
            balance=AccountView.of(ledger).balance,
            minimum=product.minimum_balance,
            maximum=product.maximum_balance,
            minimum_reached=account.minimum_reached_on is not None,
        )
    return book


def logins(book: DemoBook) -> tuple[Login, ...]:
    staff = [Login(ADMIN_USERNAME, Role.ADMIN, DEMO_PASSWORD)]
    staff += [Login(username, role, DEMO_PASSWORD) for username, role in STAFF]
    members = [
        Login(f"member{index + 1}", Role.MEMBER, DEMO_PASSWORD, book.membership_numbers[index])
        for index in range(min(MEMBER_LOGINS, len(book.member_ids)))
    ]
    return tuple(staff + members)
