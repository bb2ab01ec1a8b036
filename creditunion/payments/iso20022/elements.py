"""Building and reading ISO 20022 elements: amounts, UK accounts and their agents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.schemas import MessageInvalid
from ledger.money import Money

# The ISO 20022 restricted character set of identifiers, at most 35 characters.
_ID: Final = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
SORT_CODE_SCHEME: Final = "SortCodeAccountNumber"
UK_CLEARING_SYSTEM: Final = "GBDSC"


@dataclass(frozen=True, slots=True)
class SortCodeAccount:
    sort_code: str
    account_number: str


def checked_id(value: str, field: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{field} {value!r} is not 1 to 35 characters of the ISO set")
    return value


def child(parent: etree._Element, ns: str, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def amount_text(amount: Money) -> str:
    return str(amount.amount)


def add_account(parent: etree._Element, ns: str, account: SortCodeAccount) -> None:
    other = child(child(parent, ns, "Id"), ns, "Othr")
    child(other, ns, "Id", account.sort_code + account.account_number)
    child(child(other, ns, "SchmeNm"), ns, "Prtry", SORT_CODE_SCHEME)


def add_agent(parent: etree._Element, ns: str, sort_code: str) -> None:
    member = child(child(parent, ns, "FinInstnId"), ns, "ClrSysMmbId")
    child(child(member, ns, "ClrSysId"), ns, "Cd", UK_CLEARING_SYSTEM)
    child(member, ns, "MmbId", sort_code)


def read_money(element: etree._Element, message_id: str) -> Money:
    currency = element.get("Ccy") or ""
    try:
        money = Money(Decimal(element.text or ""), currency)
    except (InvalidOperation, ValueError) as exc:
        raise MessageInvalid(message_id, f"amount {element.text!r} {currency}: {exc}") from None
    if money.amount != Decimal(element.text or "0"):
        raise MessageInvalid(message_id, f"{element.text} has more decimals than {currency}")
    return money
