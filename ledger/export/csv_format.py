"""CSV (RFC 4180): UTF-8, a header row, CRLF line ends, fields quoted when they need it.

Written through the standard csv module into a small text buffer that is handed on as
bytes whenever it fills, so a part of any size streams in constant memory.

Text that members and staff typed (a reference, a name) reaches spreadsheets that run a
cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a
formula. Following OWASP's CSV-injection guidance, such a value in a text column is
written with a single quote in front, which a spreadsheet shows as text. A text value that
itself starts with a quote gets one more, so the rule is exactly reversible: drop one
leading `'` from a text column's value, if there is one (`restore_text`). Amounts, counts,
dates and times are never changed: `-12.00` in an amount column is a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Final

from ledger.export.report import ColumnKind, Part, Row

CHUNK_CHARS: Final = 1 << 16
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
ESCAPE: Final = "'"
# What the manifest of a CSV export says about it, so a reader can restore the values.
TEXT_ESCAPING: Final = {
    "applies_to": "columns of text (never amounts, counts, dates or times)",
    "rule": "a value starting with = + - @ tab, carriage return or ' is written with one "
    "' in front (OWASP CSV injection)",
    "restore": "remove one leading ' from a text column's value, if it has one",
}


def neutralise_text(value: str) -> str:
    """The value as written to a CSV text column (see the module's docstring)."""
    if value.startswith((*FORMULA_TRIGGERS, ESCAPE)):
        return ESCAPE + value
    return value


def restore_text(written: str) -> str:
    """The exact value `neutralise_text` was given."""
    return written.removeprefix(ESCAPE)


def csv_chunks(part: Part, rows: Iterator[Row]) -> Iterator[bytes]:
    """The part as CSV bytes, in chunks of about 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n")
    writer.writerow([column.name for column in part.columns])
    text_columns = [i for i, c in enumerate(part.columns) if c.kind is ColumnKind.TEXT]
    for row in rows:
        # The csv module writes None as an empty field and everything else with str():
        # a Decimal keeps its exponent ("12.30"), a date is ISO 8601.
        cells = list(row)
        for index in text_columns:
            cell = cells[index]
            if isinstance(cell, str):
                cells[index] = neutralise_text(cell)
        writer.writerow(cells)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
