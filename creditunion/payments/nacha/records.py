"""NACHA's record layouts as data, and a record formatted from its values or split back.

Each field has its name, its 1-based start and length as the NACHA Operating Rules'
Appendix Three lists them, and its kind: alphanumeric (upper-cased, left-justified and
padded with spaces) or numeric (right-justified and padded with zeros). A field with a
`constant` always holds it, and a record read with another value there is refused.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from creditunion.errors import Refused

RECORD_LENGTH: Final = 94
BLOCKING_FACTOR: Final = 10
# NACHA allows any character above hexadecimal 1F in ASCII in an alphanumeric field; 7F
# (delete) is a control character too.
_ALLOWED: Final = re.compile(r"[\x20-\x7e]*")
_DIGITS: Final = re.compile(r"[0-9]*")


class NachaInvalid(Refused):
    """A value NACHA's format cannot carry, or a file that breaks its rules.

    `record` is the 1-based number of the record at fault, when a file is read.
    """

    def __init__(self, reason: str, *, record: int | None = None) -> None:
        super().__init__(reason if record is None else f"record {record}: {reason}")
        self.reason = reason
        self.record = record


class Kind(enum.Enum):
    ALPHANUMERIC = "alphanumeric"
    NUMERIC = "numeric"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    start: int
    length: int
    kind: Kind
    constant: str | None = None

    @property
    def span(self) -> slice:
        return slice(self.start - 1, self.start - 1 + self.length)


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        position = 1
        for field in self.fields:
            if field.start != position:
                raise ValueError(f"{self.name}: {field.name} starts at {field.start}")
            position += field.length
        if position != RECORD_LENGTH + 1:
            raise ValueError(f"{self.name}: the fields cover {position - 1} characters")
        if self.fields[0].name != "record_type_code" or self.fields[0].constant is None:
            raise ValueError(f"{self.name}: the first field is not the record type code")

    @property
    def record_type(self) -> str:
        assert self.fields[0].constant is not None
        return self.fields[0].constant


def _a(name: str, start: int, length: int, constant: str | None = None) -> Field:
    return Field(name, start, length, Kind.ALPHANUMERIC, constant)


def _n(name: str, start: int, length: int, constant: str | None = None) -> Field:
    return Field(name, start, length, Kind.NUMERIC, constant)


FILE_HEADER: Final = Layout(
    "file header",
    (
        _n("record_type_code", 1, 1, "1"),
        _n("priority_code", 2, 2, "01"),
        # A blank, then the 9-digit routing number ("bTTTTAAAAC").
        _a("immediate_destination", 4, 10),
        _a("immediate_origin", 14, 10),
        _n("file_creation_date", 24, 6),
        _n("file_creation_time", 30, 4),
        _a("file_id_modifier", 34, 1),
        _n("record_size", 35, 3, "094"),
        _n("blocking_factor", 38, 2, "10"),
        _n("format_code", 40, 1, "1"),
        _a("immediate_destination_name", 41, 23),
        _a("immediate_origin_name", 64, 23),
        _a("reference_code", 87, 8),
    ),
)

BATCH_HEADER: Final = Layout(
    "batch header",
    (
        _n("record_type_code", 1, 1, "5"),
        _n("service_class_code", 2, 3),
        _a("company_name", 5, 16),
        _a("company_discretionary_data", 21, 20),
        _a("company_id", 41, 10),
        _a("sec_code", 51, 3),
        _a("entry_description", 54, 10),
        _a("company_descriptive_date", 64, 6),
        _n("effective_entry_date", 70, 6),
        # Numeric, but left blank by the originator: the ACH operator fills it in.
        _a("settlement_date", 76, 3),
        _n("originator_status_code", 79, 1),
        _n("originating_dfi", 80, 8),
        _n("batch_number", 88, 7),
    ),
)

ENTRY_DETAIL: Final = Layout(
    "entry detail",
    (
        _n("record_type_code", 1, 1, "6"),
        _n("transaction_code", 2, 2),
        _n("receiving_dfi", 4, 8),
        _n("check_digit", 12, 1),
        _a("dfi_account_number", 13, 17),
        _n("amount", 30, 10),
        _a("individual_id", 40, 15),
        _a("individual_name", 55, 22),
        _a("discretionary_data", 77, 2),
        _n("addenda_record_indicator", 79, 1),
        _n("trace_number", 80, 15),
    ),
)

RETURN_ADDENDA: Final = Layout(
    "return addenda",
    (
        _n("record_type_code", 1, 1, "7"),
        _n("addenda_type_code", 2, 2, "99"),
        _a("return_reason_code", 4, 3),
        _n("original_trace_number", 7, 15),
        # YYMMDD, or blank unless the entry is returned for a death (R14, R15).
        _a("date_of_death", 22, 6),
        _n("original_receiving_dfi", 28, 8),
        _a("addenda_information", 36, 44),
        _n("trace_number", 80, 15),
    ),
)

NOC_ADDENDA: Final = Layout(
    "notification of change addenda",
    (
        _n("record_type_code", 1, 1, "7"),
        _n("addenda_type_code", 2, 2, "98"),
        _a("change_code", 4, 3),
        _n("original_trace_number", 7, 15),
        _a("reserved", 22, 6),
        _n("original_receiving_dfi", 28, 8),
        _a("corrected_data", 36, 29),
        _a("reserved_after_corrected_data", 65, 15),
        _n("trace_number", 80, 15),
    ),
)

BATCH_CONTROL: Final = Layout(
    "batch control",
    (
        _n("record_type_code", 1, 1, "8"),
        _n("service_class_code", 2, 3),
        _n("entry_addenda_count", 5, 6),
        _n("entry_hash", 11, 10),
        _n("total_debit", 21, 12),
        _n("total_credit", 33, 12),
        _a("company_id", 45, 10),
        _a("message_authentication_code", 55, 19),
        _a("reserved", 74, 6),
        _n("originating_dfi", 80, 8),
        _n("batch_number", 88, 7),
    ),
)

FILE_CONTROL: Final = Layout(
    "file control",
    (
        _n("record_type_code", 1, 1, "9"),
        _n("batch_count", 2, 6),
        _n("block_count", 8, 6),
        _n("entry_addenda_count", 14, 8),
        _n("entry_hash", 22, 10),
        _n("total_debit", 32, 12),
        _n("total_credit", 44, 12),
        _a("reserved", 56, 39),
    ),
)

# Fills the last block up to a multiple of BLOCKING_FACTOR records.
PADDING: Final = "9" * RECORD_LENGTH


def is_allowed_text(text: str) -> bool:
    return _ALLOWED.fullmatch(text) is not None


def is_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


def _formatted(field: Field, value: str | int) -> str:
    if field.kind is Kind.NUMERIC:
        text = str(value)
        if not (text and is_digits(text)):
            raise ValueError(f"{field.name} is not a number of digits: {value!r}")
        if len(text) > field.length:
            raise NachaInvalid(f"{field.name} does not fit in {field.length} digits")
        return text.rjust(field.length, "0")
    if not isinstance(value, str):
        raise TypeError(f"{field.name} takes text, not {type(value).__name__}")
    if not is_allowed_text(value):
        raise NachaInvalid(f"{field.name} has a character NACHA does not allow")
    if len(value) > field.length:
        raise NachaInvalid(f"{field.name} is longer than {field.length} characters")
    return value.upper().ljust(field.length)


def format_record(layout: Layout, values: Mapping[str, str | int]) -> str:
    """Every field but the constants must be given (an empty text leaves it blank)."""
    unknown = set(values) - {field.name for field in layout.fields}
    if unknown:
        raise ValueError(f"{layout.name} has no field {sorted(unknown)}")
    return "".join(
        _formatted(field, values[field.name] if field.constant is None else field.constant)
        for field in layout.fields
    )


def split_record(layout: Layout, record: str) -> dict[str, str]:
    """Each field's text as it stands, constants and numeric fields checked.

    Raises `NachaInvalid` without a record number: the reader adds it.
    """
    if len(record) != RECORD_LENGTH:
        raise ValueError(f"a record of {len(record)} characters")
    fields: dict[str, str] = {}
    for field in layout.fields:
        text = record[field.span]
        if field.constant is not None and text != field.constant:
            raise NachaInvalid(
                f"the {layout.name}'s {field.name} is {text!r}, not {field.constant!r}"
            )
        if field.kind is Kind.NUMERIC and not is_digits(text):
            raise NachaInvalid(f"the {layout.name}'s {field.name} is not all digits")
        fields[field.name] = text
    return fields
