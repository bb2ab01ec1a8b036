"""Reading the values of a document that its schema has already accepted: texts, amounts,
dates, UK accounts, and the checks the schema cannot make (decimals a currency does not
have, time zones, control sums, repeated ids), each refused with `MessageInvalid`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.accounts import SORT_CODE_SCHEME, SortCodeAccount
from creditunion.payments.iso20022.errors import MessageInvalid
from creditunion.payments.iso20022.schemas import namespace
from ledger.money import Money, MoneyError, minor_unit_exponent

# The placeholder ISO 20022 puts where a payer gave no end-to-end id: it may repeat.
NOT_PROVIDED: Final = "NOTPROVIDED"
SHOWN_CHARS_MAX: Final = 70
_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_DATE_TIME: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def shown(value: str) -> str:
    """A value from the document as an error message quotes it, bounded."""
    return repr(value[:SHOWN_CHARS_MAX] + ("..." if len(value) > SHOWN_CHARS_MAX else ""))


@cache
def _qualified(ns: str, path: str) -> str:
    return "/".join(f"{{{ns}}}{tag}" for tag in path.split("/"))


class Reader:
    """Values of one message's valid document, by paths of element names (`GrpHdr/MsgId`)."""

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.ns = namespace(message_id)

    def invalid(self, reason: str) -> MessageInvalid:
        return MessageInvalid(self.message_id, reason)

    def find(self, parent: etree._Element, path: str) -> etree._Element | None:
        return parent.find(_qualified(self.ns, path))

    def all(self, parent: etree._Element, path: str) -> list[etree._Element]:
        return list(parent.iterfind(_qualified(self.ns, path)))

    def single(self, parent: etree._Element, path: str, what: str) -> etree._Element:
        """The one element at `path`; more than one is a shape we do not read."""
        found = self.all(parent, path)
        if len(found) != 1:
            raise self.invalid(f"it holds {len(found)} {what}; exactly one is read")
        return found[0]

    def text(self, parent: etree._Element, path: str) -> str | None:
        """The exact text (leading and trailing spaces kept), None when absent."""
        element = self.find(parent, path)
        return None if element is None else (element.text or "")

    def required(self, parent: etree._Element, path: str, what: str) -> str:
        value = self.text(parent, path)
        if value is None:
            raise self.invalid(f"{what} ({path}) is missing")
        return value

    def texts(self, parent: etree._Element, path: str, length_max: int) -> str | None:
        """Texts of a repeated element (lines of remittance information) joined by spaces,
        at most `length_max` characters: what one line may hold, and what is kept of more."""
        lines = [element.text or "" for element in self.all(parent, path)]
        return " ".join(lines)[:length_max] if lines else None

    def money(self, element: etree._Element) -> Money:
        """An amount element (`Ccy` attribute), with no more decimals than its currency has."""
        currency = element.get("Ccy") or ""
        digits = self.decimal(element.text or "", f"the amount in {currency}")
        try:
            exponent = minor_unit_exponent(currency)
        except MoneyError as exc:
            raise self.invalid(str(exc)) from None
        places = -int(digits.as_tuple().exponent)
        if places > exponent:
            raise self.invalid(
                f"the amount {shown(element.text or '')} has {places} decimals;"
                f" {currency} has {exponent}"
            )
        return Money(digits, currency)

    def required_money(self, parent: etree._Element, path: str, what: str) -> Money:
        element = self.find(parent, path)
        if element is None:
            raise self.invalid(f"{what} ({path}) is missing")
        return self.money(element)

    def decimal(self, text: str, what: str) -> Decimal:
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise self.invalid(f"{what} {shown(text)} is not a decimal") from None
        if not value.is_finite():
            raise self.invalid(f"{what} {shown(text)} is not a decimal")
        return value

    def date(self, parent: etree._Element, path: str, what: str) -> dt.date:
        """An ISODate, or the choice of one (`Dt`) or a date-time (`DtTm`, its own date)."""
        element = self.find(parent, path)
        if element is None:
            raise self.invalid(f"{what} ({path}) is missing")
        if len(element):
            choice = element[0]
            if etree.QName(choice).localname == "DtTm":
                return self._date_time(choice.text or "", what, aware=False).date()
            element = choice
        text = (element.text or "").strip()
        match = _DATE.fullmatch(text)
        try:
            if match is None:
                raise ValueError
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise self.invalid(f"{what} {shown(text)} is not a date") from None

    def date_time(self, parent: etree._Element, path: str, what: str) -> dt.datetime:
        """An ISODateTime that says its UTC offset (a time without one names no instant)."""
        return self._date_time(self.required(parent, path, what), what, aware=True)

    def day_of(self, parent: etree._Element, path: str, what: str) -> dt.date:
        """The calendar date an ISODateTime is written on, whatever its offset."""
        return self._date_time(self.required(parent, path, what), what, aware=False).date()

    def _date_time(self, raw: str, what: str, *, aware: bool) -> dt.datetime:
        text = raw.strip()
        match = _DATE_TIME.fullmatch(text)
        if match is None:
            raise self.invalid(f"{what} {shown(text)} is not a date and time")
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        if aware and offset is None:
            raise self.invalid(f"{what} {shown(text)} has no UTC offset")
        zone = None
        if offset is not None:
            zone = dt.UTC
            if offset != "Z":
                sign = -1 if offset[0] == "-" else 1
                minutes = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
                zone = dt.timezone(dt.timedelta(minutes=minutes))
        # xs:dateTime writes the end of a day as 24:00:00, the next day's midnight.
        end_of_day = (hour, minute, second) == ("24", "00", "00") and not (fraction or "").strip(
            "0"
        )
        try:
            value = dt.datetime(
                int(year),
                int(month),
                int(day),
                0 if end_of_day else int(hour),
                int(minute),
                int(second),
                int((fraction or "0")[:6].ljust(6, "0")),
                tzinfo=zone,
            )
        except ValueError:
            raise self.invalid(f"{what} {shown(text)} is not a date and time") from None
        return value + dt.timedelta(days=1) if end_of_day else value

    def account(self, parent: etree._Element, path: str) -> SortCodeAccount | None:
        """The UK account at `path`; None when absent or identified otherwise (an IBAN)."""
        other = self.find(parent, f"{path}/Id/Othr")
        if other is None or self.text(other, "SchmeNm/Prtry") != SORT_CODE_SCHEME:
            return None
        identifier = self.required(other, "Id", "the account number")
        try:
            return SortCodeAccount.from_identifier(identifier)
        except ValueError as exc:
            raise self.invalid(f"the account at {path}: {exc}") from None

    def required_account(self, parent: etree._Element, path: str, what: str) -> SortCodeAccount:
        account = self.account(parent, path)
        if account is None:
            raise self.invalid(f"{what} ({path}) is not identified by sort code and account number")
        return account

    def count(self, parent: etree._Element, path: str, counted: int, what: str) -> None:
        """Refuses a stated number of items (NbOfTxs) other than the number counted."""
        stated = self.text(parent, path)
        if stated is not None and int(stated) != counted:
            raise self.invalid(f"{path} says {int(stated)} {what}; it holds {counted}")

    def control_sum(self, parent: etree._Element, path: str, summed: Decimal) -> None:
        """Refuses a stated sum (CtrlSum) other than the sum of the amounts."""
        stated = self.text(parent, path)
        if stated is not None and self.decimal(stated, path) != summed:
            raise self.invalid(f"{path} says {stated.strip()}; the amounts add up to {summed}")

    def obeys(self, value: str, rule: Callable[[str], str | None], what: str) -> str:
        """`value`, unless `rule` (one of `text_rules`) names a problem with it."""
        problem = rule(value)
        if problem:
            raise self.invalid(f"{what} {shown(value)} {problem}")
        return value

    def unique(self, values: Iterable[str | None], what: str) -> None:
        """Refuses an id that appears twice (the NOTPROVIDED placeholder may repeat)."""
        seen: set[str] = set()
        for value in values:
            if value is None or value == NOT_PROVIDED:
                continue
            if value in seen:
                raise self.invalid(f"{what} {shown(value)} appears twice")
            seen.add(value)

    def at_most(self, items: list[etree._Element], limit: int, what: str) -> list[etree._Element]:
        if len(items) > limit:
            raise self.invalid(f"it holds {len(items)} {what}, more than the {limit} read")
        return items
