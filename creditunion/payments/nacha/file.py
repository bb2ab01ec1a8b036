"""An ACH file as frozen dataclasses, each checked on construction against NACHA's rules.

What a value must be is checked here, so that the writer only formats and the reader only
parses; both raise `NachaInvalid` for what does not fit. Text fields hold printable ASCII
and no trailing spaces (they are the padding). Names may be longer than their field: NACHA
lets the originator truncate a name, the RDFI posts by account number, so the writer cuts
names to their field (`individual_name` 22, `company_name` 16, the file's names 23) and
refuses every other value that does not fit. Letters are upper-cased as the file is
written, so a file read back equals the one written when its text was upper case and its
names fitted.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from stdnum.us import rtn

from creditunion.payments.nacha.records import NachaInvalid, is_allowed_text
from creditunion.payments.nacha.return_codes import CHANGE_CODES, RETURN_CODES
from ledger.money import Money

CURRENCY: Final = "USD"
# NACHA's fields: an entry's amount has 10 digits, a control's totals 12, its hash 10.
ENTRY_AMOUNT_MINOR_MAX: Final = 10**10 - 1
TOTAL_MINOR_MAX: Final = 10**12 - 1
ENTRY_HASH_MODULUS: Final = 10**10
BATCH_NUMBER_MAX: Final = 9_999_999
# About 24 MB; a year's ACH payments of a large credit union fit in one file.
FILE_RECORDS_MAX: Final = 250_000
# Dates in the file have two-digit years, read as 20YY.
YEAR_MIN: Final = 2000
YEAR_MAX: Final = 2099

_ROUTING: Final = re.compile(r"[0-9]{9}")
_IMMEDIATE_ORIGIN: Final = re.compile(r"[0-9A-Z ]{10}")
_FILE_ID_MODIFIER: Final = re.compile(r"[A-Z0-9]")
_RETURN_CODE: Final = re.compile(r"R[0-9]{2}")
_CHANGE_CODE: Final = re.compile(r"C[0-9]{2}")


class ServiceClass(enum.IntEnum):
    MIXED = 200
    CREDITS_ONLY = 220
    DEBITS_ONLY = 225


class SecCode(enum.StrEnum):
    PPD = "PPD"
    # Notifications of change come in batches of their own standard entry class.
    COR = "COR"


class TransactionCode(enum.IntEnum):
    """Live entries, and the codes of their returns and notifications of change.

    Prenotes (23, 28, 33, 38) are not sent: a credit union's members' accounts are
    verified when nominated.
    """

    CHECKING_CREDIT_RETURN = 21
    CHECKING_CREDIT = 22
    CHECKING_DEBIT_RETURN = 26
    CHECKING_DEBIT = 27
    SAVINGS_CREDIT_RETURN = 31
    SAVINGS_CREDIT = 32
    SAVINGS_DEBIT_RETURN = 36
    SAVINGS_DEBIT = 37

    @property
    def is_credit(self) -> bool:
        """NACHA's control totals count 0-4 in the second digit as credits, 5-9 as debits."""
        return self % 10 < 5

    @property
    def is_return_or_notice(self) -> bool:
        return self % 10 in (1, 6)


def _text(field: str, value: str, length: int | None, *, required: bool = False) -> None:
    """`length` None for a name, which the writer truncates."""
    if not is_allowed_text(value):
        raise NachaInvalid(f"{field} has a character NACHA does not allow")
    if value != value.rstrip(" "):
        raise NachaInvalid(f"{field} ends with a space")
    if required and not value:
        raise NachaInvalid(f"{field} is required")
    if length is not None and len(value) > length:
        raise NachaInvalid(f"{field} is longer than {length} characters")


def _digits(field: str, value: str, length: int) -> None:
    if not (len(value) == length and value.isascii() and value.isdigit()):
        raise NachaInvalid(f"{field} must be {length} digits")


def _routing(field: str, value: str) -> None:
    if not _ROUTING.fullmatch(value):
        raise NachaInvalid(f"{field} must be 9 digits")
    if not rtn.is_valid(value):
        raise NachaInvalid(f"{field} fails the ABA check digit")


def _date(field: str, value: dt.date) -> None:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise NachaInvalid(f"{field} must be in the years {YEAR_MIN} to {YEAR_MAX}")


