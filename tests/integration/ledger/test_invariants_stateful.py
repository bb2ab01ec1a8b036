"""Hypothesis drives random sequences of valid and invalid ledger commands against real
PostgreSQL, predicting each outcome from a plain model; after every step the stored
state must match the model and invariants 1-5 must hold."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import Engine, text

from creditunion.platform.database import unit_of_work
from ledger.accounts import AccountView, get_account
from ledger.batch import Outcome, post_batch
from ledger.checks import AccountCurrencyMismatch, InsufficientFunds
from ledger.entry import EntryRequest, InvalidEntry, Line
from ledger.invariants import check_invariants
from ledger.models import AccountType
from ledger.money import Money
from ledger.periods import PeriodClosed, close_business_date
from ledger.posting import AlreadyReversed, IdempotencyConflict, post_entry
from ledger.reversal import CannotReverseReversal, reverse_entry
from tests.ledger_helpers import new_account

_RUNS = itertools.count()
AMOUNTS = st.integers(min_value=1, max_value=50_000)


@dataclasses.dataclass
class ModelAccount:
    view: AccountView
    balance_minor: int = 0  # on the normal side

    @property
    def floor_minor(self) -> int | None:
        return None if self.view.floor is None else self.view.floor.minor_units


@dataclasses.dataclass
class ModelEntry:
    request: EntryRequest
    id: uuid.UUID
    reversed: bool = False
    is_reversal: bool = False


class LedgerMachine(RuleBasedStateMachine):
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.accounts: list[ModelAccount] = []
        self.entries: list[ModelEntry] = []
        # Each run starts its dates well after any date an earlier run closed.
        self.today = dt.date(2030, 1, 1) + dt.timedelta(days=400 * next(_RUNS))
        self.keys = itertools.count()

    def _key(self) -> str:
        return f"sm-{uuid.uuid4()}-{next(self.keys)}"

    @initialize()
    def open_accounts(self) -> None:
        with unit_of_work(self.engine) as s:
            specs: list[tuple[AccountType, str, Money | None]] = [
                (AccountType.ASSET, "GBP", None),
                (AccountType.LIABILITY, "GBP", Money("0", "GBP")),
                (AccountType.LIABILITY, "GBP", Money("0", "GBP")),
                (AccountType.LIABILITY, "GBP", Money("-100", "GBP")),
                (AccountType.ASSET, "USD", None),
                (AccountType.LIABILITY, "USD", Money("0", "USD")),
            ]
            for kind, currency, floor in specs:
                self.accounts.append(
                    ModelAccount(new_account(s, kind, currency=currency, floor=floor))
                )

    def _predict(self, lines: tuple[Line, ...]) -> type[Exception] | None:
        by_id = {a.view.id: a for a in self.accounts}
        for line in lines:
            if by_id[line.account_id].view.currency != line.amount.currency:
                return AccountCurrencyMismatch
        for line in lines:
            account = by_id[line.account_id]
            sign = 1 if account.view.type.debit_normal else -1
            after = account.balance_minor + sign * line.amount.minor_units
            if account.floor_minor is not None and after < account.floor_minor:
                return InsufficientFunds
        return None

    def _apply(self, lines: tuple[Line, ...]) -> None:
        by_id = {a.view.id: a for a in self.accounts}
        for line in lines:
            account = by_id[line.account_id]
            sign = 1 if account.view.type.debit_normal else -1
            account.balance_minor += sign * line.amount.minor_units

    def _transfer(self, source: int, target: int, minor: int) -> EntryRequest:
        currency = self.accounts[target].view.currency
        amount = Money.from_minor(minor, currency)
        return EntryRequest(
            idempotency_key=self._key(),
            business_date=self.today,
            lines=(
                Line.debit(self.accounts[source].view.id, amount),
                Line.credit(self.accounts[target].view.id, amount),
            ),
            description="stateful transfer",
            posted_by="hypothesis",
            kind="transfer",
        )

    @rule(source=st.integers(0, 5), destination=st.integers(0, 5), minor=AMOUNTS)
    def post_a_transfer(self, source: int, destination: int, minor: int) -> None:
        if source == destination:
            return
        request = self._transfer(source, destination, minor)
        expected = self._predict(request.lines)
        with unit_of_work(self.engine) as s:
            if expected is not None:
                with pytest.raises(expected):
                    post_entry(s, request)
                return
            entry = post_entry(s, request)
        self._apply(request.lines)
        self.entries.append(ModelEntry(request, entry.id))

    @rule(
        source=st.integers(0, 3),
        destination=st.integers(0, 3),
        minor=AMOUNTS,
        off_by=st.integers(1, 99),
    )
    def post_an_unbalanced_entry(
        self, source: int, destination: int, minor: int, off_by: int
    ) -> None:
        request = self._transfer(source, destination, minor)
        debit, credit = request.lines
        bad = dataclasses.replace(
            request,
            lines=(debit, Line(credit.account_id, credit.amount - Money.from_minor(off_by, "GBP"))),
        )
        with unit_of_work(self.engine) as s, pytest.raises(InvalidEntry):
            post_entry(s, bad)

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def replay_an_entry(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from(self.entries))
        with unit_of_work(self.engine) as s:
            again = post_entry(s, entry.request) if not entry.is_reversal else None
        if again is not None:
            assert again.id == entry.id and again.replayed

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), extra=st.integers(1, 100))
    def reuse_a_key_for_other_content(self, data: st.DataObject, extra: int) -> None:
        entry = data.draw(st.sampled_from([e for e in self.entries if not e.is_reversal] or [None]))
        if entry is None:
            return
        debit, credit = entry.request.lines
        more = Money.from_minor(extra, debit.amount.currency)
        changed = dataclasses.replace(
            entry.request,
            lines=(
                Line.debit(debit.account_id, debit.amount + more),
                Line(credit.account_id, credit.amount - more),
            ),
        )
        with unit_of_work(self.engine) as s, pytest.raises(IdempotencyConflict):
            post_entry(s, changed)

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def reverse_an_entry(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from(self.entries))
        mirrored = tuple(Line(ln.account_id, -ln.amount) for ln in entry.request.lines)
        if entry.is_reversal:
            expected: type[Exception] | None = CannotReverseReversal
        elif entry.reversed:
            expected = AlreadyReversed
        else:
            expected = self._predict(mirrored)
        with unit_of_work(self.engine) as s:
            call: dict[str, Any] = {
                "entry_id": entry.id,
                "idempotency_key": self._key(),
                "business_date": self.today,
                "posted_by": "hypothesis",
            }
            if expected is not None:
                with pytest.raises(expected):
                    reverse_entry(s, **call)
                return
            reversal = reverse_entry(s, **call)
        self._apply(mirrored)
        entry.reversed = True
        request = dataclasses.replace(entry.request, lines=mirrored, kind="reversal")
        self.entries.append(ModelEntry(request, reversal.id, is_reversal=True))

    @rule(
        pairs=st.lists(
            st.tuples(st.integers(0, 5), st.integers(0, 5), AMOUNTS), min_size=1, max_size=8
        )
    )
    def post_a_batch(self, pairs: list[tuple[int, int, int]]) -> None:
        requests = [self._transfer(a, b, m) for a, b, m in pairs if a != b]
        if not requests:
            return
        with unit_of_work(self.engine) as s:
            results = post_batch(s, requests)
        for request, result in zip(requests, results, strict=True):
            expected = self._predict(request.lines)
            if expected is None:
                assert result.outcome is Outcome.POSTED, result
                assert result.entry is not None
                self._apply(request.lines)
                self.entries.append(ModelEntry(request, result.entry.id))
            else:
                assert result.outcome is Outcome.REFUSED and isinstance(result.error, expected)

    @rule()
    def close_the_day_and_try_to_backdate(self) -> None:
        with unit_of_work(self.engine) as s:
            close_business_date(s, business_date=self.today, closed_by="hypothesis")
        backdated = self._transfer(0, 1, 100)
        with unit_of_work(self.engine) as s, pytest.raises(PeriodClosed):
            post_entry(s, backdated)
        self.today += dt.timedelta(days=1)

    @invariant()
    def stored_state_matches_the_model_and_the_invariants_hold(self) -> None:
        if not self.accounts:
            return
        with unit_of_work(self.engine) as s:
            for account in self.accounts:
                stored = get_account(s, account.view.id)
                assert stored.balance.minor_units == account.balance_minor
                if account.floor_minor is not None:
                    assert account.balance_minor >= account.floor_minor
            report = check_invariants(s)
            assert report.ok, report
            ids = [e.id for e in self.entries]
            assert s.scalar(
                text("SELECT count(*) FROM journal_entries WHERE id = ANY(:i)"), {"i": ids}
            ) == len(ids)


def test_random_command_sequences_keep_the_ledger_invariants(fresh_engine: Engine) -> None:
    LedgerMachine.engine = fresh_engine
    runner = LedgerMachine.TestCase
    runner.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    runner().runTest()
