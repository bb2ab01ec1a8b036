"""External bank accounts as members and tellers give them: checked and normalised.

UK accounts are a 6-digit sort code and an 8-digit account number. Their modulus check
(Vocalink's weight table) is not done here: no maintained package provides it (the
packages on the index bundle tables from 2022, and Vocalink revises the table several
times a year, so a stale table refuses valid accounts). The settlement bank checks each
payment when the file is submitted and its rejection reverses the payment to the member.
US accounts are an ABA routing number, checked with its checksum by the maintained
`python-stdnum`, and a DFI account number as NACHA's entry detail record holds it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from stdnum.us import rtn

from creditunion.errors import Refused

US_ACCOUNT_LENGTH_MAX: Final = 17
_SEPARATORS: Final = re.compile(r"[\s-]")
_US_ACCOUNT: Final = re.compile(r"^[0-9A-Z]{1,17}$")


class InvalidBankAccount(Refused):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field


class UsAccountKind(enum.StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


@dataclass(frozen=True, slots=True)
class UkBankAccount:
    sort_code: str
    account_number: str

    def masked(self) -> str:
        code = self.sort_code
        return f"{code[:2]}-{code[2:4]}-{code[4:]} ****{self.account_number[-4:]}"


@dataclass(frozen=True, slots=True)
class UsBankAccount:
    routing_number: str
    account_number: str
    kind: UsAccountKind

    def masked(self) -> str:
        return f"{self.routing_number} ****{self.account_number[-4:]}"


def _compact(raw: object, field: str, longest: int) -> str:
    if not isinstance(raw, str) or len(raw) > longest * 2:
        raise InvalidBankAccount(field, "is required, as text")
    return _SEPARATORS.sub("", raw).upper()


def parse_uk_account(sort_code: object, account_number: object) -> UkBankAccount:
    """Raises `InvalidBankAccount` naming the field at fault."""
    code = _compact(sort_code, "sort_code", 8)
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise InvalidBankAccount("sort_code", "must be 6 digits, such as 12-34-56")
    number = _compact(account_number, "account_number", 10)
    if not (len(number) == 8 and number.isascii() and number.isdigit()):
        raise InvalidBankAccount(
            "account_number",
            "must be 8 digits (ask the member's bank for the 8-digit form of a shorter "
            "or longer number)",
        )
    return UkBankAccount(code, number)


def parse_us_account(
    routing_number: object, account_number: object, kind: UsAccountKind
) -> UsBankAccount:
    """Raises `InvalidBankAccount` naming the field at fault."""
    routing = _compact(routing_number, "routing_number", 11)
    if not (len(routing) == 9 and routing.isascii() and routing.isdigit()):
        raise InvalidBankAccount("routing_number", "must be 9 digits")
    if not rtn.is_valid(routing):
        raise InvalidBankAccount("routing_number", "fails the ABA check digit")
    number = _compact(account_number, "account_number", US_ACCOUNT_LENGTH_MAX)
    if not _US_ACCOUNT.match(number):
        raise InvalidBankAccount(
            "account_number", f"must be 1 to {US_ACCOUNT_LENGTH_MAX} letters or digits"
        )
    return UsBankAccount(routing, number, kind)
