"""The entries (`Ntry`) and transaction summary (`TxsSummry`) that camt.053 statements and
camt.054 notifications share (both ReportEntry10 and TotalTransactions6 in version 08).

An entry is read with at most one transaction (`NtryDtls/TxDtls`); a batch booked as one
entry is refused rather than read as one payment. Its counterparty is the debtor of a
credit and the creditor of a debit. A returned payment carries `RtrInf`, and its
`Refs/EndToEndId` is the end-to-end id of the payment that came back; its reason is the
code (`Rsn/Cd`), or NARR (narrative) when the bank gives it only in words or not at all.

Bank transaction codes written (ISO external code list, domain PMNT): a received credit
transfer RCDT/DMCT, one we sent ICDT/DMCT, one of ours returned ICDT/RRTN. They are not read:
the direction and `RtrInf` say what an entry is whatever code a bank uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.elements import Builder, decimal_text
from creditunion.payments.iso20022.reading import Reader
from creditunion.payments.iso20022.text_rules import (
    checked_code,
    checked_id,
    checked_text,
    code_problem,
)
from ledger.money import Money

BOOKED: Final = "BOOK"
# The ISO return reason for one given only in words (a proprietary reason or none at all):
# a return is still a return, and its code fits where codes are kept.
NARRATIVE_REASON: Final = "NARR"
NAME_LENGTH_MAX: Final = 140
REMITTANCE_LENGTH_MAX: Final = 140
_PAYMENTS: Final = "PMNT"
_RECEIVED: Final = ("RCDT", "DMCT")
_SENT: Final = ("ICDT", "DMCT")
_RETURNED: Final = ("ICDT", "RRTN")


@dataclass(frozen=True, slots=True)
class CamtEntry:
    """Everything either message says of an entry; each message keeps what it needs."""

    entry_reference: str
    credit: bool
    amount: Money
    status: str
    booking_date: dt.date
    value_date: dt.date
    account_servicer_reference: str | None
    end_to_end_id: str | None
    remittance_reference: str | None
    counterparty_name: str | None
    counterparty_account: SortCodeAccount | None
    return_reason_code: str | None

    @property
    def signed(self) -> Money:
        return self.amount if self.credit else -self.amount


def _has_details(entry: CamtEntry) -> bool:
    return any(
        value is not None
        for value in (
            entry.end_to_end_id,
            entry.remittance_reference,
            entry.counterparty_name,
            entry.counterparty_account,
            entry.return_reason_code,
        )
    )


def add_entry(b: Builder, parent: etree._Element, entry: CamtEntry) -> None:
    ntry = b.child(parent, "Ntry")
    b.child(ntry, "NtryRef", checked_id(entry.entry_reference, "entry_reference"))
    if not entry.amount.is_positive():
        raise ValueError(f"entry {entry.entry_reference}: amount {entry.amount} is not positive")
    b.amount(ntry, "Amt", entry.amount)
    b.child(ntry, "CdtDbtInd", "CRDT" if entry.credit else "DBIT")
    b.path(ntry, "Sts/Cd", checked_code(entry.status, "status"))
    b.path(ntry, "BookgDt/Dt", entry.booking_date.isoformat())
    b.path(ntry, "ValDt/Dt", entry.value_date.isoformat())
    if entry.account_servicer_reference is not None:
        reference = checked_id(entry.account_servicer_reference, "account_servicer_reference")
        b.child(ntry, "AcctSvcrRef", reference)
    family, sub_family = (
        _RETURNED if entry.return_reason_code else _RECEIVED if entry.credit else _SENT
    )
    domain = b.path(ntry, "BkTxCd/Domn")
    b.child(domain, "Cd", _PAYMENTS)
    family_element = b.child(domain, "Fmly")
    b.child(family_element, "Cd", family)
    b.child(family_element, "SubFmlyCd", sub_family)
    if _has_details(entry):
        _add_transaction(b, b.path(ntry, "NtryDtls/TxDtls"), entry)


def _add_transaction(b: Builder, tx: etree._Element, entry: CamtEntry) -> None:
    if entry.end_to_end_id is not None:
        b.path(tx, "Refs/EndToEndId", checked_id(entry.end_to_end_id, "end_to_end_id"))
    side = "Dbtr" if entry.credit else "Cdtr"
    name, account = entry.counterparty_name, entry.counterparty_account
    if name is not None or account is not None:
        parties = b.child(tx, "RltdPties")
        if name is not None:
            b.path(
                parties, f"{side}/Pty/Nm", checked_text(name, "counterparty_name", NAME_LENGTH_MAX)
            )
        if account is not None:
            b.account(parties, f"{side}Acct", account)
    if account is not None:
        b.agent(b.child(tx, "RltdAgts"), f"{side}Agt", account.sort_code)
    if entry.remittance_reference is not None:
        reference = checked_text(
            entry.remittance_reference, "remittance_reference", REMITTANCE_LENGTH_MAX
        )
        b.path(tx, "RmtInf/Ustrd", reference)
    if entry.return_reason_code is not None:
        b.path(tx, "RtrInf/Rsn/Cd", checked_code(entry.return_reason_code, "return_reason_code"))


def read_entry(r: Reader, ntry: etree._Element) -> CamtEntry:
    reference = r.required(ntry, "NtryRef", "an entry's reference")
    transactions = r.all(ntry, "NtryDtls/TxDtls")
    if len(transactions) > 1:
        raise r.invalid(
            f"entry {reference!r} is a batch of {len(transactions)} transactions;"
            " only entries of one transaction are read"
        )
    status = r.text(ntry, "Sts/Cd")
    if status is None:
        raise r.invalid(f"entry {reference!r} has a proprietary status; a code is read")
    credit = r.required(ntry, "CdtDbtInd", "an entry's direction") == "CRDT"
    entry = CamtEntry(
        entry_reference=reference,
        credit=credit,
        amount=r.required_money(ntry, "Amt", "an entry's amount"),
        status=status,
        booking_date=r.date(ntry, "BookgDt", f"entry {reference!r} booking date"),
        value_date=r.date(ntry, "ValDt", f"entry {reference!r} value date"),
        account_servicer_reference=r.text(ntry, "AcctSvcrRef"),
        end_to_end_id=None,
        remittance_reference=None,
        counterparty_name=None,
        counterparty_account=None,
        return_reason_code=None,
    )
    if not transactions:
        return entry
    tx = transactions[0]
    side = "Dbtr" if credit else "Cdtr"
    return_reason = None
    if r.find(tx, "RtrInf") is not None:
        return_reason = r.obeys(
            r.text(tx, "RtrInf/Rsn/Cd") or NARRATIVE_REASON,
            code_problem,
            f"entry {reference!r} return reason",
        )
    return CamtEntry(
        entry_reference=entry.entry_reference,
        credit=credit,
        amount=entry.amount,
        status=status,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        account_servicer_reference=entry.account_servicer_reference,
        end_to_end_id=r.text(tx, "Refs/EndToEndId"),
        remittance_reference=r.texts(tx, "RmtInf/Ustrd", REMITTANCE_LENGTH_MAX),
        counterparty_name=r.text(tx, f"RltdPties/{side}/Pty/Nm"),
        counterparty_account=r.account(tx, f"RltdPties/{side}Acct"),
        return_reason_code=return_reason,
    )


def _sums(entries: list[CamtEntry]) -> tuple[Decimal, Decimal]:
    credits = sum((e.amount.amount for e in entries if e.credit), Decimal(0))
    debits = sum((e.amount.amount for e in entries if not e.credit), Decimal(0))
    return credits, debits


def add_summary(b: Builder, parent: etree._Element, entries: list[CamtEntry]) -> None:
    credits, debits = _sums(entries)
    n_credits = sum(1 for e in entries if e.credit)
    summary = b.child(parent, "TxsSummry")
    totals = b.child(summary, "TtlNtries")
    b.child(totals, "NbOfNtries", str(len(entries)))
    b.child(totals, "Sum", decimal_text(credits + debits))
    net = b.child(totals, "TtlNetNtry")
    b.child(net, "Amt", decimal_text(abs(credits - debits)))
    b.child(net, "CdtDbtInd", "CRDT" if credits >= debits else "DBIT")
    for tag, count, amount in (
        ("TtlCdtNtries", n_credits, credits),
        ("TtlDbtNtries", len(entries) - n_credits, debits),
    ):
        side = b.child(summary, tag)
        b.child(side, "NbOfNtries", str(count))
        b.child(side, "Sum", decimal_text(amount))


def check_summary(r: Reader, parent: etree._Element, entries: list[CamtEntry]) -> None:
    """Refuses a transaction summary whose counts or sums are not those of the entries."""
    summary = r.find(parent, "TxsSummry")
    if summary is None:
        return
    credits, debits = _sums(entries)
    n_credits = sum(1 for e in entries if e.credit)
    r.count(summary, "TtlNtries/NbOfNtries", len(entries), "entries")
    r.control_sum(summary, "TtlNtries/Sum", credits + debits)
    r.count(summary, "TtlCdtNtries/NbOfNtries", n_credits, "credit entries")
    r.control_sum(summary, "TtlCdtNtries/Sum", credits)
    r.count(summary, "TtlDbtNtries/NbOfNtries", len(entries) - n_credits, "debit entries")
    r.control_sum(summary, "TtlDbtNtries/Sum", debits)
    net = r.find(summary, "TtlNtries/TtlNetNtry")
    if net is not None:
        stated = r.decimal(r.required(net, "Amt", "the net amount"), "the net amount")
        if r.required(net, "CdtDbtInd", "the net direction") == "DBIT":
            stated = -stated
        if stated != credits - debits:
            raise r.invalid(
                f"TtlNetNtry says {stated}; the entries net to {credits - debits}"
                " (credits less debits)"
            )
