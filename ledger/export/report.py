"""What every export is made of: named parts, each a header of typed columns and a stream
of rows, plus the tally (row count and per-currency sums) that the manifest reports.

Rows are produced lazily, one part at a time, from server-side cursors, and each writer
passes them straight through to its output, so no layer ever holds a whole part.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from ledger.money import minor_unit_exponent

Cell = str | int | Decimal | dt.date | None
Row = tuple[Cell, ...]

ROWS_PER_FETCH: Final = 5_000


class ColumnKind(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    AMOUNT = "amount"  # a Decimal at the currency's exponent, never a float
    DATE = "date"
    TIMESTAMP = "timestamp"  # ISO 8601 text in UTC


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(frozen=True, slots=True)
class Part:
    """One table of a report: a sheet of a workbook, a file of a CSV export."""

    name: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[Row]]
    # The column holding each row's currency, if the part has amounts to total.
    currency_column: str | None = None

    def column_index(self, name: str) -> int:
        for index, column in enumerate(self.columns):
            if column.name == name:
                return index
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Report:
    """A report's parts and the parameters it was asked with (all text, for the manifest)."""

    name: str
    parameters: Mapping[str, str]
    parts: tuple[Part, ...]
    # The business dates the data covers, for listing the seals behind it.
    covers_from: dt.date | None
    covers_to: dt.date
    # The data's cut-off (the end of its last business date), written wherever a format
    # wants a creation time, so that the same export twice is the same bytes.
    cutoff: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        midnight = dt.datetime.combine(self.covers_to + dt.timedelta(days=1), dt.time())
        object.__setattr__(self, "cutoff", midnight.replace(tzinfo=dt.UTC))


@dataclass(frozen=True, slots=True)
class PartSummary:
    """A written part's row count and the sums of its amount columns per currency."""

    rows: int
    totals: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


class Tally:
    """Counts a part's rows and sums each amount column per currency as rows stream past."""

    def __init__(self, part: Part) -> None:
        self.part = part
        self.rows = 0
        self._amounts = [
            (i, c.name) for i, c in enumerate(part.columns) if c.kind is ColumnKind.AMOUNT
        ]
        self._currency = (
            None if part.currency_column is None else part.column_index(part.currency_column)
        )
        self.sums: dict[str, dict[str, Decimal]] = {}

    def count(self, rows: Iterator[Row]) -> Iterator[Row]:
        amounts, currency_at = self._amounts, self._currency
        for row in rows:
            self.rows += 1
            if currency_at is not None and amounts:
                currency = row[currency_at]
                assert isinstance(currency, str), "a part with amounts has a currency per row"
                sums = self.sums.get(currency)
                if sums is None:
                    zero = Decimal(0).scaleb(-minor_unit_exponent(currency))
                    sums = self.sums[currency] = {name: zero for _, name in amounts}
                for index, name in amounts:
                    value = row[index]
                    if value is not None:
                        assert isinstance(value, Decimal), f"{name} must be a Decimal"
                        sums[name] += value
            yield row

    def summary(self) -> PartSummary:
        return PartSummary(
            rows=self.rows,
            totals={
                currency: {name: str(value) for name, value in sorted(sums.items())}
                for currency, sums in sorted(self.sums.items())
            },
        )


def minor_to_decimal(minor: int, currency: str) -> Decimal:
    """Exact: 1230 GBP minor units are Decimal('12.30')."""
    return Decimal(minor).scaleb(-minor_unit_exponent(currency))


def debit_credit(minor: int, currency: str) -> tuple[Decimal | None, Decimal | None]:
    """A signed (debit-positive) amount as a debit column and a credit column."""
    if minor > 0:
        return minor_to_decimal(minor, currency), None
    return None, minor_to_decimal(-minor, currency)


def split_balance(minor: int, currency: str) -> tuple[Decimal, Decimal]:
    """A signed balance as (debit, credit), the side it is not on at zero."""
    zero = minor_to_decimal(0, currency)
    if minor >= 0:
        return minor_to_decimal(minor, currency), zero
    return zero, minor_to_decimal(-minor, currency)
