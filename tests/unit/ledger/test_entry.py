from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ledger.checks import (
    AccountClosed,
    AccountCurrencyMismatch,
    AccountNotPostable,
    AccountState,
    InsufficientFunds,
    UnknownAccount,
    apply_lines,
)
from ledger.entry import EntryRequest, InvalidEntry, Line, content_hash, validate
from ledger.models import AccountStatus, AccountType
from ledger.money import Money

DAY = dt.date(2026, 11, 25)


def request(*lines: Line, **changes: object) -> EntryRequest:
    base = EntryRequest(
        idempotency_key="k1",
        business_date=DAY,
        lines=tuple(lines),
        description="test",
        posted_by="tester",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


class TestValidate:
    def test_accepts_a_balanced_two_line_entry(self) -> None:
        validate(request(Line.debit(1, gbp("5")), Line.credit(2, gbp("5"))))

    def test_refuses_a_single_line(self) -> None:
        with pytest.raises(InvalidEntry, match="at least two"):
            validate(request(Line(1, gbp("5"))))

    def test_refuses_lines_that_do_not_balance(self) -> None:
        with pytest.raises(InvalidEntry, match="do not sum to zero"):
            validate(request(Line.debit(1, gbp("5")), Line.credit(2, gbp("4.99"))))

    def test_refuses_a_zero_line(self) -> None:
        with pytest.raises(InvalidEntry, match="zero amount"):
            validate(request(Line(1, gbp("0")), Line.debit(2, gbp("1")), Line.credit(3, gbp("1"))))

    def test_balances_per_currency_not_overall(self) -> None:
        lines = (Line.debit(1, gbp("5")), Line.credit(2, Money("5", "USD")))
        with pytest.raises(InvalidEntry, match="per currency"):
            validate(request(*lines))

    def test_accepts_a_balanced_multi_currency_entry(self) -> None:
        validate(
            request(
                Line.debit(1, gbp("5")),
                Line.credit(2, gbp("5")),
                Line.debit(3, Money("6", "USD")),
                Line.credit(4, Money("6", "USD")),
            )
        )

    @pytest.mark.parametrize(
        "changes",
        [
            {"idempotency_key": ""},
            {"idempotency_key": "x" * 201},
            {"idempotency_key": "bad\nkey"},
            {"description": " "},
            {"description": "d" * 501},
            {"kind": "Bad Kind"},
            {"posted_by": ""},
            {"metadata": {"x": float("nan")}},
            {"metadata": {"x": object()}},
            {"business_date": dt.datetime(2026, 1, 1)},
        ],
    )
    def test_refuses_malformed_fields(self, changes: dict[str, object]) -> None:
        with pytest.raises(InvalidEntry):
            validate(request(Line.debit(1, gbp("5")), Line.credit(2, gbp("5")), **changes))

    def test_debit_and_credit_helpers_refuse_non_positive_amounts(self) -> None:
        with pytest.raises(InvalidEntry):
            Line.debit(1, gbp("-1"))
        with pytest.raises(InvalidEntry):
            Line.credit(1, gbp("0"))


class TestContentHash:
    def test_line_order_does_not_change_the_hash(self) -> None:
        a = request(Line.debit(1, gbp("5")), Line.credit(2, gbp("5")))
        b = request(Line.credit(2, gbp("5")), Line.debit(1, gbp("5")))

        assert content_hash(a) == content_hash(b)

    @pytest.mark.parametrize(
        "changes",
        [
            {"business_date": dt.date(2026, 11, 26)},
            {"description": "other"},
            {"reference": "ref"},
            {"kind": "deposit"},
            {"metadata": {"a": 1}},
        ],
    )
    def test_any_change_of_meaning_changes_the_hash(self, changes: dict[str, object]) -> None:
        lines = (Line.debit(1, gbp("5")), Line.credit(2, gbp("5")))

        assert content_hash(request(*lines)) != content_hash(request(*lines, **changes))

    def test_amounts_and_accounts_change_the_hash(self) -> None:
        base = request(Line.debit(1, gbp("5")), Line.credit(2, gbp("5")))
        more = request(Line.debit(1, gbp("6")), Line.credit(2, gbp("6")))
        swapped = request(Line.debit(2, gbp("5")), Line.credit(1, gbp("5")))

        assert len({content_hash(base), content_hash(more), content_hash(swapped)}) == 3


def state(account_id: int, **changes: object) -> AccountState:
    base = AccountState(
        id=account_id,
        currency="GBP",
        status=AccountStatus.OPEN,
        type=AccountType.LIABILITY,
        floor_minor=0,
        balance_minor=-1000,  # a member holding 10.00 in shares
        header=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class TestApplyLines:
    def test_returns_debit_positive_balances_after(self) -> None:
        accounts = {1: state(1), 2: state(2, type=AccountType.ASSET, floor_minor=None)}

        after = apply_lines((Line.debit(1, gbp("4")), Line.credit(2, gbp("4"))), accounts)

        assert after == {1: -600, 2: -1400}

    def test_allows_reaching_the_floor_exactly(self) -> None:
        accounts = {1: state(1), 2: state(2, floor_minor=None)}

        after = apply_lines((Line.debit(1, gbp("10")), Line.credit(2, gbp("10"))), accounts)

        assert after[1] == 0

    def test_refuses_going_below_the_floor_by_one_penny(self) -> None:
        accounts = {1: state(1), 2: state(2, floor_minor=None)}

        with pytest.raises(InsufficientFunds) as refused:
            apply_lines((Line.debit(1, gbp("10.01")), Line.credit(2, gbp("10.01"))), accounts)

        assert refused.value.balance_after_minor == -1
        assert refused.value.floor_minor == 0

    def test_nets_several_lines_on_one_account_before_checking_the_floor(self) -> None:
        accounts = {1: state(1), 2: state(2, floor_minor=None)}
        lines = (
            Line.debit(1, gbp("15")),
            Line.credit(1, gbp("6")),
            Line.credit(2, gbp("9")),
        )

        assert apply_lines(lines, accounts)[1] == -100

    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"status": AccountStatus.CLOSED}, AccountClosed),
            ({"header": True}, AccountNotPostable),
            ({"currency": "USD"}, AccountCurrencyMismatch),
        ],
    )
    def test_refuses_accounts_that_cannot_take_the_line(
        self, changes: dict[str, object], error: type[Exception]
    ) -> None:
        accounts = {1: state(1, **changes), 2: state(2, floor_minor=None)}

        with pytest.raises(error):
            apply_lines((Line.credit(1, gbp("1")), Line.debit(2, gbp("1"))), accounts)

    def test_refuses_unknown_accounts(self) -> None:
        with pytest.raises(UnknownAccount):
            apply_lines((Line.credit(1, gbp("1")), Line.debit(9, gbp("1"))), {1: state(1)})
