"""Sub-ledgers against the general ledger, as at a business date, in one set-based query.

Loans: each loan's principal, interest and fees on its own ledger accounts against the
loan book. The book is what the loan's records say: its transactions (a disbursement adds
its principal; a repayment, a collection, a withdrawal notice or a write-off takes off its
principal, interest and fees; a late or dishonoured-payment fee adds its fee), plus what
the loan services post with no transaction row (`loan.*` entries such as the daily
interest accrual). An entry the loans sub-ledger did not make (a generic reversal, a
manual journal) moves the ledger but not the book, and shows as a difference on that
loan's account; so does a transaction row that disagrees with its own entry.

Shares: each share account's balance as members see it (the stored balance the share view
reads, less what posted after the date) against the members' shares control account's
ledger (its sub-accounts' postings to the date); a ledger account under the control that
no share account owns shows with a book of zero.

Control lines total each control account (loans to members, interest and fees receivable,
members' shares) against the sum of its book. The allowance for loan losses (a credit, the
allowance held, is positive) has the book its month-end provisioning and the write-offs
made (`loans.services.provisioning`, `loans.services.writeoff`): the last provisioning run
on or before the date (`loan_allowance_history`) left the allowance holding the provisions
on that date's `loan_arrears_history` rows plus its `unassigned_minor` (what write-offs
dated later had already taken); each write-off dated after that run and by the date took
its entry's debit to the allowance. That is the provisions in force for loans still
active, plus what is held for no loan (a settled loan's provision until the next month end,
a written-off loan's provision the loss did not use). A manual journal on the allowance
moves the ledger, not this book, so shows as a difference.

Amounts are minor units on each account's normal side: what a loan owes and what a member
holds are positive. `difference_minor` is ledger less book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.chart import (
    ALLOWANCE_FOR_LOAN_LOSSES,
    LOAN_FEES_RECEIVABLE,
    LOAN_INTEREST_RECEIVABLE,
    LOANS_TO_MEMBERS,
    MEMBERS_SHARES,
)
from ledger.journal_stream import server_side_rows
from ledger.money_attribute import StoredMoney
from ledger.transaction import driver_connection, require_transaction

BREAKS_SHOWN_MAX: Final = 20

# One pass over the postings of the control accounts and the accounts under them (`sums`),
# hash joins throughout: the cost is one scan of those postings, not a probe per account.
_LINES: Final[LiteralString] = """
WITH controls AS (
    SELECT a.id, a.code, a.currency, c.component
    FROM ledger_accounts AS a
    JOIN (VALUES (%(loans)s, 'principal'), (%(interest)s, 'interest'), (%(fees)s, 'fees'),
                 (%(shares)s, 'shares'), (%(allowance)s, 'allowance'))
         AS c(code, component) ON c.code = a.code
), accounts AS MATERIALIZED (
    SELECT a.id, a.code, a.currency, a.balance_minor,
           coalesce(under.component, own.component) AS component, own.id IS NOT NULL AS control
    FROM ledger_accounts AS a
    LEFT JOIN controls AS under ON under.id = a.parent_id
    LEFT JOIN controls AS own ON own.id = a.id
    WHERE under.id IS NOT NULL OR own.id IS NOT NULL
), sums AS MATERIALIZED (
    SELECT p.account_id,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.business_date <= %(d)s), 0) AS to_date,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.business_date > %(d)s), 0) AS after
    FROM postings AS p
    JOIN accounts AS a ON a.id = p.account_id
    GROUP BY p.account_id
), journal_only AS (
    SELECT p.account_id, sum(p.amount_minor) AS minor
    FROM postings AS p
    JOIN accounts AS a ON a.id = p.account_id
    JOIN journal_entries AS e ON e.id = p.entry_id
    WHERE a.component IN ('principal', 'interest', 'fees') AND NOT a.control
      AND p.business_date <= %(d)s AND e.kind LIKE 'loan.%%'
      AND NOT EXISTS (SELECT 1 FROM loan_transactions AS t WHERE t.journal_entry_id = e.id)
    GROUP BY p.account_id
), recorded AS (
    SELECT t.loan_id, c.component, sum(c.minor) AS minor
    FROM loan_transactions AS t
    CROSS JOIN LATERAL (VALUES
        ('principal', CASE WHEN t.kind IN ('disbursement', 'unpaid') THEN t.principal_minor
                           WHEN t.kind IN ('repayment', 'collection', 'withdrawal', 'write_off')
                           THEN -t.principal_minor ELSE 0 END),
        ('interest', CASE WHEN t.kind IN ('repayment', 'collection', 'withdrawal', 'write_off')
                          THEN -t.interest_minor WHEN t.kind = 'unpaid' THEN t.interest_minor
                          ELSE 0 END),
        ('fees', CASE WHEN t.kind IN ('late_fee', 'nsf_fee', 'unpaid') THEN t.fees_minor
                      WHEN t.kind IN ('repayment', 'collection', 'withdrawal', 'write_off')
                      THEN -t.fees_minor ELSE 0 END)
    ) AS c(component, minor)
    WHERE t.business_date <= %(d)s
    GROUP BY t.loan_id, c.component
), loan_rows AS MATERIALIZED (
    SELECT 'loan'::text AS section, l.currency, a.code AS account_code, c.component,
           l.member_id, l.id AS loan_id, NULL::text AS share_account, l.status::text AS status,
           coalesce(r.minor, 0) + coalesce(j.minor, 0) AS book_minor,
           coalesce(x.to_date, 0) AS ledger_minor
    FROM loans AS l
    CROSS JOIN LATERAL (VALUES ('principal', l.principal_account_id),
                               ('interest', l.interest_account_id),
                               ('fees', l.fees_account_id)) AS c(component, account_id)
    JOIN ledger_accounts AS a ON a.id = c.account_id
    LEFT JOIN sums AS x ON x.account_id = c.account_id
    LEFT JOIN journal_only AS j ON j.account_id = c.account_id
    LEFT JOIN recorded AS r ON r.loan_id = l.id AND r.component = c.component
    WHERE l.disbursed_on <= %(d)s
), share_rows AS MATERIALIZED (
    SELECT 'share'::text AS section, a.currency, a.code AS account_code,
           'shares'::text AS component, s.member_id, NULL::bigint AS loan_id,
           s.account_number AS share_account, s.status::text AS status,
           CASE WHEN s.id IS NULL THEN 0
                ELSE -(a.balance_minor - coalesce(x.after, 0)) END AS book_minor,
           -coalesce(x.to_date, 0) AS ledger_minor
    FROM accounts AS a
    LEFT JOIN share_accounts AS s ON s.ledger_account_id = a.id
    LEFT JOIN sums AS x ON x.account_id = a.id
    WHERE a.component = 'shares' AND NOT a.control
      AND (s.opened_on <= %(d)s OR s.id IS NULL AND coalesce(x.to_date, 0) <> 0)
    UNION ALL
    SELECT 'share', a.currency, a.code, 'shares', s.member_id, NULL, s.account_number,
           s.status::text,
           -(a.balance_minor - coalesce((SELECT sum(p.amount_minor) FROM postings AS p
                                        WHERE p.account_id = a.id
                                          AND p.business_date > %(d)s), 0)),
           0
    FROM share_accounts AS s
    JOIN ledger_accounts AS a ON a.id = s.ledger_account_id
    WHERE s.opened_on <= %(d)s
      AND NOT EXISTS (SELECT 1 FROM accounts AS c WHERE c.id = a.id AND c.component = 'shares')
), allowance_run AS (
    SELECT DISTINCT ON (r.currency) r.currency, r.business_date, r.unassigned_minor
    FROM loan_allowance_history AS r
    WHERE r.business_date <= %(d)s
    ORDER BY r.currency, r.business_date DESC
), allowance_book AS (
    SELECT c.currency,
           coalesce(r.unassigned_minor, 0)
           + coalesce((SELECT sum(h.provision_minor)
                       FROM loan_arrears_history AS h JOIN loans AS l ON l.id = h.loan_id
                       WHERE h.business_date = r.business_date AND l.currency = c.currency), 0)
           - coalesce((SELECT sum(p.amount_minor)
                       FROM loan_transactions AS t
                       JOIN loans AS l ON l.id = t.loan_id
                       JOIN postings AS p ON p.entry_id = t.journal_entry_id
                       JOIN accounts AS a ON a.id = p.account_id AND a.component = 'allowance'
                       WHERE t.kind = 'write_off' AND l.currency = c.currency
                         AND t.business_date <= %(d)s
                         AND (r.business_date IS NULL OR t.business_date > r.business_date)),
                      0) AS minor
    FROM controls AS c
    LEFT JOIN allowance_run AS r ON r.currency = c.currency
    WHERE c.component = 'allowance'
), books AS (
    SELECT component, currency, sum(book_minor) AS minor FROM loan_rows
    GROUP BY component, currency
    UNION ALL
    SELECT 'shares', currency, sum(book_minor) FROM share_rows GROUP BY currency
    UNION ALL
    SELECT 'allowance', currency, minor FROM allowance_book
), control_rows AS (
    SELECT 'control'::text AS section, c.currency, c.code AS account_code, c.component,
           NULL::bigint AS member_id, NULL::bigint AS loan_id, NULL::text AS share_account,
           NULL::text AS status,
           coalesce(b.minor, 0) AS book_minor,
           CASE WHEN c.component IN ('shares', 'allowance') THEN -coalesce(g.minor, 0)
                ELSE coalesce(g.minor, 0) END AS ledger_minor
    FROM controls AS c
    LEFT JOIN (
        SELECT a.component, a.currency, sum(x.to_date) AS minor
        FROM accounts AS a JOIN sums AS x ON x.account_id = a.id
        GROUP BY a.component, a.currency
    ) AS g ON g.component = c.component AND g.currency = c.currency
    LEFT JOIN books AS b ON b.component = c.component AND b.currency = c.currency
)
SELECT section, currency, account_code, component, member_id, loan_id, share_account, status,
       book_minor::bigint, ledger_minor::bigint,
       (ledger_minor - book_minor)::bigint AS difference_minor
