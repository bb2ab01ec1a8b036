"""Dates of birth and ages (pure)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from creditunion.field_problems import FieldError

AGE_YEARS_MAX: Final = 120
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Whole years completed on `on`; someone born on 29 February ages on 1 March."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def parse_date(raw: object) -> dt.date:
    """A `date`, or an ISO "YYYY-MM-DD" string naming a real calendar date."""
    if isinstance(raw, dt.datetime):
        raise FieldError("must be a date without a time")
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        raise FieldError("must be a date in the form YYYY-MM-DD")
    if not _ISO_DATE.fullmatch(raw.strip()):
        raise FieldError("must be a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise FieldError(f"{raw.strip()} is not a real calendar date") from exc


def check_date_of_birth(raw: object, *, business_date: dt.date) -> dt.date:
    """A date of birth that is real, not in the future, and gives an age of 0 to 120."""
    born = parse_date(raw)
    if born > business_date:
        raise FieldError("is in the future")
    if age_on(born, business_date) > AGE_YEARS_MAX:
        raise FieldError(f"gives an age over {AGE_YEARS_MAX}")
    return born
