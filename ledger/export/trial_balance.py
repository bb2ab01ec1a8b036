"""Trial balance as of a business date, from `ledger.trial_balance`, in three parts.

`accounts`: one line per chart account, zero balances included (sub-ledger accounts
rolled into their control account), grouped by type in the order asset, liability, equity, income, expense;
`by_type`: the debit and credit subtotal of each type and currency; `totals`: per currency
the total debits and credits, their difference and whether they balance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

from sqlalchemy.orm import Session

from ledger.export.report import Column, ColumnKind, Part, Report, Row
from ledger.money import Money
from ledger.trial_balance import TrialBalance, trial_balance

AMOUNT: Final = ColumnKind.AMOUNT

ACCOUNT_COLUMNS: Final = (
    Column("account_type"),
    Column("account_code"),
    Column("account_name"),
    Column("currency"),
    Column("debit", AMOUNT),
    Column("credit", AMOUNT),
)
TYPE_COLUMNS: Final = (
    Column("account_type"),
    Column("currency"),
    Column("debit", AMOUNT),
    Column("credit", AMOUNT),
)
TOTAL_COLUMNS: Final = (
    Column("currency"),
    Column("total_debit", AMOUNT),
    Column("total_credit", AMOUNT),
    Column("difference", AMOUNT),
    Column("balanced"),
)


def _account_rows(balance: TrialBalance) -> Iterator[Row]:
    for type_, rows in balance.rows_by_type.items():
        for row in rows:
            yield (
                type_.value,
                row.code,
                row.name,
                row.debit.currency,
                row.debit.amount,
                row.credit.amount,
            )


def _type_rows(balance: TrialBalance) -> Iterator[Row]:
    for type_, rows in balance.rows_by_type.items():
        sums: dict[str, tuple[Money, Money]] = {}
        for row in rows:
            currency = row.debit.currency
            debit, credit = sums.get(currency, (Money.zero(currency), Money.zero(currency)))
            sums[currency] = (debit + row.debit, credit + row.credit)
        for currency, (debit, credit) in sorted(sums.items()):
            yield (type_.value, currency, debit.amount, credit.amount)


def _total_rows(balance: TrialBalance) -> Iterator[Row]:
    for total in balance.totals:
        difference = total.debits - total.credits
        yield (
            total.currency,
            total.debits.amount,
            total.credits.amount,
            difference.amount,
            "yes" if total.balanced else "no",
        )


def trial_balance_report(session: Session, *, as_of: dt.date) -> Report:
    """The trial balance at the end of `as_of`; read now (it has one line per chart account)."""
    balance = trial_balance(session, as_of=as_of, include_zero=True)
    return Report(
        name="trial-balance",
        parameters={"as_of": as_of.isoformat()},
        parts=(
            Part("accounts", ACCOUNT_COLUMNS, lambda: _account_rows(balance), "currency"),
            Part("by_type", TYPE_COLUMNS, lambda: _type_rows(balance), "currency"),
            Part("totals", TOTAL_COLUMNS, lambda: _total_rows(balance), "currency"),
        ),
        covers_from=None,
        covers_to=as_of,
    )
