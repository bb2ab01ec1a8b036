"""CSV (RFC 4180): UTF-8, a header row, CRLF line ends, fields quoted when they need it.

Written through the standard csv module into a small text buffer that is handed on as
bytes whenever it fills, so a part of any size streams in constant memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Final

from ledger.export.report import Part, Row

CHUNK_CHARS: Final = 1 << 16


def csv_chunks(part: Part, rows: Iterator[Row]) -> Iterator[bytes]:
    """The part as CSV bytes, in chunks of about 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n")
    writer.writerow([column.name for column in part.columns])
    for row in rows:
        # The csv module writes None as an empty field and everything else with str():
        # a Decimal keeps its exponent ("12.30"), a date is ISO 8601.
        writer.writerow(row)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
