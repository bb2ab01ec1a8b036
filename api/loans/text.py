"""Free text in loan requests (a purpose, an officer's note, a reason): printable, bounded."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import AfterValidator

from creditunion.field_problems import FieldError
from creditunion.members.text import clean_text


def _clean(max_length: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            return clean_text(value, max_length=max_length)
        except FieldError as exc:
            raise ValueError(str(exc)) from None

    return check


def free_text(max_length: int) -> object:
    """`Annotated[str, free_text(n)]`: NFC, trimmed, 1..n characters, no control codes."""
    return AfterValidator(_clean(max_length))
