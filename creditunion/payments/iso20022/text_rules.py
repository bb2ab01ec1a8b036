"""What an identifier, a text and a code may hold in the messages we write.

Identifiers (message, instruction, end-to-end ids) use the ISO 20022 restricted character
set, at most 35 characters and not starting or ending with a space, so every bank and
clearing system passes them on unchanged. Free text (names, references) has no control
characters: XML would turn a carriage return into a line feed, and payment schemes refuse
them. Codes from the ISO external code lists (statuses, reasons) are four capitals or
digits.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

ID_LENGTH_MAX: Final = 35
_ID: Final = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")
_CODE: Final = re.compile(r"[A-Z0-9]{4}")
# Not characters in XML 1.0 although not in a control category.
_NOT_XML: Final = frozenset("\ufffe\uffff")


def id_problem(value: str) -> str | None:
    if not _ID.fullmatch(value):
        return (
            "is not 1 to 35 characters of the ISO 20022 restricted set"
            " (A-Z a-z 0-9 /-?:().,'+ space)"
        )
    if value[0] == " " or value[-1] == " ":
        return "starts or ends with a space"
    return None


def text_problem(value: str, length_max: int) -> str | None:
    if not 1 <= len(value) <= length_max:
        return f"is not 1 to {length_max} characters long"
    if any(unicodedata.category(c) in ("Cc", "Cs") or c in _NOT_XML for c in value):
        return "holds a control character"
    return None


def code_problem(value: str) -> str | None:
    return None if _CODE.fullmatch(value) else "is not a code of 4 capitals or digits"


def checked_id(value: str, field: str) -> str:
    problem = id_problem(value)
    if problem:
        raise ValueError(f"{field} {value!r} {problem}")
    return value


def checked_text(value: str, field: str, length_max: int) -> str:
    problem = text_problem(value, length_max)
    if problem:
        raise ValueError(f"{field} {value[:length_max]!r} {problem}")
    return value


def checked_code(value: str, field: str) -> str:
    problem = code_problem(value)
    if problem:
        raise ValueError(f"{field} {value!r} {problem}")
    return value
