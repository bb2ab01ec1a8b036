"""The rest of a schedule after an overpayment: same instalment, fewer of them.

An overpayment on date D leaves principal P owed. Interest to D has been paid (payments
take interest before principal), so the first re-derived instalment carries interest from
D to its due date; every later one a whole period's. Each instalment stays the level one,
its interest rounded with the product's mode, until the principal left is no more than
an instalment's share of principal: the last instalment then takes all of it (absorbing
every rounding), and the term ends on that due date, never after the original one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from loans.accrual import (
    AccrualTerms,
    between_units,
    interest_units,
    period,
    period_containing,
    round_units,
)


class RescheduleError(ValueError):
    """Inputs from which no remaining schedule can be derived."""


@dataclass(frozen=True, slots=True)
class PlannedInstalment:
    number: int  # the accrual period it closes, so numbers and due dates never move
    due_date: date
    principal_minor: int
    interest_minor: int

    @property
    def amount_minor(self) -> int:
        return self.principal_minor + self.interest_minor


def rederive(
    terms: AccrualTerms,
    *,
    principal_minor: int,
    instalment_minor: int,
    paid_on: date,
    last_number: int,
) -> tuple[PlannedInstalment, ...]:
    """Instalments after `paid_on` that repay `principal_minor` at `instalment_minor` each."""
    if principal_minor < 0 or instalment_minor <= 0:
        raise RescheduleError("principal must be >= 0 and the instalment positive")
    if principal_minor == 0:
        return ()
    span = period_containing(terms, paid_on + timedelta(days=1))
    if span.number > last_number:
        raise RescheduleError(f"{paid_on} is past the last due date; nothing is left to spread")
    rows: list[PlannedInstalment] = []
    owed = principal_minor
    since = paid_on
    for number in range(span.number, last_number + 1):
        current = period(terms, number)
        factor = between_units(terms.rate, terms.day_count, current, since, current.end)
        units = interest_units(owed, factor)
        interest = round_units(units, terms.denominator, terms.interest_rounding)
        share = max(instalment_minor - interest, 0)
        final = number == last_number or share >= owed
        principal = owed if final else share
        rows.append(PlannedInstalment(number, current.end, principal, interest))
        owed -= principal
        since = current.end
        if final:
            break
    return tuple(rows)
