"""The settlement bank's own book of the credit union's account, pure: an opening balance
and the bookings the bank made, each under the bank's reference.

The reference is what the bank quotes in every message about a booking: the entry
reference of a camt.054 notification and both the entry and the account servicer
reference of the camt.053 statement line, so the credit union can match one to the other.
A booking may be dated ahead: a direct debit is credited on its collection date, known
when its file is read.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Final

from creditunion.payments.iso20022.accounts import SortCodeAccount
from ledger.money import Money

# A book kept in one JSON file; a longer run starts a new book (another --out).
BOOKINGS_MAX: Final = 500_000


class BookFull(ValueError):
    def __init__(self) -> None:
        super().__init__(f"the bank's book holds {BOOKINGS_MAX} bookings: start a new one")


class Kind(enum.StrEnum):
    PAYMENT = "payment"  # one of the credit union's payments, settled: a debit
    RETURN = "return"  # one of its payments sent back by the payee's bank: a credit
    CREDIT = "credit"  # money someone paid to the credit union: a credit
    DIRECT_DEBIT = "direct_debit"  # one of its direct debits, collected: a credit
    UNPAID = "unpaid"  # a direct debit collected, then debited back unpaid: a debit


DEBITS: Final = frozenset({Kind.PAYMENT, Kind.UNPAID})


@dataclass(frozen=True, slots=True)
class RoutingAccount:
    """An account on the US rail: the bank's ABA routing number and the account number."""

    routing_number: str
    account_number: str

    @property
    def identifier(self) -> str:
        return f"{self.routing_number} {self.account_number}"


BankAccount = SortCodeAccount | RoutingAccount


@dataclass(frozen=True, slots=True)
class Party:
    """The other side of a booking: a payee, or a payer."""

    name: str
    account: SortCodeAccount


@dataclass(frozen=True, slots=True)
class Booking:
    reference: str
    kind: Kind
    booked_on: dt.date
    amount: Money
    # The credit union's end-to-end id: of the payment settled or returned, of the direct
    # debit collected or debited back (ACH: the entry's trace number).
    end_to_end_id: str | None = None
    remittance: str | None = None
    counterparty: Party | None = None
    return_reason: str | None = None

    @property
    def credit(self) -> bool:
        return self.kind not in DEBITS

    @property
    def signed(self) -> Money:
        """As it moves the balance: credits positive, debits negative."""
        return self.amount if self.credit else -self.amount


@dataclass(slots=True)
class SettlementBook:
    """`seed` decides every choice the bank makes; `messages` numbers the messages it
    writes (each one's choices come from a generator of its own, seeded by the seed and
    that number; a message that turns out to have nothing to say keeps its number);
    `answered` holds the message ids of the payment and direct debit files it has answered
    (a NACHA file's by its SHA-256)."""

    account: BankAccount
    currency: str
    opening_balance: Money
    seed: int
    messages: int = 0
    last_message_id: str | None = None
    answered: list[str] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)

    def book(self, booking: Booking) -> None:
        if len(self.bookings) >= BOOKINGS_MAX:
            raise BookFull()
        if booking.amount.currency != self.currency or not booking.amount.is_positive():
            raise ValueError(
                f"booking {booking.reference}: {booking.amount} on a {self.currency} book"
            )
        self.bookings.append(booking)

    def on(self, day: dt.date) -> list[Booking]:
        return [b for b in self.bookings if b.booked_on == day]

    def balance_before(self, day: dt.date) -> Money:
        moved = Money.zero(self.currency)
        for booking in self.bookings:
            if booking.booked_on < day:
                moved += booking.signed
        return self.opening_balance + moved

    def returned(self) -> set[str]:
        """End-to-end ids of the payments already sent back."""
        return {
            b.end_to_end_id
            for b in self.bookings
            if b.kind is Kind.RETURN and b.end_to_end_id is not None
        }
