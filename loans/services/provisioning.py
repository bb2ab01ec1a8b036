"""Close of business at a month end: the loan-loss provision and the allowance that holds it.

One statement over the whole book gives each loan the provision its rule set requires
(`loans.provisioning` is the same rule in Python, for the worked figures):

    outstanding = principal + interest receivable + fees receivable - interest in suspense,
                  all as at the business date (postings dated later are taken off)
    provision   = outstanding x the highest rate of the performing rate and every band the
                  loan's arrears are older than, rounded half-up to whole minor units

and stores it on the loan (`provision_minor`; a loan no longer active needs none). Each
rule set's change in its loans' provisions posts as one entry per rule set and currency,
keyed `cob:{date}:loan-provision:{currency}:{rule set}`:

    Dr impairment expense / Cr allowance for loan losses    when the provision grows
    Dr allowance for loan losses / Cr impairment expense    when it is released

The allowance then holds the sum of the loans' provisions. Anything else it holds (an
adjustment posted by hand, say) is brought to that sum by one more entry keyed
`cob:{date}:loan-provision:{currency}` (a write-off takes only its own loan's provision and
such unassigned amounts, `loans.services.writeoff`, so nothing else leaves it). A rerun
finds every provision already stored and the allowance already equal: nothing posts.

Each run also records, per currency, what the allowance holds as at the date for no loan
on that date's history rows (`loan_allowance_history`), so the reconciliation can give the
allowance a book as at any date.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.actors import COB_ACTOR
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.posting import post_entry
from ledger.transaction import require_transaction
from loans.registry import RULE_SETS
from loans.rulesets.provisioning import ArrearsUnit
from loans.services.accounts import Chart, chart

PERFORMING: Final = "performing"

# Loan balances as at :d: the stored balance less what was posted on later dates (the
# online day moves on while close of business runs).
_LATER = """
later AS (
    SELECT p.account_id, sum(p.amount_minor) AS moved
    FROM journal_entries e JOIN postings p ON p.entry_id = e.id
    WHERE e.business_date > :d
    GROUP BY p.account_id
)
"""

# `round(numeric)` in PostgreSQL rounds half away from zero; the product is only rounded
# when the outstanding balance is positive, so this is ROUND_HALF_UP, the mode
# `loans.provisioning` names for the same figure in Python.
_PROVIDE = text(f"""
WITH {_LATER}, bands AS (
    SELECT * FROM unnest(CAST(:rule_sets AS text[]), CAST(:more_than AS int[]),
                         CAST(:units AS text[]), CAST(:rates AS numeric[]))
        AS b(rule_set, more_than, unit, rate)
), book AS (
    SELECT l.id, l.rule_set, l.days_past_due AS dpd, l.provision_minor AS before,
           CASE WHEN l.status = 'active'
                THEN p.balance_minor - coalesce(lp.moved, 0)
                   + i.balance_minor - coalesce(li.moved, 0)
                   + f.balance_minor - coalesce(lf.moved, 0)
                   - l.suspended_interest_minor
                ELSE 0 END AS outstanding
    FROM loans l
    JOIN ledger_accounts p ON p.id = l.principal_account_id
    JOIN ledger_accounts i ON i.id = l.interest_account_id
    JOIN ledger_accounts f ON f.id = l.fees_account_id
    LEFT JOIN later lp ON lp.account_id = p.id
    LEFT JOIN later li ON li.account_id = i.id
    LEFT JOIN later lf ON lf.account_id = f.id
    WHERE l.status = 'active' OR l.provision_minor <> 0
), target AS (
    SELECT book.id, book.before,
           CASE WHEN book.outstanding <= 0 THEN 0 ELSE CAST(round(book.outstanding * coalesce((
               SELECT max(b.rate) FROM bands b
               WHERE b.rule_set = book.rule_set
                 AND (b.unit = '{PERFORMING}'
                      OR (book.dpd > 0 AND b.unit = '{ArrearsUnit.DAYS}'
                          AND book.dpd > b.more_than)
                      OR (book.dpd > 0 AND b.unit = '{ArrearsUnit.MONTHS}'
                          AND CAST((CAST(:d AS date) - book.dpd)
                                   + make_interval(months => b.more_than) AS date) < :d))
           ), 0)) AS bigint) END AS provision
    FROM book
)
UPDATE loans l SET provision_minor = t.provision, provisioned_on = :d
FROM target t
WHERE l.id = t.id AND l.provision_minor <> t.provision
RETURNING l.rule_set, l.currency, t.provision - t.before AS movement
""")

# Each loan's provision on the day's arrears history row (`loans.history_models`), so the
# loan book as at a later date reads the provision then in force; a rerun writes it again.
_RECORD = text("""
UPDATE loan_arrears_history h SET provision_minor = l.provision_minor
FROM loans l WHERE h.business_date = :d AND h.loan_id = l.id
""")

# What the allowance holds as at the date beyond that date's history rows: the debits of
# write-offs dated later and already posted (the step reads the allowance as it stands, so
# its entries at the date leave those in). Stored per run (`loans.history_models`) for the
# reconciliation's allowance book; a rerun writes the figure again.
_RECORD_UNASSIGNED = text("""
INSERT INTO loan_allowance_history (business_date, currency, unassigned_minor)
SELECT :d, :currency, coalesce(sum(p.amount_minor), 0)
FROM loan_transactions t
JOIN postings p ON p.entry_id = t.journal_entry_id AND p.account_id = :allowance
WHERE t.kind = 'write_off' AND t.business_date > :d
ON CONFLICT (business_date, currency) DO UPDATE SET unassigned_minor = excluded.unassigned_minor
""")

_REQUIRED = text("""
SELECT currency, rule_set, sum(provision_minor) AS provision
FROM loans WHERE provision_minor > 0
GROUP BY currency, rule_set ORDER BY currency, rule_set
""")

# The allowance as it stands, not as at the date: it is compared with the provisions stored
# on the loans, which a write-off already made on the next online day has cleared too.
_ALLOWANCE = text("""
SELECT balance_minor FROM ledger_accounts WHERE id = :allowance FOR UPDATE
""")


@dataclass(frozen=True, slots=True)
class ProvisionRun:
    business_date: dt.date
    changed: int  # loans whose provision changed
    required: dict[str, int]  # minor units by currency: what the allowance now holds
    by_rule_set: dict[str, int]  # minor units by rule set code
    movement: dict[str, int]  # minor units by rule set code: + charged, - released
    unassigned: int  # minor units the allowance held for no loan, brought to the sum
    entry_ids: tuple[uuid.UUID, ...]


def provide_for_losses(
    session: Session, *, business_date: dt.date, actor: str = COB_ACTOR
) -> ProvisionRun:
    """Provide for every loan as at `business_date` and post the allowance's movements."""
    require_transaction(session)
    books = chart(session)
    held = -int(session.scalar(_ALLOWANCE, {"allowance": books.allowance}))
    changed = session.execute(_PROVIDE, _band_params(business_date)).all()
    session.execute(_RECORD, {"d": business_date})
    movement: dict[str, int] = {}
    for row in changed:
        assert row.currency == books.currency, "loans are lent in the books' currency only"
        movement[row.rule_set] = movement.get(row.rule_set, 0) + int(row.movement)
    by_rule_set = {row.rule_set: int(row.provision) for row in session.execute(_REQUIRED)}
    required = sum(by_rule_set.values())
    entries = [
        _post(session, books, business_date, actor, amount, rule_set)
        for rule_set, amount in sorted(movement.items())
        if amount
    ]
    # What the allowance held beyond the loans' provisions before this run.
    unassigned = held - (required - sum(movement.values()))
    if unassigned:
        entries.append(_post(session, books, business_date, actor, -unassigned, None))
    session.execute(
        _RECORD_UNASSIGNED,
        {"d": business_date, "currency": books.currency, "allowance": books.allowance},
    )
    return ProvisionRun(
        business_date,
        len(changed),
        {books.currency: required} if required else {},
        by_rule_set,
        {code: amount for code, amount in movement.items() if amount},
        unassigned,
        tuple(entries),
    )


