"""Dates and times on the wire as ISO 8601 text only.

Pydantic's lax mode reads a number as Unix time, so `?occurred_from=5` or
`"period_start": 0` would mean a moment in 1970. The documents say `format: date` and
`format: date-time`; these types hold the API to that (found by schemathesis' negative
data check).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Final

from pydantic import AwareDatetime, BeforeValidator

_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ].+")


def _text_like(pattern: re.Pattern[str], shape: str) -> BeforeValidator:
    def check(value: object) -> object:
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"expected {shape}")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[dt.date, _text_like(_DATE, "a date as YYYY-MM-DD")]
AwareIsoDateTime = Annotated[
    AwareDatetime, _text_like(_DATE_TIME, "a date and time as ISO 8601 with a time zone")
]
