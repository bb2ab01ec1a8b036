"""JSON Lines: one JSON object per row, keys in column order, amounts as decimal strings.

No number in the output is a JSON float: amounts are strings such as "12.30", counts and
ids are integers, dates are ISO 8601 strings, and a missing value is null.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from ledger.export.report import Cell, Part, Row

CHUNK_ROWS: Final = 2_000

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _json_value(value: Cell) -> str | int | None:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def jsonl_chunks(part: Part, rows: Iterator[Row]) -> Iterator[bytes]:
    """The part as JSON Lines bytes (UTF-8, LF line ends), a few thousand rows per chunk."""
    names = [column.name for column in part.columns]
    lines: list[str] = []
    for row in rows:
        lines.append(_encode(dict(zip(names, map(_json_value, row), strict=True))))
        if len(lines) >= CHUNK_ROWS:
            yield ("\n".join(lines) + "\n").encode()
            lines.clear()
    if lines:
        yield ("\n".join(lines) + "\n").encode()