def _band_params(business_date: dt.date) -> dict[str, object]:
    rule_sets, more_than, units, rates = [], [], [], []
    for code, rules in RULE_SETS.items():
        policy = rules.provisioning
        rule_sets.append(code)
        more_than.append(-1)
        units.append(PERFORMING)
        rates.append(policy.performing_rate)
        for band in policy.bands:
            rule_sets.append(code)
            more_than.append(band.more_than)
            units.append(band.unit.value)
            rates.append(band.rate)
    return {
        "d": business_date,
        "rule_sets": rule_sets,
        "more_than": more_than,
        "units": units,
        "rates": rates,
    }


def _post(
    session: Session,
    books: Chart,
    business_date: dt.date,
    actor: str,
    movement: int,
    rule_set: str | None,
) -> uuid.UUID:
    """Charge (`movement` > 0) or release the allowance: one entry."""
    amount = Money.from_minor(abs(movement), books.currency)
    expense_side, allowance_side = Line.debit, Line.credit
    if movement < 0:
        expense_side, allowance_side = Line.credit, Line.debit
    key = f"cob:{business_date}:loan-provision:{books.currency}"
    what = "held for no loan" if rule_set is None else f"for {rule_set} loans"
    return post_entry(
        session,
        EntryRequest(
            idempotency_key=key if rule_set is None else f"{key}:{rule_set}",
            business_date=business_date,
            lines=(
                expense_side(books.impairment, amount),
                allowance_side(books.allowance, amount),
            ),
            description=f"Loan-loss provision at {business_date}, {what}",
            posted_by=actor,
            kind="loan.provision",
            metadata={} if rule_set is None else {"rule_set": rule_set},
        ),
    ).id
