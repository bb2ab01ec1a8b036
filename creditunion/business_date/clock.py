"""Reading the wall clock, for the edges only (the CLI, `creditunion init`).

Domain code takes the business date as an argument and never calls this.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo


def today_in_zone(zone: zoneinfo.ZoneInfo, *, now: dt.datetime | None = None) -> dt.date:
    """The calendar date in `zone` at `now` (an aware instant; the current one by default)."""
    instant = now if now is not None else dt.datetime.now(dt.UTC)
    if instant.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    return instant.astimezone(zone).date()
