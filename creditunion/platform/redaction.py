"""Keeping secrets and personal data out of logs and audit summaries.

Two nets: values under a known sensitive field name are replaced whatever they look like,
and free text is searched for things that look like credentials or National Insurance
numbers. Neither is perfect; both are cheap, and together they catch the usual leaks
(a request body logged whole, an exception message quoting its input).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

REDACTED: Final = "[REDACTED]"
DEPTH_MAX: Final = 20

# Compared after lower-casing and dropping "_" and "-", so "Date-Of-Birth" matches too.
SECRET_FIELDS: Final = frozenset(
    {
        "password",
        "passwd",
        "newpassword",
        "currentpassword",
        "oldpassword",
        "passwordhash",
        "secret",
        "jwtsecret",
        "clientsecret",
        "token",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "authorization",
        "apikey",
        "cookie",
        "dateofbirth",
        "dob",
        "birthdate",
    }
)
NI_FIELDS: Final = frozenset({"ninumber", "nino", "nationalinsurancenumber", "nationalinsurance"})

_NAMES = "|".join(
    [
        r"password",
        r"passwd",
        r"new_password",
        r"current_password",
        r"password_hash",
        r"secret",
        r"jwt_secret",
        r"client_secret",
        r"token",
        r"access_token",
        r"refresh_token",
        r"id_token",
        r"authorization",
        r"api_key",
        r"date_of_birth",
        r"dob",
        r"birth_date",
        r"ni_number",
        r"national_insurance_number",
    ]
)
# key=value, key: value, "key": "value" (JSON or a dict's repr), up to the next separator.
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>["']?\b(?:{_NAMES})\b["']?\s*[:=]\s*)
    (?P<value>"[^"]*"|'[^']*'|[^\s,;&}}\]]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# HMRC's format: two prefix letters (some never used), six digits, a suffix A-D.
_NI_NUMBER = re.compile(
    r"(?i)\b(?![DFIQUV])[A-Z](?![DFIQUVO])[A-Z]\s?(\d{2})\s?(\d{2})\s?(\d{2})\s?([A-D])\b"
)


def _field(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def mask_ni_number(value: str) -> str:
    """Keep the last three characters, as staff screens show it: `******56C`."""
    compact = re.sub(r"\s", "", value)
    return "*" * max(len(compact) - 3, 0) + compact[-3:]


def scrub_text(text: str) -> str:
    text = _KEY_VALUE.sub(lambda m: f"{m.group('key')}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    return _NI_NUMBER.sub(lambda m: mask_ni_number(m.group(0)), text)


def scrub(value: Any, *, _depth: int = 0) -> Any:
    """A copy of `value` (JSON-like data) with sensitive fields and look-alikes removed."""
    if _depth > DEPTH_MAX:
        return REDACTED
    if isinstance(value, Mapping):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            name = _field(str(key))
            if name in SECRET_FIELDS:
                cleaned[str(key)] = REDACTED
            elif name in NI_FIELDS and isinstance(item, str):
                cleaned[str(key)] = mask_ni_number(item)
            else:
                cleaned[str(key)] = scrub(item, _depth=_depth + 1)
        return cleaned
    if isinstance(value, list | tuple):
        return [scrub(item, _depth=_depth + 1) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value
