"""Close of business, loans: non-accrual status and interest held in suspense.

The policy (docs/loans.md, "Non-accrual"): a loan goes on non-accrual when it is at least
its rule set's `non_accrual_after_days` past due (90 by default, US practice). From then on

* the interest accrued and unpaid (the loan's interest receivable) is taken out of income
  into interest in suspense, a contra-asset beside the receivable: Dr loan interest income,
  Cr interest in suspense;
* interest still accrues on the loan's receivable (the member owes it under the contract)
  and each day's accrual is suspended the same way, so income never sees it;
* interest paid in cash (the receivable falling below what is suspended) is recognised as
  it is received: Dr interest in suspense, Cr loan interest income (cash basis);
* the loan returns to accrual once it is current again (0 days past due); what is still in
  suspense, interest of the period not yet due, goes back to income. A loan settled or
  withdrawn releases the rest the same day: it has been paid. A write-off clears the
  suspended interest against the suspense account, never against the allowance.

The member's debt is never changed: the receivable keeps what the contract says is owed,
and the loan's carrying amount is the receivable less the suspense.

One statement over the loans concerned computes each loan's suspense as at the business
date (the receivable, postings of later dates taken off), stores it with the status, and
returns the differences; the net posts as one entry per currency, keyed
`cob:{date}:loan-non-accrual:{currency}`, with the gross figures in its metadata. A loan
whose suspense already equals its receivable changes nothing, so a rerun posts nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.actors import COB_ACTOR
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.posting import post_entry
from ledger.transaction import require_transaction
from loans.registry import RULE_SETS
from loans.services.accounts import chart

_SUSPEND = text("""
WITH later AS (
    SELECT p.account_id, sum(p.amount_minor) AS moved
    FROM journal_entries e JOIN postings p ON p.entry_id = e.id
    WHERE e.business_date > :d
    GROUP BY p.account_id
), policy AS (
    SELECT * FROM unnest(CAST(:rule_sets AS text[]), CAST(:days AS int[])) AS p(rule_set, days)
), candidates AS (
    SELECT l.id, l.status, l.days_past_due AS dpd, l.non_accrual_since AS since,
           l.suspended_interest_minor AS before, policy.days,
           greatest(i.balance_minor - coalesce(later.moved, 0), 0) AS receivable
    FROM loans l
    JOIN policy ON policy.rule_set = l.rule_set
    JOIN ledger_accounts i ON i.id = l.interest_account_id
    LEFT JOIN later ON later.account_id = i.id
    WHERE (l.status = 'active' AND (l.non_accrual_since IS NOT NULL OR l.days_past_due >= policy.days))
       OR (l.status IN ('settled', 'withdrawn')
           AND (l.non_accrual_since IS NOT NULL OR l.suspended_interest_minor <> 0))
), decided AS (
    SELECT candidates.*,
           status = 'active' AND (dpd >= days OR (since IS NOT NULL AND dpd > 0)) AS stays
    FROM candidates
), target AS (
    SELECT decided.*,
           CASE WHEN stays THEN coalesce(since, CAST(:d AS date)) END AS new_since,
           CASE WHEN stays THEN receivable ELSE 0 END AS after
    FROM decided
)
UPDATE loans l SET non_accrual_since = t.new_since, suspended_interest_minor = t.after
FROM target t
WHERE l.id = t.id
  AND (l.non_accrual_since, l.suspended_interest_minor) IS DISTINCT FROM (t.new_since, t.after)
RETURNING l.id, l.currency, t.before, t.after,
          t.since IS NULL AND t.stays AS entered, t.since IS NOT NULL AND NOT t.stays AS restored
""")


@dataclass(slots=True)
class _Totals:
    suspended: int = 0  # taken out of income
    recognised: int = 0  # put back into income
    entered: int = 0
    restored: int = 0


@dataclass(frozen=True, slots=True)
class NonAccrualRun:
    business_date: dt.date
    changed: int  # loans whose status or suspense changed
    entered: int  # loans put on non-accrual
    restored: int  # loans back on accrual (current again, or no longer active)
    suspended: dict[str, int] = field(default_factory=dict)  # minor units by currency
    recognised: dict[str, int] = field(default_factory=dict)  # minor units by currency
    entry_ids: tuple[uuid.UUID, ...] = ()


def apply_non_accrual(
    session: Session, *, business_date: dt.date, actor: str = COB_ACTOR
) -> NonAccrualRun:
    """Move loans on and off non-accrual and keep their unpaid interest out of income."""
    require_transaction(session)
    books = chart(session)
    codes = list(RULE_SETS)
    days = [RULE_SETS[code].provisioning.non_accrual_after_days for code in codes]
    rows = session.execute(_SUSPEND, {"d": business_date, "rule_sets": codes, "days": days}).all()
    totals: dict[str, _Totals] = {}
    for row in rows:
        total = totals.setdefault(row.currency, _Totals())
        change = int(row.after) - int(row.before)
        if change > 0:
            total.suspended += change
        else:
            total.recognised -= change
        total.entered += bool(row.entered)
        total.restored += bool(row.restored)
    entries = []
    for currency, total in sorted(totals.items()):
        net = total.suspended - total.recognised
        if not net:
            continue
        amount = Money.from_minor(abs(net), currency)
        income_side, suspense_side = Line.debit, Line.credit
        if net < 0:
            income_side, suspense_side = Line.credit, Line.debit
        entry = post_entry(
            session,
            EntryRequest(
                idempotency_key=f"cob:{business_date}:loan-non-accrual:{currency}",
                business_date=business_date,
                lines=(
                    income_side(books.interest_income, amount),
                    suspense_side(books.interest_suspense, amount),
                ),
                description=f"Interest on non-accrual loans at {business_date}",
                posted_by=actor,
                kind="loan.non_accrual",
                metadata={
                    "suspended_minor": total.suspended,
                    "recognised_minor": total.recognised,
                    "loans_entered": total.entered,
                    "loans_restored": total.restored,
                },
            ),
        )
        entries.append(entry.id)
    return NonAccrualRun(
        business_date,
        len(rows),
        sum(t.entered for t in totals.values()),
        sum(t.restored for t in totals.values()),
        {c: t.suspended for c, t in totals.items() if t.suspended},
        {c: t.recognised for c, t in totals.items() if t.recognised},
        tuple(entries),
    )
