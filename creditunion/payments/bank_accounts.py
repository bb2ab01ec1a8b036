"""External bank accounts as members and tellers give them: checked and normalised.

UK accounts are a 6-digit sort code and an 8-digit account number. Numbers of 7, 9 or 10
digits have conversions to 8 digits only for particular banks, so they are refused with a
message asking for the 8-digit form. The modulus check (Vocalink's weight table, valacdos,
and its substitutions, scsubtab) is not done here: no maintained package provides it. On
the package index `ukmodulus` 0.1.2 (2017) bundles the 2017 table, and `uk-modulus-check`
0.0.1 (April 2022, its only release) ships no table and leaves the caller to supply one
its unmaintained code must still understand. Vocalink revises the table several times a
year, so a stale one refuses valid accounts; the settlement bank checks each payment when
the file is submitted, and its rejection reverses the payment to the member.

US accounts are an ABA routing number, checked with its checksum by the maintained
`python-stdnum`, and a DFI account number as NACHA's entry detail record holds it: 1 to 17
letters or digits, spaces and hyphens left out (NACHA asks for spaces within the number to
be omitted; the hyphen is the cheque's on-us separator, not part of the number).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from stdnum.us import rtn

from creditunion.errors import Refused

US_ACCOUNT_LENGTH_MAX: Final = 17
# Longer input than this is refused before it is normalised (room for separators).
_TYPED_LENGTH_MAX: Final = 40
# At most this many trailing characters are shown, and never more than half the number.
_SHOWN_MAX: Final = 4
_SEPARATORS: Final = re.compile(r"[\s-]")
_SORT_CODE: Final = re.compile(r"[0-9]{6}")
_SORT_CODE_REASON: Final = "must be 6 digits, such as 12-34-56"
_UK_ACCOUNT: Final = re.compile(r"[0-9]{8}")
_UK_ACCOUNT_REASON: Final = (
    "must be 8 digits (ask the member's bank for the 8-digit form of a shorter or longer number)"
)
_ROUTING: Final = re.compile(r"[0-9]{9}")
_US_ACCOUNT: Final = re.compile(rf"[0-9A-Z]{{1,{US_ACCOUNT_LENGTH_MAX}}}")
_US_ACCOUNT_REASON: Final = f"must be 1 to {US_ACCOUNT_LENGTH_MAX} letters or digits"


class InvalidBankAccount(Refused):
    """The message names the field and what is wrong, and never repeats the input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field


class UsAccountKind(enum.StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


def _require(field: str, value: str, pattern: re.Pattern[str], reason: str) -> None:
    if not pattern.fullmatch(value):
        raise InvalidBankAccount(field, reason)


@dataclass(frozen=True, slots=True)
class UkBankAccount:
    """In normal form; `parse_uk_account` accepts what people type."""

    sort_code: str
    account_number: str

    def __post_init__(self) -> None:
        _require("sort_code", self.sort_code, _SORT_CODE, _SORT_CODE_REASON)
        _require("account_number", self.account_number, _UK_ACCOUNT, _UK_ACCOUNT_REASON)

    def masked(self) -> str:
        """`12-34-56 ****5678`"""
        code = self.sort_code
        return f"{code[:2]}-{code[2:4]}-{code[4:]} {_mask(self.account_number)}"


@dataclass(frozen=True, slots=True)
class UsBankAccount:
    """In normal form; `parse_us_account` accepts what people type."""

    routing_number: str
    account_number: str
    kind: UsAccountKind

    def __post_init__(self) -> None:
        _check_routing(self.routing_number)
        _require("account_number", self.account_number, _US_ACCOUNT, _US_ACCOUNT_REASON)

    def masked(self) -> str:
        """`011000015 ****6789`"""
        return f"{self.routing_number} {_mask(self.account_number)}"


def _mask(number: str) -> str:
    shown = min(_SHOWN_MAX, len(number) // 2)
    return "****" + number[len(number) - shown :]


def _check_routing(routing: str) -> None:
    _require("routing_number", routing, _ROUTING, "must be 9 digits")
    if not rtn.is_valid(routing):
        raise InvalidBankAccount("routing_number", "fails the ABA check digit")


def _compact(raw: object, field: str) -> str:
    if not isinstance(raw, str):
        raise InvalidBankAccount(field, "is required, as text")
    if len(raw) > _TYPED_LENGTH_MAX:
        raise InvalidBankAccount(field, "is too long")
    return _SEPARATORS.sub("", raw).upper()


def parse_uk_account(sort_code: object, account_number: object) -> UkBankAccount:
    """Spaces and hyphens are dropped (`12-34-56`, `1234 5678`).

    Raises `InvalidBankAccount` naming the field at fault.
    """
    return UkBankAccount(
        _compact(sort_code, "sort_code"), _compact(account_number, "account_number")
    )


def parse_us_account(
    routing_number: object, account_number: object, kind: UsAccountKind
) -> UsBankAccount:
    """Spaces and hyphens are dropped and letters upper-cased, as NACHA files carry them.

    Raises `InvalidBankAccount` naming the field at fault.
    """
    return UsBankAccount(
        _compact(routing_number, "routing_number"),
        _compact(account_number, "account_number"),
        kind,
    )
