"""Excel workbooks (.xlsx) through openpyxl's write-only mode: a sheet per report part.

Each sheet has a bold, frozen header row. Amounts are numeric cells in a currency number
format whose stored text is the exact decimal: openpyxl writes a Decimal through
`"%.16g" % float(value)`, which turns 0.07 into 0.07000000000000001, so each amount goes in
as its exact decimal text on a cell marked numeric. Dates are date cells. Text that starts
with "=" stays text (openpyxl would otherwise make it a formula).

The same export twice is the same bytes: the document properties carry the data's cut-off
instead of the time of writing, and every zip entry carries one fixed timestamp.

A part longer than a sheet allows continues on further sheets ("postings 2", ...), each with
the header again.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from ledger.export.report import Column, ColumnKind, Part, Row
from ledger.money import minor_unit_exponent

if TYPE_CHECKING:
    from _typeshed import SizedBuffer

SHEET_ROWS_MAX: Final = 1_048_576  # Excel's limit, header included
ZIP_TIMESTAMP: Final = (1980, 1, 1, 0, 0, 0)
DATE_FORMAT: Final = "yyyy-mm-dd"
_WIDTHS: Final = {
    ColumnKind.TEXT: 24,
    ColumnKind.INTEGER: 12,
    ColumnKind.AMOUNT: 16,
    ColumnKind.DATE: 12,
    ColumnKind.TIMESTAMP: 28,
}


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose every entry carries the same timestamp, so its bytes depend on content only."""

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: SizedBuffer | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = (
            zinfo_or_arcname.filename
            if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            else zinfo_or_arcname
        )
        info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        super().writestr(info, data)

    def write(
        self,
        filename: str | os.PathLike[str],
        arcname: str | os.PathLike[str] | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        # openpyxl adds each write-only sheet from a temporary file; copy it in chunks.
        info = zipfile.ZipInfo(str(arcname or filename), date_time=ZIP_TIMESTAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        with open(filename, "rb") as source, self.open(info, "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, 1 << 20)


def _amount_format(currency: str) -> str:
    exponent = minor_unit_exponent(currency)
    digits = "0." + "0" * exponent if exponent else "0"
    return f"[${currency}] #,##{digits};[${currency}] -#,##{digits}"


class _SheetWriter:
    """Appends rows to a part's sheets, opening a new sheet when one is full."""

    def __init__(self, workbook: Workbook, part: Part) -> None:
        self._workbook = workbook
        self._part = part
        self._sheets = 0
        self._rows_left = 0
        self._sheet: WriteOnlyWorksheet | None = None
        self._currency_at = (
            None if part.currency_column is None else part.column_index(part.currency_column)
        )
        self._formats: dict[str, str] = {}

    def _open_sheet(self) -> WriteOnlyWorksheet:
        self._sheets += 1
        suffix = "" if self._sheets == 1 else f" {self._sheets}"
        sheet = self._workbook.create_sheet(title=f"{self._part.name[: 31 - len(suffix)]}{suffix}")
        assert isinstance(sheet, WriteOnlyWorksheet)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(self._part.columns, start=1):
            # Set up at run time by Worksheet._setup; the type stubs do not list it.
            dimensions = sheet.column_dimensions  # type: ignore[attr-defined]
            dimensions[get_column_letter(index)].width = _WIDTHS[column.kind]
        bold = Font(bold=True)
        header = []
        for column in self._part.columns:
            cell = WriteOnlyCell(sheet, value=column.name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        self._rows_left = SHEET_ROWS_MAX - 1
        self._sheet = sheet
        return sheet

    def append(self, row: Row) -> None:
        sheet = self._sheet if self._rows_left > 0 and self._sheet else self._open_sheet()
        currency = None if self._currency_at is None else row[self._currency_at]
        sheet.append(self._cells(sheet, row, currency))
        self._rows_left -= 1

    def finish(self) -> None:
        if self._sheets == 0:
            self._open_sheet()

    def _amount_cell(self, sheet: WriteOnlyWorksheet, value: Decimal, currency: Any) -> Any:
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "n"  # numeric, with the exact decimal text as its stored value
        if isinstance(currency, str):
            number_format = self._formats.get(currency)
            if number_format is None:
                number_format = self._formats[currency] = _amount_format(currency)
            cell.number_format = number_format
        return cell

    def _cells(self, sheet: WriteOnlyWorksheet, row: Row, currency: Any) -> list[Any]:
        cells: list[Any] = []
        for column, value in zip(self._part.columns, row, strict=True):
            cells.append(self._cell(sheet, column, value, currency))
        return cells

    def _cell(self, sheet: WriteOnlyWorksheet, column: Column, value: Any, currency: Any) -> Any:
        if value is None or isinstance(value, int):
            return value
        if isinstance(value, Decimal):
            return self._amount_cell(sheet, value, currency)
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(sheet, value=dt.datetime.combine(value, dt.time()))
            cell.number_format = DATE_FORMAT
            return cell
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if text.startswith("="):
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"
            return cell
        return text


def write_xlsx(
    parts: Sequence[tuple[Part, Iterator[Row]]], out: IO[bytes], *, cutoff: dt.datetime
) -> None:
    """Write one workbook of the parts (each with its rows) to `out`."""
    workbook = Workbook(write_only=True)
    naive_utc = cutoff.astimezone(dt.UTC).replace(tzinfo=None)
    workbook.properties.created = naive_utc
    workbook.properties.modified = naive_utc
    workbook.properties.creator = "creditunion ledger export"
    for part, rows in parts:
        writer = _SheetWriter(workbook, part)
        for row in rows:
            writer.append(row)
        writer.finish()
    # ExcelWriter, not openpyxl's save(): save() stamps the modification time with now().
    with _FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).write_data()
