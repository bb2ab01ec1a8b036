"""Checks of the ledger's invariants over the whole database (ARCHITECTURE.md 1-4).

1. every entry's postings sum to zero per currency, and it has at least two;
2. every account's stored balance is the sum of its postings;
3. the trial balance balances: all balances sum to zero per currency;
4. no account is below its floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

SAMPLE_MAX: Final = 20

_UNBALANCED_ENTRIES = text("""
SELECT e.id::text FROM journal_entries e
LEFT JOIN postings p ON p.entry_id = e.id
GROUP BY e.id
HAVING count(p.id) < 2
UNION ALL
SELECT entry_id::text FROM postings GROUP BY entry_id, currency HAVING sum(amount_minor) <> 0
LIMIT :n
""")

_DRIFTED_BALANCES = text("""
SELECT a.id::text FROM ledger_accounts a
LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM postings GROUP BY account_id) s
    ON s.account_id = a.id
WHERE a.balance_minor <> coalesce(s.total, 0)
LIMIT :n
""")

_UNBALANCED_BOOKS = text("""
SELECT currency FROM ledger_accounts GROUP BY currency HAVING sum(balance_minor) <> 0
UNION
SELECT currency FROM postings GROUP BY currency HAVING sum(amount_minor) <> 0
""")

_BELOW_FLOOR = text("""
SELECT id::text FROM ledger_accounts
WHERE floor_minor IS NOT NULL
  AND (CASE WHEN type IN ('asset', 'expense') THEN balance_minor ELSE -balance_minor END)
      < floor_minor
LIMIT :n
""")

_MISMATCHED_CURRENCY = text("""
SELECT p.id::text FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
WHERE p.currency <> a.currency
LIMIT :n
""")


@dataclass(frozen=True, slots=True)
class InvariantReport:
    unbalanced_entries: list[str] = field(default_factory=list)
    drifted_balances: list[str] = field(default_factory=list)
    unbalanced_currencies: list[str] = field(default_factory=list)
    below_floor: list[str] = field(default_factory=list)
    mismatched_currency_postings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(
            (
                self.unbalanced_entries,
                self.drifted_balances,
                self.unbalanced_currencies,
                self.below_floor,
                self.mismatched_currency_postings,
            )
        )


def check_invariants(session: Session) -> InvariantReport:
    """Every violation found (up to a sample of each kind); `ok` when there are none."""
    limit = {"n": SAMPLE_MAX}
    return InvariantReport(
        unbalanced_entries=list(session.scalars(_UNBALANCED_ENTRIES, limit)),
        drifted_balances=list(session.scalars(_DRIFTED_BALANCES, limit)),
        unbalanced_currencies=list(session.scalars(_UNBALANCED_BOOKS)),
        below_floor=list(session.scalars(_BELOW_FLOOR, limit)),
        mismatched_currency_postings=list(session.scalars(_MISMATCHED_CURRENCY, limit)),
    )
