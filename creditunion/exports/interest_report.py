"""Savings interest and dividends per member for a period, as an export.

Part `members`: one row per share account open at some time in [from, to] (opened by `to`,
not closed before `from`), in membership and account number order: the member's number
and name, the account, product and currency, then from the journal the interest posted
to it (entries of kind `savings_interest`) and the dividends paid to it (kind `dividend`)
with business dates in the period, each net of any reversal of such an entry in the
period; and the interest accrued and not yet posted as at the end of `to` (whole minor
units, rounded down as the posting will be) with the date it was accrued through.

The accrued figures come from the accrual history (`share_accrual_history`): the
account's row with the latest business date on or before `to`, which close of business
wrote and never rewrites once a later date is closed, so a past `to` gives the same
figures however many days have closed since. An account with no row by `to` (nothing
accrued yet, or a date before the history was kept: migration 0022) has them empty; the
manifest's parameter `accrued_recorded_from` names the first date the history holds
(`none` if it holds nothing on or before `to`). The total owed at any date is the
ledger's interest and dividends payable (2200), in the `totals` part.

Part `totals`: per currency, the interest posted and dividends paid to members in the
period (the sums of `members`), the dividend and interest expense (5100) charged in the
period, and interest and dividends payable (2200) at the start and at the end of it: the
expense is what was posted or paid plus the change in what is owed, which this part lets
an auditor check from the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final, LiteralString

from sqlalchemy import text
from sqlalchemy.orm import Session

from creditunion.savings.accrual import UNITS_PER_MINOR
from ledger.chart import DIVIDEND_AND_INTEREST_EXPENSE, INTEREST_AND_DIVIDENDS_PAYABLE
from ledger.export.report import Column, ColumnKind, Part, Report, Row, minor_to_decimal
from ledger.journal_stream import server_side_rows

AMOUNT: Final = ColumnKind.AMOUNT

MEMBER_COLUMNS: Final = (
    Column("membership_number"),
    Column("member_name"),
    Column("share_account"),
    Column("product"),
    Column("currency"),
    Column("interest_posted", AMOUNT),
    Column("dividends_paid", AMOUNT),
    Column("accrued_unposted", AMOUNT),
    Column("accrued_through", ColumnKind.DATE),
)

TOTAL_COLUMNS: Final = (
    Column("currency"),
    Column("interest_posted", AMOUNT),
    Column("dividends_paid", AMOUNT),
    Column("expense", AMOUNT),
    Column("payable_opening", AMOUNT),
    Column("payable_closing", AMOUNT),
)

# A reversal counts under the kind of the entry it reverses, with its own (opposite) sign.
_FLOWS: Final[LiteralString] = """
flows AS (
    SELECT p.account_id, coalesce(o.kind, e.kind) AS kind, -p.amount_minor AS minor
    FROM journal_entries e
    LEFT JOIN journal_entries o ON o.id = e.reverses_entry_id
    JOIN postings p ON p.entry_id = e.id
    JOIN share_accounts sa ON sa.ledger_account_id = p.account_id
    WHERE e.business_date BETWEEN %(from_date)s AND %(to_date)s
      AND coalesce(o.kind, e.kind) IN ('savings_interest', 'dividend')
)
"""

_MEMBERS: Final[LiteralString] = (
    "WITH "
    + _FLOWS
    + """
SELECT m.membership_number, m.given_name || ' ' || m.family_name, sa.account_number,
       sp.code, la.currency,
       coalesce(sum(f.minor) FILTER (WHERE f.kind = 'savings_interest'), 0),
       coalesce(sum(f.minor) FILTER (WHERE f.kind = 'dividend'), 0),
       div(a.accrued_units, %(unit)s), a.accrued_through
FROM share_accounts sa
JOIN members m ON m.id = sa.member_id
JOIN share_products sp ON sp.id = sa.product_id
JOIN ledger_accounts la ON la.id = sa.ledger_account_id
LEFT JOIN LATERAL (
    SELECT h.accrued_units, h.accrued_through FROM share_accrual_history h
    WHERE h.share_account_id = sa.id AND h.business_date <= %(to_date)s
    ORDER BY h.business_date DESC LIMIT 1
) a ON true
LEFT JOIN flows f ON f.account_id = sa.ledger_account_id
WHERE sa.opened_on <= %(to_date)s AND (sa.closed_on IS NULL OR sa.closed_on >= %(from_date)s)
GROUP BY m.membership_number, m.given_name, m.family_name, sa.account_number, sp.code,
         la.currency, a.accrued_through, a.accrued_units
