"""Share account numbers: eight digits, a seven-digit serial and a Luhn check digit (pure).

The check digit catches every single mistyped digit and most swaps of neighbours, so a
transfer to a mistyped number is refused instead of reaching a stranger.
"""

from __future__ import annotations

import re
from typing import Final

from creditunion.field_problems import FieldError

SERIAL_MAX: Final = 9_999_999
_DIGITS: Final = re.compile(r"[0-9]{8}")


class AccountNumbersExhausted(RuntimeError):
    pass


def luhn_check_digit(digits: str) -> int:
    """The digit that makes `digits` + it pass the Luhn (mod 10) check."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2 == 0:  # doubled: these sit at odd positions once the check is added
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def format_account_number(serial: int) -> str:
    if not 1 <= serial <= SERIAL_MAX:
        raise AccountNumbersExhausted(f"serial {serial} is outside 1..{SERIAL_MAX}")
    body = f"{serial:07d}"
    return f"{body}{luhn_check_digit(body)}"


def normalise_account_number(raw: object) -> str:
    """Eight digits (spaces and hyphens typed between them are dropped) with a good check."""
    if not isinstance(raw, str) or len(raw) > 20:
        raise FieldError("must be an 8-digit account number")
    compact = raw.replace(" ", "").replace("-", "")
    if not compact.isascii() or not _DIGITS.fullmatch(compact):
        raise FieldError("must be an 8-digit account number")
    if luhn_check_digit(compact[:-1]) != int(compact[-1]):
        raise FieldError("is not a valid account number (the check digit does not match)")
    return compact
