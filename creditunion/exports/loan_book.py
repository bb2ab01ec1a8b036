"""The loan book as at a business date, and the register of write-offs and recoveries.

Part `loans`: one row per loan disbursed on or before `as_of`, by loan id: the member's
number and name, product, rule set, currency, disbursement and maturity dates, status at
the date (`written_off`, `settled` or `withdrawn` from the day it became so, else
`active`), and its principal, interest and fees receivable and their total, each the sum
of the loan's account's postings dated on or before `as_of` (from the journal, not the
stored balances). Then its days past due, arrears and ageing bucket as close of business
recorded them for that date (`loan_arrears_history`, written by the arrears step each
day; empty for a loan not active then, or a date closed before the history was kept);
the date it went on non-accrual, if by then; and, for a loan active at the date, the
loan-loss provision in force: the one made at the last month end on or before `as_of`, as
the provisioning step recorded it on that day's history row, with that date (the loan
itself keeps only its latest provision, which a later month end replaces and a write-off
clears). Empty for a loan no longer active, or before any provision was recorded; the
allowance in total at any date is the ledger's 1390 on the trial balance.

Part `register`: every write-off and recovery with a business date in [from, as_of], in
date and id order: the date, loan, member's number, what was written off or recovered
(amount, and its principal, interest and fees), who did it, the journal entry and note.

Personal data: the membership number and name only, as in `member-balances`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.report import Column, ColumnKind, Part, Report, Row, minor_to_decimal
from ledger.journal_stream import server_side_rows

AMOUNT, DATE, INTEGER = ColumnKind.AMOUNT, ColumnKind.DATE, ColumnKind.INTEGER

LOAN_COLUMNS: Final = (
    Column("loan_id", INTEGER),
    Column("membership_number"),
    Column("member_name"),
    Column("product"),
    Column("rule_set"),
    Column("currency"),
    Column("disbursed_on", DATE),
    Column("maturity_date", DATE),
    Column("status"),
    Column("principal", AMOUNT),
    Column("interest", AMOUNT),
    Column("fees", AMOUNT),
    Column("outstanding", AMOUNT),
    Column("days_past_due", INTEGER),
    Column("arrears", AMOUNT),
    Column("ageing_bucket"),
    Column("non_accrual_since", DATE),
    Column("provision", AMOUNT),
    Column("provisioned_on", DATE),
)

REGISTER_COLUMNS: Final = (
    Column("business_date", DATE),
    Column("loan_id", INTEGER),
    Column("membership_number"),
    Column("kind"),
    Column("currency"),
    Column("amount", AMOUNT),
    Column("principal", AMOUNT),
    Column("interest", AMOUNT),
    Column("fees", AMOUNT),
    Column("actor"),
    Column("journal_entry_id"),
    Column("note"),
)

# Each balance sum is one range of ix_postings_account_date.
_LOANS: Final[LiteralString] = """
SELECT l.id, m.membership_number, m.given_name || ' ' || m.family_name, l.product_code,
       l.rule_set, l.currency, l.disbursed_on, l.maturity_date,
       CASE WHEN l.written_off_on <= %(as_of)s THEN 'written_off'
            WHEN l.settled_on <= %(as_of)s THEN 'settled'
            WHEN l.withdrawn_on <= %(as_of)s THEN 'withdrawn'
            ELSE 'active' END,
       (SELECT coalesce(sum(p.amount_minor), 0) FROM postings p
        WHERE p.account_id = l.principal_account_id AND p.business_date <= %(as_of)s),
       (SELECT coalesce(sum(p.amount_minor), 0) FROM postings p
        WHERE p.account_id = l.interest_account_id AND p.business_date <= %(as_of)s),
       (SELECT coalesce(sum(p.amount_minor), 0) FROM postings p
        WHERE p.account_id = l.fees_account_id AND p.business_date <= %(as_of)s),
       h.days_past_due, h.arrears_minor, h.arrears_bucket,
       CASE WHEN l.non_accrual_since <= %(as_of)s THEN l.non_accrual_since END,
       pv.provision_minor, pv.business_date
FROM loans l
JOIN members m ON m.id = l.member_id
LEFT JOIN loan_arrears_history h ON h.business_date = %(as_of)s AND h.loan_id = l.id
LEFT JOIN LATERAL (
    SELECT hp.provision_minor, hp.business_date FROM loan_arrears_history hp
    WHERE hp.loan_id = l.id AND hp.business_date <= %(as_of)s
      AND hp.provision_minor IS NOT NULL
      AND coalesce(least(l.written_off_on, l.settled_on, l.withdrawn_on), 'infinity')
          > %(as_of)s
    ORDER BY hp.business_date DESC LIMIT 1
) pv ON true
WHERE l.disbursed_on <= %(as_of)s
ORDER BY l.id
"""

_REGISTER: Final[LiteralString] = """
SELECT t.business_date, t.loan_id, m.membership_number, t.kind, l.currency,
       t.amount_minor, t.principal_minor, t.interest_minor, t.fees_minor, t.actor,
       t.journal_entry_id::text, t.note
FROM loan_transactions t
JOIN loans l ON l.id = t.loan_id
JOIN members m ON m.id = l.member_id
WHERE t.kind IN ('write_off', 'recovery')
  AND t.business_date BETWEEN %(from_date)s AND %(as_of)s
ORDER BY t.business_date, t.id
"""


def _money(minor: Any, currency: str) -> Any:
    return None if minor is None else minor_to_decimal(int(minor), currency)


def _loan_rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _LOANS, params):
        head = raw[:9]
        currency = raw[5]
        principal, interest, fees = (int(v) for v in raw[9:12])
        dpd, arrears, bucket, non_accrual, provision, provisioned_on = raw[12:]
        yield (
            *head,
            _money(principal, currency),
            _money(interest, currency),
            _money(fees, currency),
            _money(principal + interest + fees, currency),
            dpd,
            _money(arrears, currency),
            bucket,
            non_accrual,
            _money(provision, currency),
            provisioned_on,
        )


def _register_rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _REGISTER, params):
        day, loan_id, number, kind, currency = raw[:5]
        amounts = (_money(v, currency) for v in raw[5:9])
        yield (day, loan_id, number, kind, currency, *amounts, *raw[9:])


def loan_book_report(session: Session, *, from_date: dt.date, as_of: dt.date) -> Report:
    """The loan book at the end of `as_of`, and the write-offs and recoveries of
    [from_date, as_of]."""
    if from_date > as_of:
        raise ValueError("the register's start date is after the book's date")
    params: dict[str, Any] = {"from_date": from_date, "as_of": as_of}
    return Report(
        name="loan-book",
        parameters={"as_of": as_of.isoformat(), "from": from_date.isoformat()},
        parts=(
            Part("loans", LOAN_COLUMNS, lambda: _loan_rows(session, params), "currency"),
            Part("register", REGISTER_COLUMNS, lambda: _register_rows(session, params), "currency"),
        ),
        covers_from=from_date,
        covers_to=as_of,
    )
