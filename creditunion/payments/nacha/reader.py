"""NACHA bytes back into an `AchFile`, refusing anything out of place.

Records end with a newline (a carriage return before it is allowed too, as some banks'
systems write it). Every refusal is a `NachaInvalid` naming the 1-based record at fault
where there is one: a record not of 94 characters, a byte outside printable ASCII, an
unknown or misplaced record type, an addenda record no entry announced, a control record
whose counts, entry hash or totals disagree with the entries, a block count that is wrong
or records that are not a multiple of ten, and a file larger than `FILE_BYTES_MAX`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from creditunion.payments.nacha.file import (
    CURRENCY,
    FILE_RECORDS_MAX,
    AchBatch,
    AchEntry,
    AchFile,
    NocAddenda,
    ReturnAddenda,
    SecCode,
    ServiceClass,
    Totals,
    TransactionCode,
)
from creditunion.payments.nacha.records import (
    BATCH_CONTROL,
    BATCH_HEADER,
    BLOCKING_FACTOR,
    ENTRY_DETAIL,
    FILE_CONTROL,
    FILE_HEADER,
    NOC_ADDENDA,
    PADDING,
    RECORD_LENGTH,
    RETURN_ADDENDA,
    NachaInvalid,
    is_allowed_text,
    split_record,
)
from ledger.money import Money

# Each record with a carriage return and a newline.
FILE_BYTES_MAX: Final = FILE_RECORDS_MAX * (RECORD_LENGTH + 2)
_RECORD_NAMES: Final = {
    "1": "a file header (1)",
    "5": "a batch header (5)",
    "6": "an entry detail (6)",
    "7": "an addenda (7)",
    "8": "a batch control (8)",
    "9": "a file control (9)",
}
_PRENOTES: Final = frozenset({23, 28, 33, 38})
_NOT_ASCII: Final = re.compile(rb"[^\x00-\x7f]")


@contextmanager
def _at(record: int) -> Iterator[None]:
    """Names `record` in a refusal raised inside that does not name one."""
    try:
        yield
    except NachaInvalid as exc:
        if exc.record is not None:
            raise
        raise NachaInvalid(exc.reason, record=record) from None


def _records(data: bytes) -> list[str]:
    if len(data) > FILE_BYTES_MAX:
        raise NachaInvalid(f"the file is larger than {FILE_BYTES_MAX} bytes")
    if not data:
        raise NachaInvalid("the file is empty")
    found = _NOT_ASCII.search(data)
    if found is not None:
        at = data.count(b"\n", 0, found.start()) + 1
        raise NachaInvalid("a byte that is not ASCII", record=at)
    lines = data.decode("ascii").split("\n")
    if lines[-1] == "":
        lines.pop()
    records: list[str] = []
    for number, line in enumerate(lines, start=1):
        record = line.removesuffix("\r")
        if len(record) != RECORD_LENGTH:
            raise NachaInvalid(f"{len(record)} characters, not {RECORD_LENGTH}", record=number)
        if not is_allowed_text(record):
            raise NachaInvalid("a control character", record=number)
        records.append(record)
    return records


def _date(field: str, text: str) -> dt.date:
    try:
        return dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise NachaInvalid(f"{field} is not a date (YYMMDD)") from None


def _compare(what: str, stated: Totals, made: Totals) -> None:
    pairs = (
        ("entry/addenda count", stated.entry_addenda_count, made.entry_addenda_count),
        ("entry hash", stated.entry_hash, made.entry_hash),
        ("total debit", stated.debit.minor_units, made.debit.minor_units),
        ("total credit", stated.credit.minor_units, made.credit.minor_units),
    )
    for name, states, makes in pairs:
        if states != makes:
            raise NachaInvalid(f"the {what}'s {name} is {states}, its entries make {makes}")


def _stated(fields: dict[str, str]) -> Totals:
    return Totals(
        int(fields["entry_addenda_count"]),
        int(fields["entry_hash"]),
        Money.from_minor(int(fields["total_debit"]), CURRENCY),
        Money.from_minor(int(fields["total_credit"]), CURRENCY),
    )


class _Reader:
    def __init__(self, records: list[str]) -> None:
        self._records = records
        self._next = 0

    def _peek(self) -> str | None:
        return self._records[self._next][0] if self._next < len(self._records) else None

    def _take(self, record_type: str, expected: str) -> tuple[int, str]:
        number = self._next + 1
        found = self._peek()
        if found is None:
            raise NachaInvalid(f"the file ends where {expected} is expected")
        if found not in _RECORD_NAMES:
            raise NachaInvalid(f"unknown record type {found!r}", record=number)
        if found != record_type:
            raise NachaInvalid(
                f"{_RECORD_NAMES[found]} where {expected} is expected", record=number
            )
        self._next += 1
        return number, self._records[number - 1]

    def read(self) -> AchFile:
        number, record = self._take("1", "a file header (1)")
        with _at(number):
            header = split_record(FILE_HEADER, record)
        batches = []
        while self._peek() == "5":
            batches.append(self._batch())
        control_number, control = self._take("9", "a batch header (5) or a file control (9)")
        self._padding()
        with _at(number):
            if not header["immediate_destination"].startswith(" "):
                raise NachaInvalid("immediate_destination is not a blank and a routing number")
            file = AchFile(
                immediate_destination=header["immediate_destination"][1:],
                immediate_origin=header["immediate_origin"],
                immediate_destination_name=header["immediate_destination_name"].rstrip(" "),
                immediate_origin_name=header["immediate_origin_name"].rstrip(" "),
                created_at=_created_at(header["file_creation_date"], header["file_creation_time"]),
                file_id_modifier=header["file_id_modifier"],
                batches=tuple(batches),
            )
        with _at(control_number):
            self._check_file_control(file, split_record(FILE_CONTROL, control))
        return file

    def _padding(self) -> None:
        padding = self._records[self._next :]
        for offset, record in enumerate(padding):
            if record != PADDING:
                raise NachaInvalid(
                    "a record after the file control that is not padding (all nines)",
                    record=self._next + offset + 1,
                )
        if len(padding) >= BLOCKING_FACTOR:
            raise NachaInvalid(f"{len(padding)} padding records fill more than the last block")

    def _check_file_control(self, file: AchFile, control: dict[str, str]) -> None:
        if len(self._records) % BLOCKING_FACTOR:
            raise NachaInvalid(
                f"the file has {len(self._records)} records, not a multiple of {BLOCKING_FACTOR}"
            )
        blocks = len(self._records) // BLOCKING_FACTOR
        if int(control["block_count"]) != blocks:
            raise NachaInvalid(f"the block count is {int(control['block_count'])}, not {blocks}")
        if int(control["batch_count"]) != len(file.batches):
            raise NachaInvalid(
                f"the batch count is {int(control['batch_count'])}, not {len(file.batches)}"
            )
        _compare("file control", _stated(control), file.totals())

    def _batch(self) -> AchBatch:
        number, record = self._take("5", "a batch header (5)")
        with _at(number):
            header = split_record(BATCH_HEADER, record)
        entries = []
        while self._peek() == "6":
            entries.append(self._entry())
        if self._peek() == "7":
            raise NachaInvalid("an addenda record no entry announces", record=self._next + 1)
        control_number, control = self._take("8", "an entry detail (6) or a batch control (8)")
        with _at(number):
            batch = AchBatch(
                service_class_code=_service_class(header["service_class_code"]),
                company_name=header["company_name"].rstrip(" "),
                company_id=header["company_id"].rstrip(" "),
                sec_code=_sec_code(header["sec_code"]),
                entry_description=header["entry_description"].rstrip(" "),
                effective_entry_date=_date("effective_entry_date", header["effective_entry_date"]),
                originating_dfi=header["originating_dfi"],
                batch_number=int(header["batch_number"]),
                entries=tuple(entries),
            )
        with _at(control_number):
            self._check_batch_control(batch, split_record(BATCH_CONTROL, control))
        return batch

    def _check_batch_control(self, batch: AchBatch, control: dict[str, str]) -> None:
        matching = (
            ("service class code", int(control["service_class_code"]), batch.service_class_code),
            ("company id", control["company_id"].rstrip(" "), batch.company_id),
            ("originating DFI", control["originating_dfi"], batch.originating_dfi),
            ("batch number", int(control["batch_number"]), batch.batch_number),
        )
        for name, stated, header in matching:
            if stated != header:
                raise NachaInvalid(f"the batch control's {name} is not its header's")
        _compare("batch control", _stated(control), batch.totals())

    def _entry(self) -> AchEntry:
        number, record = self._take("6", "an entry detail (6)")
        with _at(number):
            fields = split_record(ENTRY_DETAIL, record)
            indicator = fields["addenda_record_indicator"]
            if indicator not in ("0", "1"):
                raise NachaInvalid("the addenda record indicator is neither 0 nor 1")
            code = _transaction_code(int(fields["transaction_code"]))
        addenda = self._addenda(fields["trace_number"]) if indicator == "1" else None
        with _at(number):
            return AchEntry(
                transaction_code=code,
                receiving_dfi_routing=fields["receiving_dfi"] + fields["check_digit"],
                dfi_account_number=fields["dfi_account_number"].rstrip(" "),
                amount=Money.from_minor(int(fields["amount"]), CURRENCY),
                individual_id=fields["individual_id"].rstrip(" "),
                individual_name=fields["individual_name"].rstrip(" "),
                trace_number=fields["trace_number"],
                addenda=addenda,
            )

    def _addenda(self, trace_number: str) -> ReturnAddenda | NocAddenda:
        number, record = self._take("7", "the addenda (7) its entry announces")
        with _at(number):
            kind = record[1:3]
            if kind == "99":
                fields = split_record(RETURN_ADDENDA, record)
                death = fields["date_of_death"]
                addenda: ReturnAddenda | NocAddenda = ReturnAddenda(
                    return_reason_code=fields["return_reason_code"],
                    original_trace_number=fields["original_trace_number"],
                    original_receiving_dfi=fields["original_receiving_dfi"],
                    date_of_death=None if death == " " * 6 else _date("date_of_death", death),
                    addenda_information=fields["addenda_information"].rstrip(" "),
                )
            elif kind == "98":
                fields = split_record(NOC_ADDENDA, record)
                addenda = NocAddenda(
                    change_code=fields["change_code"],
                    original_trace_number=fields["original_trace_number"],
                    original_receiving_dfi=fields["original_receiving_dfi"],
                    corrected_data=fields["corrected_data"].rstrip(" "),
                )
            else:
                raise NachaInvalid(
                    f"addenda type {kind!r} is not one this reads "
                    "(99 a return, 98 a notification of change)"
                )
            if fields["trace_number"] != trace_number:
                raise NachaInvalid("the addenda's trace number is not its entry's")
            return addenda


def _created_at(date: str, time: str) -> dt.datetime:
    day = _date("file_creation_date", date)
    try:
        return dt.datetime.combine(day, dt.time(int(time[:2]), int(time[2:])))
    except ValueError:
        raise NachaInvalid("file_creation_time is not a time (HHMM)") from None


def _service_class(text: str) -> ServiceClass:
    try:
        return ServiceClass(int(text))
    except ValueError:
        raise NachaInvalid(f"service class code {text} is not one this reads") from None


def _sec_code(text: str) -> SecCode:
    try:
        return SecCode(text)
    except ValueError:
        raise NachaInvalid(f"SEC code {text!r} is not one this reads (PPD, COR)") from None


def _transaction_code(value: int) -> TransactionCode:
    if value in _PRENOTES:
        raise NachaInvalid(f"transaction code {value} is a prenote, which this does not read")
    try:
        return TransactionCode(value)
    except ValueError:
        raise NachaInvalid(f"transaction code {value} is not one this reads") from None


def read_ach_file(data: bytes) -> AchFile:
    """Raises `NachaInvalid`, naming the record at fault where there is one."""
    return _Reader(_records(data)).read()
