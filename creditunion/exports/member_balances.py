"""Members and their share balances as at the end of a business date, as an export.

Part `balances`: one row per share account opened on or before `as_of`, in membership
number and account number order: the member's membership number and name, the account's
number, product, ledger code and currency, its status at the date, when it opened and
closed, and its balance: the sum of the account's postings dated on or before `as_of`
(credit-normal, so shares held are positive), read from the journal and not from the
stored balance, so a past date gives the same figure whenever it is exported.

Part `members`: one row per member who had joined by `as_of`: membership number, name,
status at the date (`closed` from the day closed, `active` from the day activated,
`pending` before; dormancy is set without a date, so it is not shown), the dates joined
and closed, and how many share accounts the member held at the date.

Personal data: an auditor needs to tie each balance to a person, so the membership number
and name are given; nothing else about the member (no date of birth, National Insurance
number, address or contact details), as the audit trail and logs keep them out too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.report import Column, ColumnKind, Part, Report, Row, minor_to_decimal
from ledger.journal_stream import server_side_rows

DATE, INTEGER = ColumnKind.DATE, ColumnKind.INTEGER

BALANCE_COLUMNS: Final = (
    Column("membership_number"),
    Column("member_name"),
    Column("share_account"),
    Column("product"),
    Column("account_code"),
    Column("currency"),
    Column("status"),
    Column("opened_on", DATE),
    Column("closed_on", DATE),
    Column("balance", ColumnKind.AMOUNT),
)

MEMBER_COLUMNS: Final = (
    Column("membership_number"),
    Column("member_name"),
    Column("status"),
    Column("joined_on", DATE),
    Column("closed_on", DATE),
    Column("share_accounts", INTEGER),
)

# The sum runs over ix_postings_account_date, one index range per share account.
_BALANCES: Final[LiteralString] = """
SELECT m.membership_number, m.given_name || ' ' || m.family_name, sa.account_number,
       sp.code, la.code, la.currency,
       CASE WHEN sa.closed_on <= %(as_of)s THEN 'closed' ELSE 'open' END,
       sa.opened_on,
       CASE WHEN sa.closed_on <= %(as_of)s THEN sa.closed_on END,
       -coalesce((SELECT sum(p.amount_minor) FROM postings p
                  WHERE p.account_id = sa.ledger_account_id
                    AND p.business_date <= %(as_of)s), 0)
FROM share_accounts sa
JOIN members m ON m.id = sa.member_id
JOIN share_products sp ON sp.id = sa.product_id
JOIN ledger_accounts la ON la.id = sa.ledger_account_id
WHERE sa.opened_on <= %(as_of)s
ORDER BY m.membership_number, sa.account_number
"""

_MEMBERS: Final[LiteralString] = """
SELECT m.membership_number, m.given_name || ' ' || m.family_name,
       CASE WHEN m.closed_on <= %(as_of)s THEN 'closed'
            WHEN m.activated_on <= %(as_of)s THEN 'active'
            ELSE 'pending' END,
       m.joined_on,
       CASE WHEN m.closed_on <= %(as_of)s THEN m.closed_on END,
       (SELECT count(*) FROM share_accounts sa
        WHERE sa.member_id = m.id AND sa.opened_on <= %(as_of)s)
FROM members m
WHERE m.joined_on <= %(as_of)s
ORDER BY m.membership_number
"""


def _balance_rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _BALANCES, params):
        *fields, currency, status, opened_on, closed_on, balance_minor = raw
        yield (
            *fields,
            currency,
            status,
            opened_on,
            closed_on,
            minor_to_decimal(int(balance_minor), currency),
        )


def _member_rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _MEMBERS, params):
        yield tuple(raw)


def member_balances_report(session: Session, *, as_of: dt.date) -> Report:
    """Each member's share accounts and balances at the end of `as_of`, from the journal."""
    params: dict[str, Any] = {"as_of": as_of}
    return Report(
        name="member-balances",
        parameters={"as_of": as_of.isoformat()},
        parts=(
            Part("balances", BALANCE_COLUMNS, lambda: _balance_rows(session, params), "currency"),
            Part("members", MEMBER_COLUMNS, lambda: _member_rows(session, params)),
        ),
        covers_from=None,
        covers_to=as_of,
    )
