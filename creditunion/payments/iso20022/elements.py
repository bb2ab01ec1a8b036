"""Building ISO 20022 documents: elements, amounts, dates, UK accounts and their banks,
and the finished document, checked against its schema before anyone sees it.

A writer refuses what it cannot write with ValueError: its input comes from our own code
(or the bank simulator's), so a refusal there is a bug in the caller, not a user's error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from lxml import etree

from creditunion.payments.iso20022.accounts import (
    SORT_CODE_SCHEME,
    UK_CLEARING_SYSTEM,
    SortCodeAccount,
)
from creditunion.payments.iso20022.errors import MessageInvalid
from creditunion.payments.iso20022.safe_xml import DOCUMENT_BYTES_MAX
from creditunion.payments.iso20022.schemas import check_tree, namespace
from ledger.money import Money


class Builder:
    """Elements of one message's namespace."""

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.ns = namespace(message_id)

    def document(self) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}Document", nsmap={None: self.ns})

    def child(self, parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.ns}}}{tag}")
        if text is not None:
            element.text = text
        return element

    def path(self, parent: etree._Element, path: str, text: str | None = None) -> etree._Element:
        """Nested children along `A/B/C`, the last holding `text`."""
        *outer, last = path.split("/")
        for tag in outer:
            parent = self.child(parent, tag)
        return self.child(parent, last, text)

    def amount(self, parent: etree._Element, tag: str, amount: Money) -> etree._Element:
        if amount.is_negative():
            raise ValueError(f"{tag} {amount} is negative: ISO 20022 amounts carry no sign")
        element = self.child(parent, tag, decimal_text(amount.amount))
        element.set("Ccy", amount.currency)
        return element

    def account(
        self,
        parent: etree._Element,
        tag: str,
        account: SortCodeAccount,
        currency: str | None = None,
    ) -> None:
        """`tag` holding the account, identified by sort code and account number."""
        holder = self.child(parent, tag)
        other = self.path(holder, "Id/Othr")
        self.child(other, "Id", account.identifier)
        self.path(other, "SchmeNm/Prtry", SORT_CODE_SCHEME)
        if currency is not None:
            self.child(holder, "Ccy", currency)

    def agent(self, parent: etree._Element, tag: str, sort_code: str) -> None:
        """`tag` holding the bank of that sort code, as a member of the UK clearing."""
        member = self.path(parent, f"{tag}/FinInstnId/ClrSysMmbId")
        self.path(member, "ClrSysId/Cd", UK_CLEARING_SYSTEM)
        self.child(member, "MmbId", sort_code)

    def finish(self, document: etree._Element) -> bytes:
        """The document's bytes, once it is valid and small enough for a reader to take."""
        try:
            check_tree(self.message_id, document)
        except MessageInvalid as exc:
            raise ValueError(f"the {self.message_id} written is invalid: {exc.reason}") from None
        content = bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8"))
        if len(content) > DOCUMENT_BYTES_MAX:
            raise ValueError(
                f"the {self.message_id} written has {len(content)} bytes, more than a reader"
                f" takes ({DOCUMENT_BYTES_MAX}): write fewer items"
            )
        return content


def decimal_text(value: Decimal) -> str:
    # Never exponent notation, which xs:decimal does not allow.
    return format(value, "f")


def timestamp_text(value: dt.datetime, field: str) -> str:
    """An aware date-time as xs:dateTime with its UTC offset (whole minutes)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{field} {value!r} is not aware of its time zone")
    if offset % dt.timedelta(minutes=1):
        raise ValueError(f"{field} {value!r} has a UTC offset of seconds, which XML cannot hold")
    return value.isoformat()


def total(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of amounts that must all be in `currency`."""
    result = Money.zero(currency)
    for amount in amounts:
        if amount.currency != currency:
            raise ValueError(f"an amount of {amount} in a {currency} message")
        result += amount
    return result


def first_repeat(values: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None
