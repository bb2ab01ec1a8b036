"""UK postcodes: validated against the Royal Mail format and normalised (pure).

An outward code (area letters, district digits, optional sub-district letter) then an
inward code (sector digit, two unit letters), e.g. "SW1A 1AA", "M1 1AE", "EC1A 1BB".
Letters that Royal Mail never uses in each position are refused, so "QA1 1AA" or
"A1 1AC" fail. GIR 0AA (the old Girobank code) is the one historic exception allowed.
"""

from __future__ import annotations

import re
from typing import Final

from creditunion.field_problems import FieldError

# Position 1 never Q, V, X; position 2 never I, J, Z; a letter in position 3 (A9A) only
# from ABCDEFGHJKPSTUW; a letter in position 4 (AA9A) only from ABEHMNPRVWXY; the inward
# unit letters never C, I, K, M, O, V.
_FIRST: Final = "[A-PR-UWYZ]"
_SECOND: Final = "[A-HK-Y]"
_OUTWARD: Final = (
    f"(?:{_FIRST}[0-9]{{1,2}}"
    f"|{_FIRST}{_SECOND}[0-9]{{1,2}}"
    f"|{_FIRST}[0-9][A-HJKPSTUW]"
    f"|{_FIRST}{_SECOND}[0-9][ABEHMNPRVWXY])"
)
_INWARD: Final = "[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE: Final = re.compile(f"(?:{_OUTWARD}{_INWARD}|GIR0AA)")
_OUTWARD_ONLY: Final = re.compile(f"(?:{_OUTWARD}|GIR)")
_RAW_LENGTH_MAX: Final = 16


def _compact(raw: object) -> str:
    if not isinstance(raw, str):
        raise FieldError("must be a string")
    if len(raw) > _RAW_LENGTH_MAX:
        raise FieldError("is too long to be a UK postcode")
    # Only ASCII: full-width letters or Arabic-Indic digits do not make a postcode.
    if not raw.isascii():
        raise FieldError("must use only the letters A-Z, digits and a space")
    return "".join(raw.split()).upper()


def normalise_postcode(raw: object) -> str:
    """The postcode in upper case with one space before the inward code, or `FieldError`."""
    compact = _compact(raw)
    if not compact:
        raise FieldError("is required")
    if not _POSTCODE.fullmatch(compact):
        raise FieldError(f"{compact!r} is not a valid UK postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_outward_code(raw: object) -> str:
    """The outward half alone ("SW1A"), as staff type it to search a district."""
    compact = _compact(raw)
    if not _OUTWARD_ONLY.fullmatch(compact):
        raise FieldError(f"{compact!r} is not a UK postcode or outward code")
    return compact
