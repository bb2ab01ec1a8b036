"""UK domestic accounts as ISO 20022 names them: no IBAN, but the sort code and account
number as one `Othr/Id` with a proprietary scheme name, and the bank by its sort code in
the UK clearing system (`ClrSysMmbId`, clearing system GBDSC)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

SORT_CODE_SCHEME: Final = "SortCodeAccountNumber"
UK_CLEARING_SYSTEM: Final = "GBDSC"
_SORT_CODE: Final = re.compile(r"[0-9]{6}")
_ACCOUNT_NUMBER: Final = re.compile(r"[0-9]{8}")
_IDENTIFIER: Final = re.compile(r"[0-9]{14}")


@dataclass(frozen=True, slots=True)
class SortCodeAccount:
    sort_code: str
    account_number: str

    def __post_init__(self) -> None:
        if not _SORT_CODE.fullmatch(self.sort_code):
            raise ValueError(f"sort code {self.sort_code!r} is not 6 digits")
        if not _ACCOUNT_NUMBER.fullmatch(self.account_number):
            raise ValueError(f"account number {self.account_number!r} is not 8 digits")

    @property
    def identifier(self) -> str:
        """Sort code then account number, 14 digits: the `Othr/Id` of the account."""
        return self.sort_code + self.account_number

    @classmethod
    def from_identifier(cls, identifier: str) -> SortCodeAccount:
        if not _IDENTIFIER.fullmatch(identifier):
            raise ValueError(f"{identifier!r} is not a sort code and account number (14 digits)")
        return cls(identifier[:6], identifier[6:])
