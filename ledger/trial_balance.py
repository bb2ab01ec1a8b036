"""Trial balance as of a business date, grouped by account type, proving debits = credits.

Sub-ledger accounts (a member's shares, a loan) roll up into their control account: an
account whose parent is a header that itself sits inside the chart reports under that
parent, so the trial balance has one line per chart account, not one per member. With
`include_zero` every chart account has its line, at zero too (the grouping headers at the
top of the chart, which hold nothing and roll nothing up, excepted): an auditor sees the
whole chart, not only the accounts that moved.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.models import AccountType
from ledger.money import Money

_ROLLED_UP = """
WITH balances AS (
    {balances}
), reporting AS (
    SELECT CASE WHEN parent.header AND parent.parent_id IS NOT NULL THEN parent.id ELSE a.id END
               AS id,
           coalesce(b.debit_minor, 0) AS debit_minor
    FROM ledger_accounts a
    LEFT JOIN balances b ON b.account_id = a.id
    LEFT JOIN ledger_accounts parent ON parent.id = a.parent_id
    WHERE CASE WHEN CAST(:include_zero AS boolean) THEN NOT (a.header AND a.parent_id IS NULL)
               ELSE b.account_id IS NOT NULL END
)
SELECT r.id, a.code, a.name, a.type, a.currency, sum(r.debit_minor) AS debit_minor
FROM reporting r JOIN ledger_accounts a ON a.id = r.id
GROUP BY r.id, a.code, a.name, a.type, a.currency
ORDER BY a.code
"""

_BALANCES_NOW = "SELECT id AS account_id, balance_minor AS debit_minor FROM ledger_accounts"
_BALANCES_AS_OF = (
    "SELECT account_id, sum(amount_minor) AS debit_minor FROM postings "
    "WHERE business_date <= :as_of GROUP BY account_id"
)


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    account_id: int
    code: str
    name: str
    type: AccountType
    debit: Money
    credit: Money


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: str
    debits: Money
    credits: Money

    @property
    def balanced(self) -> bool:
        return self.debits == self.credits


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: dt.date | None
    rows_by_type: dict[AccountType, tuple[TrialBalanceRow, ...]]
    totals: tuple[CurrencyTotals, ...]

    @property
    def balanced(self) -> bool:
        return all(total.balanced for total in self.totals)


def trial_balance(
    session: Session, *, as_of: dt.date | None = None, include_zero: bool = False
) -> TrialBalance:
    """As of the end of `as_of` (postings dated on or before it), or of now when None;
    with `include_zero`, a line for every chart account, at zero too."""
    balances = _BALANCES_NOW if as_of is None else _BALANCES_AS_OF
    result = session.execute(
        text(_ROLLED_UP.format(balances=balances)), {"as_of": as_of, "include_zero": include_zero}
    )
    grouped: dict[AccountType, list[TrialBalanceRow]] = defaultdict(list)
    debits: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    for account_id, code, name, type_, currency, debit_minor in result:
        amount = int(debit_minor)
        debits[currency] += max(amount, 0)
        credits[currency] += max(-amount, 0)
        if amount == 0 and not include_zero:
            continue
        grouped[AccountType(type_)].append(
            TrialBalanceRow(
                account_id=account_id,
                code=code,
                name=name,
                type=AccountType(type_),
                debit=Money.from_minor(max(amount, 0), currency),
                credit=Money.from_minor(max(-amount, 0), currency),
            )
        )
    totals = tuple(
        CurrencyTotals(c, Money.from_minor(debits[c], c), Money.from_minor(credits[c], c))
        for c in sorted(debits.keys() | credits.keys())
    )
    return TrialBalance(
        as_of=as_of,
        rows_by_type={t: tuple(grouped[t]) for t in AccountType if grouped[t]},
        totals=totals,
    )
