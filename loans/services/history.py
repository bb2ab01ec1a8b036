"""What the loans tables say about a member's borrowing and the PAL portfolio.

The decision and the rule sets need these facts; they are read here, in the same
transaction as the command that relies on them and under the member's lock, rather than
passed in, so limits such as one payday alternative loan at a time cannot be raced.
A loan withdrawn under the 14-day right counts as never made.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.money import Money
from loans.calendar import add_months
from loans.decision import LoanHistory
from loans.registry import RULE_SETS, is_pal

_MEMBER_LOANS = text("""
SELECT count(*) FILTER (WHERE status = 'active') AS outstanding,
       count(*) FILTER (WHERE status = 'active' AND days_past_due > 0) AS in_arrears,
       count(*) FILTER (WHERE status <> 'withdrawn') AS previous,
       count(*) FILTER (WHERE status = 'active' AND rule_set = ANY(:pal)) AS outstanding_pals,
       coalesce(array_agg(disbursed_on ORDER BY disbursed_on)
           FILTER (WHERE status <> 'withdrawn' AND disbursed_on >= :since), '{}') AS recent,
       coalesce(array_agg(disbursed_on ORDER BY disbursed_on)
           FILTER (WHERE status <> 'withdrawn' AND disbursed_on >= :since
                   AND rule_set = ANY(:pal)), '{}') AS recent_pals
FROM loans WHERE member_id = :member
""")

_PAL_PORTFOLIO = text("""
SELECT coalesce(sum(a.balance_minor), 0)
FROM loans l JOIN ledger_accounts a ON a.id = l.principal_account_id
WHERE l.status = 'active' AND l.rule_set = ANY(:pal) AND l.currency = :currency
""")

# Far enough back for any window a policy or rule set counts over.
HISTORY_MONTHS = 24


def pal_codes() -> list[str]:
    return [code for code in RULE_SETS if is_pal(code)]


def member_loan_history(
    session: Session, *, member_id: int, currency: str, on: dt.date
) -> LoanHistory:
    since = add_months(on, months=-HISTORY_MONTHS)
    pal = pal_codes()
    row = session.execute(_MEMBER_LOANS, {"member": member_id, "since": since, "pal": pal}).one()
    return LoanHistory(
        outstanding_loans=int(row.outstanding),
        loans_in_arrears=int(row.in_arrears),
        previous_loans=int(row.previous),
        originations=tuple(row.recent),
        outstanding_pals=int(row.outstanding_pals),
        pal_originations=tuple(row.recent_pals),
        portfolio_pal_balances=pal_portfolio(session, currency=currency),
    )


def pal_portfolio(session: Session, *, currency: str) -> Money:
    """Principal outstanding on every active payday alternative loan in `currency`."""
    total = session.scalar(_PAL_PORTFOLIO, {"pal": pal_codes(), "currency": currency.upper()})
    return Money.from_minor(int(total or 0), currency)
