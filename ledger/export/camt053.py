"""ISO 20022 camt.053.001.08 (BankToCustomerStatementV08): ledger accounts as statements.

One `Stmt` per account (all accounts with a balance or activity for the general ledger, or
the one account of a statement), sorted by account code, each with its opening and closing
booked balances (OPBD, CLBD), a transaction summary, and one `Ntry` per posting in business
date and sequence order. Debit and credit are the ledger's: a posting that credits the
account is CRDT (a deposit to a member's shares is a credit to them), one that debits it is
DBIT, and a balance's indicator is the side it stands on.

Mapping of a posting: NtryRef the posting id; Amt and CdtDbtInd; RvslInd on a reversal;
Sts BOOK; BookgDt and ValDt the business date; AcctSvcrRef the entry id (32 hex digits);
BkTxCd/Prtry the entry's kind (issuer CREDITUNION); TxDtls/Refs the sequence number and the
linked reversal entries; RmtInf the reference; AddtlTxInf who posted it; AddtlNtryInf the
description. XML 1.0 cannot carry control characters, so any in a text are written as U+FFFD.

The document streams: two server-side cursors, the accounts' balances and the postings in
the same account order, are merged as they are read.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, LiteralString
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from ledger.errors import Refused
from ledger.export.report import PartSummary, minor_to_decimal
from ledger.journal_stream import server_side_rows

NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
ISSUER: Final = "CREDITUNION"
CHUNK_CHARS: Final = 1 << 16
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_ACCOUNTS: Final[LiteralString] = """
SELECT a.id, a.code, a.name, a.currency,
       coalesce(sum(p.amount_minor) FILTER (WHERE p.business_date < %(from_date)s), 0),
       coalesce(sum(p.amount_minor) FILTER (
           WHERE p.business_date >= %(from_date)s AND p.amount_minor > 0), 0),
       count(*) FILTER (WHERE p.business_date >= %(from_date)s AND p.amount_minor > 0),
       coalesce(-sum(p.amount_minor) FILTER (
           WHERE p.business_date >= %(from_date)s AND p.amount_minor < 0), 0),
       count(*) FILTER (WHERE p.business_date >= %(from_date)s AND p.amount_minor < 0)
FROM ledger_accounts a
LEFT JOIN postings p ON p.account_id = a.id AND p.business_date <= %(to_date)s
WHERE NOT a.header AND (%(code)s::text IS NULL OR a.code = %(code)s::text)
GROUP BY a.id
ORDER BY a.code, a.id
"""

_POSTINGS: Final[LiteralString] = """
SELECT a.id, p.id, p.amount_minor, p.currency, p.business_date, replace(e.id::text, '-', ''),
       e.sequence_no, e.kind, e.description, e.reference,
       replace(e.reverses_entry_id::text, '-', ''), replace(r.id::text, '-', ''), e.posted_by
FROM postings p
JOIN journal_entries e ON e.id = p.entry_id
JOIN ledger_accounts a ON a.id = p.account_id
LEFT JOIN journal_entries r ON r.reverses_entry_id = e.id
WHERE p.business_date BETWEEN %(from_date)s AND %(to_date)s
  AND (%(code)s::text IS NULL OR a.code = %(code)s::text)
