"""How a payment is split across what a loan owes: fees, then interest, then principal."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import Refused


class PaymentExceedsBalance(Refused, ValueError):
    """A payment larger than everything the loan owes."""

    def __init__(self, amount_minor: int, owed_minor: int) -> None:
        super().__init__(f"a payment of {amount_minor} minor units exceeds the {owed_minor} owed")
        self.amount_minor = amount_minor
        self.owed_minor = owed_minor


@dataclass(frozen=True, slots=True)
class Owed:
    """A loan's balances in minor units: fees and interest receivable, principal."""

    fees: int
    interest: int
    principal: int

    def __post_init__(self) -> None:
        if min(self.fees, self.interest, self.principal) < 0:
            raise ValueError(f"a loan cannot owe a negative amount: {self}")

    @property
    def total(self) -> int:
        return self.fees + self.interest + self.principal


@dataclass(frozen=True, slots=True)
class Allocation:
    fees: int
    interest: int
    principal: int

    @property
    def total(self) -> int:
        return self.fees + self.interest + self.principal


def allocate(amount_minor: int, owed: Owed) -> Allocation:
    """Fees first, then interest accrued to the payment date, then principal."""
    if amount_minor <= 0:
        raise ValueError(f"a payment must be positive, not {amount_minor}")
    if amount_minor > owed.total:
        raise PaymentExceedsBalance(amount_minor, owed.total)
    fees = min(amount_minor, owed.fees)
    interest = min(amount_minor - fees, owed.interest)
    return Allocation(fees, interest, amount_minor - fees - interest)
