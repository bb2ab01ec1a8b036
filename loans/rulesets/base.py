"""What every rule set shares: violations with stable codes, and rates in force by date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ledger.errors import Refused


class AprMethod(StrEnum):
    UK = "uk"  # FCA CONC App 1.2
    US = "us"  # Regulation Z Appendix J


class NoRuleInForce(Refused, ValueError):
    """No configured entry covers the date: the configuration must say what applies."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: a stable machine-readable code and a message citing the rule."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DefaultCharges:
    """The charges for a late or failed payment a rule set lets a product levy, as data.

    `*_per_instalment` is the most servicing can levy of each on one instalment (the late
    fee and the failed-payment fee are each charged at most once per instalment): the
    worst case a cap test prices. `in_cap` says whether the rule set's cap counts them.
    """

    late_fees_per_instalment: int
    failed_payment_fees_per_instalment: int
    in_cap: bool
    citation: str


@dataclass(frozen=True, slots=True)
class DatedRate:
    """A rate that applies from `effective_from` (inclusive) until `until` (inclusive) if set.

    Caps change by statutory instrument; they are configuration, chosen by the date of the
    product or quote, never constants in code.
    """

    effective_from: date
    rate: Decimal
    until: date | None = None
    source: str = ""


def rate_in_force(entries: Sequence[DatedRate], *, on: date) -> DatedRate:
    """The latest entry in force on `on`."""
    live = [
        entry
        for entry in entries
        if entry.effective_from <= on and (entry.until is None or on <= entry.until)
    ]
    if not live:
        raise NoRuleInForce(f"no configured rate is in force on {on}")
    return max(live, key=lambda entry: entry.effective_from)