@dataclass(frozen=True, slots=True)
class ReturnAddenda:
    """An entry returned by its RDFI (addenda type 99)."""

    return_reason_code: str
    original_trace_number: str
    original_receiving_dfi: str
    date_of_death: dt.date | None
    addenda_information: str

    def __post_init__(self) -> None:
        if not (
            _RETURN_CODE.fullmatch(self.return_reason_code)
            and self.return_reason_code in RETURN_CODES
        ):
            raise NachaInvalid("return_reason_code is not a return reason code this reads")
        _digits("original_trace_number", self.original_trace_number, 15)
        _digits("original_receiving_dfi", self.original_receiving_dfi, 8)
        if self.date_of_death is not None:
            _date("date_of_death", self.date_of_death)
        _text("addenda_information", self.addenda_information, 44)


@dataclass(frozen=True, slots=True)
class NocAddenda:
    """A notification of change (addenda type 98): what to correct before the next entry."""

    change_code: str
    original_trace_number: str
    original_receiving_dfi: str
    corrected_data: str

    def __post_init__(self) -> None:
        if not (_CHANGE_CODE.fullmatch(self.change_code) and self.change_code in CHANGE_CODES):
            raise NachaInvalid("change_code is not a change code this reads")
        _digits("original_trace_number", self.original_trace_number, 15)
        _digits("original_receiving_dfi", self.original_receiving_dfi, 8)
        _text("corrected_data", self.corrected_data, 29, required=True)


@dataclass(frozen=True, slots=True)
class AchEntry:
    transaction_code: TransactionCode
    receiving_dfi_routing: str
    dfi_account_number: str
    amount: Money
    individual_id: str
    individual_name: str
    trace_number: str
    addenda: ReturnAddenda | NocAddenda | None = None

    def __post_init__(self) -> None:
        _routing("receiving_dfi_routing", self.receiving_dfi_routing)
        _text("dfi_account_number", self.dfi_account_number, 17, required=True)
        if self.dfi_account_number.startswith(" "):
            raise NachaInvalid("dfi_account_number starts with a space")
        if self.amount.currency != CURRENCY:
            raise NachaInvalid(f"amount must be in {CURRENCY}")
        if not 0 <= self.amount.minor_units <= ENTRY_AMOUNT_MINOR_MAX:
            raise NachaInvalid("amount must be from 0.00 to 99,999,999.99")
        _text("individual_id", self.individual_id, 15)
        _text("individual_name", self.individual_name, None, required=True)
        _digits("trace_number", self.trace_number, 15)
        self._check_addenda()

    def _check_addenda(self) -> None:
        code = self.transaction_code
        if not code.is_return_or_notice:
            if self.addenda is not None:
                raise NachaInvalid("only returns and notifications of change carry addenda")
            if self.amount.is_zero():
                raise NachaInvalid("a live entry's amount must be more than zero")
            return
        if self.addenda is None:
            raise NachaInvalid(f"transaction code {code} needs a return or change addenda")
        if isinstance(self.addenda, NocAddenda) and not self.amount.is_zero():
            raise NachaInvalid("a notification of change has a zero amount")

    @property
    def rdfi_identification(self) -> int:
        """The routing number less its check digit, as the entry hash adds it."""
        return int(self.receiving_dfi_routing[:8])


@dataclass(frozen=True, slots=True)
class Totals:
    """What a batch or file control record states."""

    entry_addenda_count: int
    entry_hash: int
    debit: Money
    credit: Money

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.entry_addenda_count + other.entry_addenda_count,
            (self.entry_hash + other.entry_hash) % ENTRY_HASH_MODULUS,
            self.debit + other.debit,
            self.credit + other.credit,
        )


NO_TOTALS: Final = Totals(0, 0, Money.zero(CURRENCY), Money.zero(CURRENCY))


def _check_total(what: str, totals: Totals) -> None:
    for side, amount in (("debit", totals.debit), ("credit", totals.credit)):
        if amount.minor_units > TOTAL_MINOR_MAX:
            raise NachaInvalid(f"the {what}'s total {side} does not fit NACHA's 12 digits")


