"""What the loans tables say about a member's borrowing and the PAL portfolio.

The decision and the rule sets need these facts; they are read here, in the same
transaction as the command that relies on them and under the member's lock, rather than
passed in, so limits such as one payday alternative loan at a time cannot be raced.
A loan withdrawn under the 14-day right counts as never made; a written-off loan still
owed counts as outstanding.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.money import Money
from loans.calendar import add_months
from loans.decision import ExistingLoan, LoanHistory, SettledLoan
from loans.frequency import Frequency
from loans.registry import RULE_SETS, is_pal

# A written-off loan is still owed until recoveries reach what was written off: it counts
# as outstanding (and as a PAL outstanding), so a one-loan policy holds across write-offs.
_MEMBER_LOANS = text("""
WITH owing AS (
    SELECT *,
           status = 'active'
           OR (status = 'written_off' AND recovered_minor < written_off_minor) AS owed
    FROM loans WHERE member_id = :member
)
SELECT count(*) FILTER (WHERE owed) AS outstanding,
       count(*) FILTER (WHERE status = 'active' AND days_past_due > 0) AS in_arrears,
       count(*) FILTER (WHERE status = 'written_off' AND owed) AS written_off_owing,
       count(*) FILTER (WHERE status <> 'withdrawn') AS previous,
       count(*) FILTER (WHERE owed AND rule_set = ANY(:pal)) AS outstanding_pals,
       coalesce(array_agg(disbursed_on ORDER BY disbursed_on)
           FILTER (WHERE status <> 'withdrawn' AND disbursed_on >= :since), '{}') AS recent,
       coalesce(array_agg(disbursed_on ORDER BY disbursed_on)
           FILTER (WHERE status <> 'withdrawn' AND disbursed_on >= :since
                   AND rule_set = ANY(:pal)), '{}') AS recent_pals
FROM owing
""")

# The instalments the member is paying, and the loans they settled lately (a loan made
# close to a settlement may roll it over).
_ACTIVE_LOANS = text("""
SELECT id, instalment_minor, frequency, currency FROM loans
WHERE member_id = :member AND status = 'active' ORDER BY id
""")

_SETTLED_LOANS = text("""
SELECT id, settled_on, rule_set = ANY(:pal) AS pal FROM loans
WHERE member_id = :member AND status = 'settled' AND settled_on >= :since
ORDER BY settled_on, id
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
    params = {"member": member_id, "since": since, "pal": pal}
    row = session.execute(_MEMBER_LOANS, params).one()
    active = session.execute(_ACTIVE_LOANS, params).all()
    settled = session.execute(_SETTLED_LOANS, params).all()
    return LoanHistory(
        outstanding_loans=int(row.outstanding),
        loans_in_arrears=int(row.in_arrears),
        previous_loans=int(row.previous),
        originations=tuple(row.recent),
        outstanding_pals=int(row.outstanding_pals),
        pal_originations=tuple(row.recent_pals),
        portfolio_pal_balances=pal_portfolio(session, currency=currency),
        written_off_owing=int(row.written_off_owing),
        active_loans=tuple(
            ExistingLoan(
                loan_id=int(loan.id),
                instalment=Money.from_minor(int(loan.instalment_minor), loan.currency),
                frequency=Frequency(loan.frequency),
            )
            for loan in active
        ),
        settled_loans=tuple(
            SettledLoan(loan_id=int(loan.id), settled_on=loan.settled_on, pal=bool(loan.pal))
            for loan in settled
        ),
    )


def pal_portfolio(session: Session, *, currency: str) -> Money:
    """Principal outstanding on every active payday alternative loan in `currency`."""
    total = session.scalar(_PAL_PORTFOLIO, {"pal": pal_codes(), "currency": currency.upper()})
    return Money.from_minor(int(total or 0), currency)