FROM (
    SELECT * FROM loan_rows
    UNION ALL SELECT * FROM share_rows
    UNION ALL SELECT * FROM control_rows
) AS lines
"""


_ORDER: Final[LiteralString] = """
ORDER BY CASE section WHEN 'control' THEN 0 WHEN 'loan' THEN 1 ELSE 2 END,
         account_code, component
"""

_ALL_LINES: Final[LiteralString] = "SELECT * FROM (" + _LINES + ") AS l" + _ORDER

_BREAKS: Final[LiteralString] = (
    "SELECT *, count(*) OVER () FROM (" + _LINES + ") AS l "
    "WHERE difference_minor <> 0" + _ORDER + "LIMIT %(n)s"
)


@dataclass(frozen=True, slots=True)
class ReconciliationLine:
    section: str  # "control", "loan" or "share"
    currency: str
    account_code: str
    component: str  # principal, interest, fees, shares or allowance
    member_id: int | None
    loan_id: int | None
    share_account: str | None  # the share account's number
    status: str | None
    book_minor: int
    ledger_minor: int
    difference_minor: int
    book = StoredMoney("book_minor")
    ledger = StoredMoney("ledger_minor")
    difference = StoredMoney("difference_minor")

    def describe(self) -> str:
        if self.loan_id is not None:
            whose = f"loan {self.loan_id} {self.component}"
        elif self.share_account is not None:
            whose = f"share account {self.share_account}"
        elif self.section == "share":
            whose = "an account under members' shares that no share account owns"
        else:
            whose = f"{self.component} control"
        return (
            f"{whose} (account {self.account_code}): ledger {self.ledger}, "
            f"book {self.book}, difference {self.difference}"
        )


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    as_of: dt.date
    breaks: tuple[ReconciliationLine, ...]
    breaks_total: int  # breaks may be cut to the first BREAKS_SHOWN_MAX

    @property
    def ok(self) -> bool:
        return self.breaks_total == 0

    def summary(self) -> str:
        if self.ok:
            return f"reconciled as at {self.as_of}: the loan book and members' shares agree"
        shown = "; ".join(line.describe() for line in self.breaks)
        more = self.breaks_total - len(self.breaks)
        tail = f"; and {more} more" if more else ""
        return f"{self.breaks_total} reconciliation breaks as at {self.as_of}: {shown}{tail}"


class ReconciliationBroken(RuntimeError):
    """A sub-ledger disagrees with the general ledger: close of business stops here."""

    def __init__(self, report: ReconciliationReport) -> None:
        super().__init__(report.summary())
        self.report = report


def _params(as_of: dt.date) -> dict[str, Any]:
    return {
        "d": as_of,
        "loans": LOANS_TO_MEMBERS,
        "interest": LOAN_INTEREST_RECEIVABLE,
        "fees": LOAN_FEES_RECEIVABLE,
        "shares": MEMBERS_SHARES,
        "allowance": ALLOWANCE_FOR_LOAN_LOSSES,
    }


def reconciliation_lines(session: Session, *, as_of: dt.date) -> Iterator[ReconciliationLine]:
    """Every line, control accounts first, then loans and share accounts by account code;
    streamed from a server-side cursor (for exports)."""
    for row in server_side_rows(session, _ALL_LINES, _params(as_of)):
        yield ReconciliationLine(*row)


def reconcile(session: Session, *, as_of: dt.date) -> ReconciliationReport:
    """The breaks as at `as_of` (the first `BREAKS_SHOWN_MAX` of them, and how many)."""
    require_transaction(session)
    # A plain cursor, not a server-side one: a cursor's plan aims at its first rows
    # (nested loops), where this query wants every row hashed once.
    with driver_connection(session).cursor() as cursor:
        rows = cursor.execute(_BREAKS, {**_params(as_of), "n": BREAKS_SHOWN_MAX}).fetchall()
    breaks = tuple(ReconciliationLine(*row[:-1]) for row in rows)
    return ReconciliationReport(
        as_of=as_of, breaks=breaks, breaks_total=int(rows[0][-1]) if rows else 0
    )