ORDER BY a.code, a.id, p.business_date, e.sequence_no, p.id
"""


@dataclass(slots=True)
class Camt053Tally:
    statements: int = 0
    entries: int = 0
    sums: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def add(self, currency: str, debit: Decimal, credit: Decimal) -> None:
        sums = self.sums.setdefault(currency, {"debit": Decimal(0), "credit": Decimal(0)})
        sums["debit"] += debit
        sums["credit"] += credit

    def parts(self) -> dict[str, PartSummary]:
        totals = {
            currency: {name: str(value) for name, value in sorted(sums.items())}
            for currency, sums in sorted(self.sums.items())
        }
        return {
            "entries": PartSummary(self.entries, totals),
            "statements": PartSummary(self.statements),
        }


def _text(value: str, limit: int) -> str:
    return escape(_XML_INVALID.sub("\ufffd", value)[:limit])


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(tag: str, value: Decimal, currency: str) -> str:
    return f'<{tag} Ccy="{currency}">{value}</{tag}>'


def _balance(code: str, minor: int, currency: str, date: dt.date) -> str:
    side = "DBIT" if minor > 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f"{_amount('Amt', minor_to_decimal(abs(minor), currency), currency)}"
        f"<CdtDbtInd>{side}</CdtDbtInd><Dt><Dt>{date.isoformat()}</Dt></Dt></Bal>"
    )


@dataclass(frozen=True, slots=True)
class _Window:
    from_date: dt.date
    to_date: dt.date
    cutoff: dt.datetime


def _statement_head(window: _Window, row: tuple[Any, ...]) -> str:
    account_id, code, name, currency, opening, debits, n_debits, credits, n_credits = row
    opening, debits, credits = int(opening), int(debits), int(credits)
    closing = opening + debits - credits
    net = debits - credits
    account = code if len(code) <= 34 else f"ID{account_id}"
    summary = (
        "<TxsSummry><TtlNtries>"
        f"<NbOfNtries>{n_debits + n_credits}</NbOfNtries>"
        f"<Sum>{minor_to_decimal(debits + credits, currency)}</Sum>"
        f"<TtlNetNtry><Amt>{minor_to_decimal(abs(net), currency)}</Amt>"
        f"<CdtDbtInd>{'DBIT' if net > 0 else 'CRDT'}</CdtDbtInd></TtlNetNtry>"
        "</TtlNtries>"
        f"<TtlCdtNtries><NbOfNtries>{n_credits}</NbOfNtries>"
        f"<Sum>{minor_to_decimal(credits, currency)}</Sum></TtlCdtNtries>"
        f"<TtlDbtNtries><NbOfNtries>{n_debits}</NbOfNtries>"
        f"<Sum>{minor_to_decimal(debits, currency)}</Sum></TtlDbtNtries>"
        "</TxsSummry>"
    )
    return (
        "<Stmt>"
        f"<Id>{account_id}-{window.from_date:%Y%m%d}-{window.to_date:%Y%m%d}</Id>"
        f"<CreDtTm>{_timestamp(window.cutoff)}</CreDtTm>"
        f"<FrToDt><FrDtTm>{window.from_date.isoformat()}T00:00:00Z</FrDtTm>"
        f"<ToDtTm>{window.to_date.isoformat()}T23:59:59Z</ToDtTm></FrToDt>"
        f"<Acct><Id><Othr><Id>{_text(account, 34)}</Id></Othr></Id>"
        f"<Ccy>{currency}</Ccy><Nm>{_text(name, 70)}</Nm></Acct>"
        f"{_balance('OPBD', opening, currency, window.from_date - dt.timedelta(days=1))}"
        f"{_balance('CLBD', closing, currency, window.to_date)}"
        f"{summary}"
    )


def _entry(row: tuple[Any, ...], tally: Camt053Tally) -> str:
    (_, posting_id, minor, currency, date, entry_hex, sequence_no, kind, description) = row[:9]
    reference, reverses, reversed_by, posted_by = row[9:]
    amount = minor_to_decimal(abs(minor), currency)
    if minor > 0:
        tally.add(currency, amount, Decimal(0))
    else:
        tally.add(currency, Decimal(0), amount)
    tally.entries += 1
    refs = f"<AcctSvcrRef>{sequence_no}</AcctSvcrRef>"
    if reverses:
        refs += f"<Prtry><Tp>REVERSES</Tp><Ref>{reverses}</Ref></Prtry>"
    if reversed_by:
        refs += f"<Prtry><Tp>REVERSED_BY</Tp><Ref>{reversed_by}</Ref></Prtry>"
    remittance = ""
    if reference:
        clean = _XML_INVALID.sub("\ufffd", reference)
        pieces = [clean[i : i + 140] for i in range(0, len(clean), 140)]
        remittance = "<RmtInf>" + "".join(f"<Ustrd>{escape(p)}</Ustrd>" for p in pieces)
        remittance += "</RmtInf>"
    return (
        f"<Ntry><NtryRef>{posting_id}</NtryRef>{_amount('Amt', amount, currency)}"
        f"<CdtDbtInd>{'DBIT' if minor > 0 else 'CRDT'}</CdtDbtInd>"
        f"{'<RvslInd>true</RvslInd>' if reverses else ''}"
        f"<Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{date.isoformat()}</Dt></BookgDt><ValDt><Dt>{date.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{entry_hex}</AcctSvcrRef>"
        f"<BkTxCd><Prtry><Cd>{_text(kind, 35)}</Cd><Issr>{ISSUER}</Issr></Prtry></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs>{refs}</Refs>{remittance}"
        f"<AddtlTxInf>{_text(f'posted by {posted_by}', 500)}</AddtlTxInf></TxDtls></NtryDtls>"
        f"<AddtlNtryInf>{_text(description, 500)}</AddtlNtryInf></Ntry>"
    )


class NothingToState(Refused, ValueError):
    """No account has a balance or activity in the range, and camt.053 needs a statement."""


def camt053_chunks(
    session: Session,
    *,
    from_date: dt.date,
    to_date: dt.date,
    cutoff: dt.datetime,
    message_id: str,
    tally: Camt053Tally,
    account_code: str | None = None,
) -> Iterator[bytes]:
    """The statements as one camt.053.001.08 document, in UTF-8 chunks of about 64 KiB.

    With `account_code`, that account's statement even if it has no postings; without,
    every account with a balance or activity. Raises `NothingToState` before writing
    anything if that leaves no statement.
    """
    if from_date > to_date:
        raise ValueError("the range's start date is after its end date")
    if not 1 <= len(message_id) <= 35:
        raise ValueError("a camt.053 message id has 1 to 35 characters")
    window = _Window(from_date, to_date, cutoff)
    params = {"from_date": from_date, "to_date": to_date, "code": account_code}
    accounts = (
        account
        for account in server_side_rows(session, _ACCOUNTS, params, binary=False)
        if account_code is not None or int(account[4]) != 0 or account[6] + account[8] > 0
    )
    first = next(accounts, None)
    if first is None:
        raise NothingToState(f"no account has a balance or activity by {to_date}")
    postings = server_side_rows(session, _POSTINGS, params, binary=False)
    pending = next(postings, None)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>',
        f"<GrpHdr><MsgId>{_text(message_id, 35)}</MsgId>"
        f"<CreDtTm>{_timestamp(cutoff)}</CreDtTm>"
        "<AddtlInf>Ledger accounts as statements; debit and credit as the ledger books them."
        "</AddtlInf></GrpHdr>",
    ]
    size = 0
    for account in itertools.chain((first,), accounts):
        piece = _statement_head(window, account)
        out.append(piece)
        size += len(piece)
        tally.statements += 1
        while pending is not None and pending[0] == account[0]:
            piece = _entry(pending, tally)
            out.append(piece)
            size += len(piece)
            pending = next(postings, None)
            # Flush inside a statement too: one account (cash) can hold half the journal.
            if size >= CHUNK_CHARS:
                yield "".join(out).encode()
                out.clear()
                size = 0
        out.append("</Stmt>")
    out.append("</BkToCstmrStmt></Document>\n")
    yield "".join(out).encode()
