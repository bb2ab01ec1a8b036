"""Facts about the member and the credit union that a quote is checked against.

Passed in by the caller (who reads them from the database), so every check stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.errors import Refused
from ledger.money import Money


class FactsError(Refused, ValueError):
    """Facts that are missing or inconsistent for the rule set applied."""


@dataclass(frozen=True, slots=True)
class LoanFacts:
    membership_start: date
    outstanding_pals: int = 0
    # Origination dates of the member's earlier PALs (at least those in the last 6 months).
    pal_originations: tuple[date, ...] = ()
    refinances_existing: bool = False
    # The credit union's total outstanding PAL balances and its net worth.
    portfolio_pal_balances: Money | None = None
    net_worth: Money | None = None

    def __post_init__(self) -> None:
        if self.outstanding_pals < 0:
            raise FactsError("outstanding_pals cannot be negative")