ORDER BY m.membership_number, sa.account_number
"""
)

_TOTALS: Final[LiteralString] = (
    "WITH "
    + _FLOWS
    + """,
paid AS (
    SELECT la.currency,
           sum(f.minor) FILTER (WHERE f.kind = 'savings_interest') AS interest,
           sum(f.minor) FILTER (WHERE f.kind = 'dividend') AS dividends
    FROM flows f JOIN ledger_accounts la ON la.id = f.account_id
    GROUP BY la.currency
), ledger AS (
    SELECT a.currency,
           sum(p.amount_minor) FILTER (
               WHERE a.code = %(expense)s AND p.business_date >= %(from_date)s) AS expense,
           -sum(p.amount_minor) FILTER (
               WHERE a.code = %(payable)s AND p.business_date < %(from_date)s) AS opening,
           -sum(p.amount_minor) FILTER (WHERE a.code = %(payable)s) AS closing
    FROM ledger_accounts a JOIN postings p ON p.account_id = a.id
    WHERE a.code IN (%(expense)s, %(payable)s) AND p.business_date <= %(to_date)s
    GROUP BY a.currency
)
SELECT c.currency, coalesce(paid.interest, 0), coalesce(paid.dividends, 0),
       coalesce(ledger.expense, 0), coalesce(ledger.opening, 0), coalesce(ledger.closing, 0)
FROM (SELECT currency FROM paid UNION SELECT currency FROM ledger) c
LEFT JOIN paid ON paid.currency = c.currency
LEFT JOIN ledger ON ledger.currency = c.currency
ORDER BY c.currency
"""
)

# The history's first date, one index probe per account: the key leads with the account,
# so a plain min() over the date would read the whole table.
_RECORDED_FROM: Final = text("""
SELECT min(first.business_date) FROM share_accounts sa
CROSS JOIN LATERAL (
    SELECT h.business_date FROM share_accrual_history h
    WHERE h.share_account_id = sa.id ORDER BY h.business_date LIMIT 1
) first
""")


def _amount(minor: Decimal | int | None, currency: str) -> Decimal | None:
    return None if minor is None else minor_to_decimal(int(minor), currency)


def _member_rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _MEMBERS, params):
        number, name, account, product, currency, interest, dividends, accrued, through = raw
        yield (
            number,
            name,
            account,
            product,
            currency,
            _amount(interest, currency),
            _amount(dividends, currency),
            _amount(accrued, currency),
            through,
        )


def _total_rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _TOTALS, params):
        currency, *amounts = raw
        yield (currency, *(_amount(a, currency) for a in amounts))


def interest_report(session: Session, *, from_date: dt.date, to_date: dt.date) -> Report:
    """Interest and dividends to each member in [from_date, to_date], and the ledger's
    expense and payable beside them."""
    if from_date > to_date:
        raise ValueError("the range's start date is after its end date")
    params: dict[str, Any] = {
        "from_date": from_date,
        "to_date": to_date,
        "unit": UNITS_PER_MINOR,
        "expense": DIVIDEND_AND_INTEREST_EXPENSE,
        "payable": INTEREST_AND_DIVIDENDS_PAYABLE,
    }
    # Only a date on or before `to` is named: a report of a closed date stays the same bytes.
    recorded_from = session.scalar(_RECORDED_FROM)
    if recorded_from is not None and recorded_from > to_date:
        recorded_from = None
    return Report(
        name="interest-report",
        parameters={
            "from": from_date.isoformat(),
            "to": to_date.isoformat(),
            "accrued_recorded_from": "none" if recorded_from is None else recorded_from.isoformat(),
        },
        parts=(
            Part("members", MEMBER_COLUMNS, lambda: _member_rows(session, params), "currency"),
            Part("totals", TOTAL_COLUMNS, lambda: _total_rows(session, params), "currency"),
        ),
        covers_from=from_date,
        covers_to=to_date,
    )