@dataclass(frozen=True, slots=True)
class AchBatch:
    service_class_code: ServiceClass
    company_name: str
    company_id: str
    sec_code: SecCode
    entry_description: str
    effective_entry_date: dt.date
    originating_dfi: str
    batch_number: int
    entries: tuple[AchEntry, ...]

    def __post_init__(self) -> None:
        _text("company_name", self.company_name, None, required=True)
        _text("company_id", self.company_id, 10, required=True)
        _text("entry_description", self.entry_description, 10, required=True)
        _date("effective_entry_date", self.effective_entry_date)
        _digits("originating_dfi", self.originating_dfi, 8)
        if not 1 <= self.batch_number <= BATCH_NUMBER_MAX:
            raise NachaInvalid(f"batch_number must be from 1 to {BATCH_NUMBER_MAX}")
        if not self.entries:
            raise NachaInvalid("a batch holds at least one entry")
        self._check_entries()
        _check_total("batch", self.totals())

    def _check_entries(self) -> None:
        notices = self.sec_code is SecCode.COR
        previous = ""
        for entry in self.entries:
            if self.service_class_code is ServiceClass.CREDITS_ONLY and not (
                entry.transaction_code.is_credit
            ):
                raise NachaInvalid("a credits-only batch (220) holds a debit")
            if self.service_class_code is ServiceClass.DEBITS_ONLY and (
                entry.transaction_code.is_credit
            ):
                raise NachaInvalid("a debits-only batch (225) holds a credit")
            if isinstance(entry.addenda, NocAddenda) is not notices:
                raise NachaInvalid("notifications of change, and only they, are in COR batches")
            if not entry.trace_number.startswith(self.originating_dfi):
                raise NachaInvalid("a trace number does not start with the originating DFI")
            if entry.trace_number <= previous:
                raise NachaInvalid("trace numbers are not in ascending order")
            previous = entry.trace_number

    def totals(self) -> Totals:
        debit = credit = Money.zero(CURRENCY)
        count = entry_hash = 0
        for entry in self.entries:
            count += 1 if entry.addenda is None else 2
            entry_hash += entry.rdfi_identification
            if entry.transaction_code.is_credit:
                credit += entry.amount
            else:
                debit += entry.amount
        return Totals(count, entry_hash % ENTRY_HASH_MODULUS, debit, credit)


@dataclass(frozen=True, slots=True)
class AchFile:
    """`immediate_origin` is the 10 characters the ODFI assigns, as they stand (often a
    blank and a routing number, or a 1 and the company's EIN); `created_at` is local time
    at a whole minute, as the file's YYMMDD and HHMM carry it."""

    immediate_destination: str
    immediate_origin: str
    immediate_destination_name: str
    immediate_origin_name: str
    created_at: dt.datetime
    file_id_modifier: str
    batches: tuple[AchBatch, ...]

    def __post_init__(self) -> None:
        _routing("immediate_destination", self.immediate_destination)
        if not (
            _IMMEDIATE_ORIGIN.fullmatch(self.immediate_origin) and self.immediate_origin.strip()
        ):
            raise NachaInvalid("immediate_origin must be 10 digits, capitals or spaces")
        _text("immediate_destination_name", self.immediate_destination_name, None)
        _text("immediate_origin_name", self.immediate_origin_name, None)
        created = self.created_at
        if created.tzinfo is not None or created.second or created.microsecond:
            raise NachaInvalid("created_at must be local time at a whole minute, no time zone")
        _date("created_at", created)
        if not _FILE_ID_MODIFIER.fullmatch(self.file_id_modifier):
            raise NachaInvalid("file_id_modifier must be one capital letter or digit")
        if not self.batches:
            raise NachaInvalid("a file holds at least one batch")
        numbers = [batch.batch_number for batch in self.batches]
        if any(later <= earlier for earlier, later in pairwise(numbers)):
            raise NachaInvalid("batch numbers are not in ascending order")
        if self.record_count() > FILE_RECORDS_MAX:
            raise NachaInvalid(f"a file holds at most {FILE_RECORDS_MAX} records")
        _check_total("file", self.totals())

    def totals(self) -> Totals:
        totals = NO_TOTALS
        for batch in self.batches:
            totals += batch.totals()
        return totals

    def record_count(self) -> int:
        """Header, batches (header, entries, addenda, control), control; before padding."""
        return 2 + sum(2 + batch.totals().entry_addenda_count for batch in self.batches)
