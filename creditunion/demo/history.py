"""Posting one day of the demo's history: members' wages, cash, payments and saving.

A movement that only posts goes into the day's ledger batch, as a bulk feed would (a
few round trips for the whole day instead of several per movement): the same entry the
share service would post (kind, description, metadata, the teller as `posted_by`), after
the share service's checks made here against the balances the demo keeps (a product's
maximum, the minimum share; the ledger enforces the floor itself). Those bulk movements
are not commands and write no audit record: they stand for the feed of past business a
credit union migrates onto the system, posted straight to the ledger in batches (one
command each would be a transaction's worth of work per movement for 90 days of a few
hundred members). A movement the share service does more for goes through the teller's
command, recorded as the API's would be: a member's first deposit, which raises the
account's floor and makes the member active, and any first credit to an account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy.orm import Session

from creditunion.commands import CommandContext, IdempotencyKey, staff_context
from creditunion.demo.data import Activity, opening_deposit
from creditunion.demo.people import DemoBook
from creditunion.errors import Conflict
from creditunion.platform.settings import Settings
from creditunion.shares.commands import deposit_cash, transfer_to_member
from creditunion.shares.ledger_link import till_id
from creditunion.shares.movements import KIND_DEPOSIT, KIND_TRANSFER, KIND_WITHDRAWAL
from ledger.batch import Outcome, post_batch
from ledger.deadline import Deadline
from ledger.entry import EntryRequest, Line
from ledger.money import Money, minor_unit_exponent

Changes = dict[int, Money]  # share account id -> money in (+) or out (-)


class DayPoster:
    """One business day's movements, posted as the demo teller, in the order planned."""

    def __init__(self, session: Session, book: DemoBook, settings: Settings, day: dt.date) -> None:
        self.session = session
        self.book = book
        self.settings = settings
        self.currency = settings.base_currency
        self.day = day
        self.till = till_id(session)
        self.quantum = Decimal(1).scaleb(-minor_unit_exponent(self.currency))
        self.batch: list[tuple[EntryRequest, Changes]] = []

    def money(self, amount: Decimal) -> Money:
        # Demo amounts are drawn at random; banker's rounding to the minor unit, named.
        return Money(amount.quantize(self.quantum, rounding=ROUND_HALF_EVEN), self.currency)

    def key(self, what: object) -> str:
        return f"{self.day.isoformat()}:{what}"

    def teller(self, key: str) -> CommandContext:
        """The demo teller at the till, as the API would start a command, keyed for this
        movement (so a run interrupted and started again finds it posted)."""
        return staff_context(
            self.book.teller,
            business_date=self.day,
            deadline=Deadline.after(self.settings.command_deadline_s),
            idempotency=IdempotencyKey("demo", str(self.book.teller.user_id), key),
        )

    def opening_deposits(self) -> None:
        for member in self.book.people:
            account = self.book.main_account(member.index)
            amount = self.money(opening_deposit(member))
            self.deposit(account, amount, self.key(f"join{member.index}"))

    def post(self, n: int, activity: Activity) -> None:
        book = self.book
        amount = self.money(activity.amount)
        key = self.key(n)
        source = book.main_account(activity.member)
        if activity.kind == "deposit":
            self.deposit(source, amount, key)
        elif activity.kind == "withdrawal" and activity.member in book.instant:
            self.withdraw(source, amount, key)
        elif activity.kind == "saving" and activity.member in book.christmas:
            self.transfer(source, book.christmas[activity.member], amount, key, own=activity.member)
        elif activity.kind == "transfer" and activity.member in book.instant:
            assert activity.other is not None
            self.transfer(source, book.main_account(activity.other), amount, key, own=None)

    def finish(self) -> None:
        """Post what is still queued."""
        if not self.batch:
            return
        queued, self.batch = self.batch, []
        results = post_batch(self.session, [request for request, _ in queued])
        for result, (_, changes) in zip(results, queued, strict=True):
            # The batch applies entries in order against the running balances, so what it
            # refused changed nothing: undoing it here keeps the balances exact.
            if result.outcome is Outcome.REFUSED:
                self._apply({account: -change for account, change in changes.items()})

    # ---------------------------------------------------------------------- movements

    def deposit(self, account: int, amount: Money, key: str) -> None:
        target = self.book.ledgers[account]
        if not target.can_take(amount):
            return
        changes = {account: amount}
        if not target.minimum_reached:
            self._by_service(
                lambda: deposit_cash(
                    self.session,
                    self.teller(key),
                    share_account_id=account,
                    amount=amount,
                    reference=None,
                ),
                changes,
            )
            return
        self._queue(
            key,
            debit=self.till,
            credit=target.ledger_id,
            amount=amount,
            description="Cash deposit",
            kind=KIND_DEPOSIT,
            metadata={"share_account": target.number},
            changes=changes,
        )

    def withdraw(self, account: int, amount: Money, key: str) -> None:
        source = self.book.ledgers[account]
        if source.can_give(amount):
            self._queue(
                key,
                debit=source.ledger_id,
                credit=self.till,
                amount=amount,
                description="Cash withdrawal",
                kind=KIND_WITHDRAWAL,
                metadata={"share_account": source.number},
                changes={account: -amount},
            )

    def transfer(self, source: int, target: int, amount: Money, key: str, own: int | None) -> None:
        ledgers = self.book.ledgers
        paying, paid = ledgers[source], ledgers[target]
        if source == target or not (paying.can_give(amount) and paid.can_take(amount)):
            return
        changes = {source: -amount, target: amount}
        if not paid.minimum_reached and own is not None:
            # A member's saving into their own account, keyed in by the teller.
            self._by_service(
                lambda: transfer_to_member(
                    self.session,
                    self.teller(key),
                    from_share_account_id=source,
                    amount=amount,
                    to_membership_number=None,
                    to_account_number=paid.number,
                    reference=None,
                ),
                changes,
            )
            return
        if not paid.minimum_reached:
            return  # every member's main account is funded on joining; nothing to pay into
        self._queue(
            key,
            debit=paying.ledger_id,
            credit=paid.ledger_id,
            amount=amount,
            description="Transfer between share accounts",
            kind=KIND_TRANSFER,
            metadata={"from": paying.number, "to": paid.number},
            changes=changes,
        )

    # ------------------------------------------------------------------------ posting

    def _queue(
        self,
        key: str,
        *,
        debit: int,
        credit: int,
        amount: Money,
        description: str,
        kind: str,
        metadata: dict[str, Any],
        changes: Changes,
    ) -> None:
        request = EntryRequest(
            idempotency_key=f"demo:{key}",
            business_date=self.day,
            lines=(Line.debit(debit, amount), Line.credit(credit, amount)),
            description=description,
            posted_by=self.book.teller_ref,
            kind=kind,
            metadata=metadata,
        )
        self.batch.append((request, changes))
        # Counted now, so the next movements are checked against it; `finish` keeps the
        # count exact by undoing anything the ledger refuses.
        self._apply(changes)

    def _by_service(self, movement: Callable[[], object], changes: Changes) -> None:
        self.finish()  # what is queued happened first
        try:
            movement()
        except Conflict:
            # Refused by the state of the accounts (the ledger's refusals included) as a
            # till would refuse it; the day goes on. Any other error is a bug and stops it.
            return
        self._apply(changes)

    def _apply(self, changes: Changes) -> None:
        for account, change in changes.items():
            self.book.ledgers[account].moved(change)
