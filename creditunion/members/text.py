"""Free text typed by staff or members: normalised, bounded, and free of control codes (pure).

Text is stored exactly as given after Unicode NFC normalisation and trimming: SQL-looking
text such as "'; DROP TABLE members; --" is just text (every query binds parameters).
What is refused is what no person types and what can disguise text on a screen: control
characters, unpaired surrogates, and the bidirectional overrides of "Trojan Source".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from creditunion.field_problems import FieldError

_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cs", "Co", "Cn"})
_NAME_PUNCTUATION: Final = frozenset(" -'\u2019.")
_SPACES: Final = re.compile(r"\s+")


def clean_text(raw: object, *, max_length: int) -> str:
    """NFC-normalised, trimmed, 1..max_length characters of printable text."""
    if not isinstance(raw, str):
        raise FieldError("must be a string")
    # Bound the work before normalising: NFC can be costly on megabytes of input.
    if len(raw) > 4 * max_length + 64:
        raise FieldError(f"must be at most {max_length} characters")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise FieldError("is required")
    if len(text) > max_length:
        raise FieldError(f"must be at most {max_length} characters")
    for character in text:
        if character in _BIDI_CONTROLS or unicodedata.category(character) in _REFUSED_CATEGORIES:
            raise FieldError(f"contains a control character (U+{ord(character):04X})")
    return text


def clean_name(raw: object, *, max_length: int) -> str:
    """A person's name in any script: letters, combining marks, spaces, hyphens, apostrophes (straight or curly) and full stops."""
    text = _SPACES.sub(" ", clean_text(raw, max_length=max_length))
    if not any(unicodedata.category(c).startswith("L") for c in text):
        raise FieldError("must contain a letter")
    for character in text:
        category = unicodedata.category(character)
        if not (category[0] in "LM" or character in _NAME_PUNCTUATION):
            raise FieldError(
                f"may contain only letters, spaces, hyphens, apostrophes and full stops, "
                f"not {character!r}"
            )
    return text
