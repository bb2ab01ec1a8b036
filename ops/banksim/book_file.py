"""The bank's book kept between commands, as JSON in the directory the files go to, so
`respond`, `credits` and `statement` run one after another play one bank."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from creditunion.payments.iso20022.accounts import SortCodeAccount
from ledger.money import Money
from ops.banksim.book import (
    BOOKINGS_MAX,
    BankAccount,
    Booking,
    Kind,
    Party,
    RoutingAccount,
    SettlementBook,
)

BOOK_NAME: Final = "bank-book.json"
BOOK_BYTES_MAX: Final = 512 * 1024 * 1024
ANSWERED_MAX: Final = 100_000


class _Stored(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Party(_Stored):
    name: str
    sort_code: str
    account_number: str


class _Booking(_Stored):
    reference: str
    kind: Kind
    booked_on: dt.date
    amount_minor: int = Field(gt=0)
    end_to_end_id: str | None = None
    remittance: str | None = None
    counterparty: _Party | None = None
    return_reason: str | None = None


class _Book(_Stored):
    version: Literal[1] = 1
    # The account by sort code (UK) or by routing number (US): one of the two.
    sort_code: str | None = None
    routing_number: str | None = None
    account_number: str
    currency: str
    opening_minor: int
    seed: int
    messages: int = Field(ge=0)
    last_message_id: str | None = None
    answered: list[str] = Field(max_length=ANSWERED_MAX)
    bookings: list[_Booking] = Field(max_length=BOOKINGS_MAX)


def book_path(directory: Path) -> Path:
    return directory / BOOK_NAME


def _party(stored: _Party | None) -> Party | None:
    if stored is None:
        return None
    return Party(stored.name, SortCodeAccount(stored.sort_code, stored.account_number))


def _account(stored: _Book) -> BankAccount:
    if stored.sort_code is not None and stored.routing_number is None:
        return SortCodeAccount(stored.sort_code, stored.account_number)
    if stored.routing_number is not None and stored.sort_code is None:
        return RoutingAccount(stored.routing_number, stored.account_number)
    raise ValueError("the book names its account by a sort code or a routing number, one")


def load_book(directory: Path) -> SettlementBook | None:
    """The book kept in `directory`, or None if there is none; ValueError if it is not one."""
    path = book_path(directory)
    if not path.exists():
        return None
    if path.stat().st_size > BOOK_BYTES_MAX:
        raise ValueError(f"{path} is larger than {BOOK_BYTES_MAX // (1024 * 1024)} MiB")
    stored = _Book.model_validate_json(path.read_bytes())
    currency = stored.currency
    return SettlementBook(
        account=_account(stored),
        currency=currency,
        opening_balance=Money.from_minor(stored.opening_minor, currency),
        seed=stored.seed,
        messages=stored.messages,
        last_message_id=stored.last_message_id,
        answered=list(stored.answered),
        bookings=[
            Booking(
                reference=b.reference,
                kind=b.kind,
                booked_on=b.booked_on,
                amount=Money.from_minor(b.amount_minor, currency),
                end_to_end_id=b.end_to_end_id,
                remittance=b.remittance,
                counterparty=_party(b.counterparty),
                return_reason=b.return_reason,
            )
            for b in stored.bookings
        ],
    )


def save_book(book: SettlementBook, directory: Path) -> Path:
    """Written whole to a temporary file, then put in place: a run killed half-way leaves
    the book as it was."""
    account = book.account
    stored = _Book(
        sort_code=account.sort_code if isinstance(account, SortCodeAccount) else None,
        routing_number=account.routing_number if isinstance(account, RoutingAccount) else None,
        account_number=account.account_number,
        currency=book.currency,
        opening_minor=book.opening_balance.minor_units,
        seed=book.seed,
        messages=book.messages,
        last_message_id=book.last_message_id,
        answered=book.answered[-ANSWERED_MAX:],
        bookings=[
            _Booking(
                reference=b.reference,
                kind=b.kind,
                booked_on=b.booked_on,
                amount_minor=b.amount.minor_units,
                end_to_end_id=b.end_to_end_id,
                remittance=b.remittance,
                counterparty=None
                if b.counterparty is None
                else _Party(
                    name=b.counterparty.name,
                    sort_code=b.counterparty.account.sort_code,
                    account_number=b.counterparty.account.account_number,
                ),
                return_reason=b.return_reason,
            )
            for b in book.bookings
        ],
    )
    path = book_path(directory)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(stored.model_dump_json(indent=1) + "\n")
    os.replace(temporary, path)
    return path
