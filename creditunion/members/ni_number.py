"""UK National Insurance numbers (NINOs): HMRC's format rules and masking (pure).

Per HMRC's National Insurance Manual (NIM39110): two prefix letters, six digits, and a
suffix A, B, C or D. D, F, I, Q, U and V are never either prefix letter; O is never the
second; the prefixes BG, GB, KN, NK, NT, TN and ZZ are not allocated. The administrative
prefixes (OO, CR, FY, MW, NC, PP, PY, PZ) look like NINOs but belong to no person, so a
member's number with one is refused too.
"""

from __future__ import annotations

import re
from typing import Final

from creditunion.field_problems import FieldError

_SHAPE: Final = re.compile(r"[A-Z]{2}[0-9]{6}[A-Z]")
_NEVER_EITHER: Final = frozenset("DFIQUV")
_NEVER_SECOND: Final = frozenset("O")
_UNALLOCATED: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_ADMINISTRATIVE: Final = frozenset({"OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ"})
_SUFFIXES: Final = frozenset("ABCD")
_RAW_LENGTH_MAX: Final = 20


def normalise_ni_number(raw: object) -> str:
    """The NINO as nine upper-case characters without spaces, or `FieldError` saying why."""
    if not isinstance(raw, str):
        raise FieldError("must be a string")
    if len(raw) > _RAW_LENGTH_MAX or not raw.isascii():
        raise FieldError("must look like AB 12 34 56 C")
    compact = "".join(raw.split()).upper()
    if not _SHAPE.fullmatch(compact):
        raise FieldError("must be two letters, six digits and a letter, like AB 12 34 56 C")
    prefix, suffix = compact[:2], compact[-1]
    if prefix[0] in _NEVER_EITHER or prefix[1] in _NEVER_EITHER:
        raise FieldError(f"prefix {prefix} uses a letter HMRC never uses (D, F, I, Q, U, V)")
    if prefix[1] in _NEVER_SECOND:
        raise FieldError(f"prefix {prefix} has O as its second letter, which HMRC never uses")
    if prefix in _UNALLOCATED:
        raise FieldError(f"prefix {prefix} is never allocated")
    if prefix in _ADMINISTRATIVE:
        raise FieldError(f"prefix {prefix} is an administrative reference, not a person's NINO")
    if suffix not in _SUFFIXES:
        raise FieldError(f"the final letter must be A, B, C or D, not {suffix}")
    return compact


def mask_ni_number(ni_number: str) -> str:
    """ "AB******C": the prefix and suffix, which identify no one, and the digits hidden."""
    if len(ni_number) != 9:
        raise ValueError("mask a normalised nine-character NINO")
    return f"{ni_number[:2]}******{ni_number[-1]}"
