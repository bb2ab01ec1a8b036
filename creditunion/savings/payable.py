"""Close of business: savings interest and declared dividends owed, on the books every day.

Interest on shares accrues daily in `share_accruals` but reaches the ledger only when it is
posted at the product's period end, and a dividend only when it is paid. So that the
ledger shows the cost at any date (and an auditor's interim figures agree with the sub
ledger), this step keeps the interest and dividends payable account equal to what is owed:

    owed = the whole minor units of interest accrued and not yet posted on open share
           accounts (rounded down, ROUND_DOWN, as the posting will be)
         + every dividend declared and not yet paid (the amount its period's balances earn,
           fixed once at the first close of business after the declaration: the period is
           closed, so its balances cannot change)

and posts the difference from the account's balance at the business date as one entry per
currency, keyed `cob:{date}:interest-payable:{currency}`:

    Dr dividend and interest expense / Cr interest and dividends payable   owed more
    Dr interest and dividends payable / Cr dividend and interest expense   owed less

When interest is posted to members or a dividend paid (Dr expense, Cr shares), what was
owed falls and the same day's entry takes it back out of the expense: over any period the
expense is what was posted or paid plus the change in what is owed, never twice. A rerun
finds the account already equal to what is owed and posts nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from creditunion.cob.steps import Progress, StepOutcome
from creditunion.savings.accrual import UNITS_PER_MINOR
from creditunion.savings.cob_steps import POSTED_BY, dividend_owed_minor
from creditunion.savings.models import DividendDeclaration, DividendStatus
from ledger.accounts import get_account_by_code
from ledger.chart import DIVIDEND_AND_INTEREST_EXPENSE, INTEREST_AND_DIVIDENDS_PAYABLE
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from ledger.posting import post_entry

# Interest accrued and not yet posted plus dividends declared and not yet paid, by currency.
_OWED = text("""
SELECT currency, coalesce(sum(owed), 0) AS owed FROM (
    SELECT p.currency, div(a.accrued_units, :unit) AS owed
    FROM share_accruals a
    JOIN share_accounts sa ON sa.id = a.share_account_id
    JOIN share_products p ON p.id = sa.product_id
    WHERE sa.status = 'open' AND a.accrued_units >= :unit
    UNION ALL
    SELECT p.currency, d.owed_minor
    FROM dividend_declarations d JOIN share_products p ON p.id = d.product_id
    WHERE d.status = 'declared'
) AS owing
GROUP BY currency
""")

_HELD_AT = text("""
SELECT -(a.balance_minor - coalesce((
    SELECT sum(p.amount_minor) FROM postings p
    WHERE p.account_id = a.id AND p.business_date > :d), 0))
FROM ledger_accounts a WHERE a.id = :account
FOR UPDATE
""")


def accrue_interest_payable(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    _fix_declared_amounts(session)
    owed_by_currency = {
        row.currency: int(row.owed) for row in session.execute(_OWED, {"unit": UNITS_PER_MINOR})
    }
    payable = get_account_by_code(session, INTEREST_AND_DIVIDENDS_PAYABLE)
    expense = get_account_by_code(session, DIVIDEND_AND_INTEREST_EXPENSE)
    currency = payable.currency
    unexpected = set(owed_by_currency) - {currency}
    assert not unexpected, f"share products are in the books' currency, not {unexpected}"
    owed_minor = owed_by_currency.get(currency, 0)
    held_minor = int(session.scalar(_HELD_AT, {"d": business_date, "account": payable.id}) or 0)
    # Both figures are SQL sums in minor units (kept as read in the entry's metadata):
    # converted once here, and the entry is planned in Money.
    owed = Money.from_minor(owed_minor, currency)
    movement = owed - Money.from_minor(held_minor, currency)
    if movement:
        amount = abs(movement)
        expense_side, payable_side = Line.debit, Line.credit
        if movement.is_negative():
            expense_side, payable_side = Line.credit, Line.debit
        post_entry(
            session,
            EntryRequest(
                idempotency_key=f"cob:{business_date}:interest-payable:{currency}",
                business_date=business_date,
                lines=(expense_side(expense.id, amount), payable_side(payable.id, amount)),
                description=f"Interest and dividends owed to members at {business_date}",
                posted_by=POSTED_BY,
                kind="savings.payable",
                metadata={"owed_minor": owed_minor, "held_minor": held_minor},
            ),
        )
    progress(1, 1)
    return StepOutcome(
        items=1 if movement else 0,
        totals={f"owed_{currency}": str(owed.amount), f"movement_{currency}": str(movement.amount)},
    )


def _fix_declared_amounts(session: Session) -> None:
    """A declaration's amount, once: the balances of its (closed) period earn it."""
    pending = session.scalars(
        select(DividendDeclaration)
        .where(
            DividendDeclaration.status == DividendStatus.DECLARED,
            DividendDeclaration.owed_minor.is_(None),
        )
        .order_by(DividendDeclaration.id)
        .with_for_update()
    ).all()
    for declaration in pending:
        declaration.owed_minor = dividend_owed_minor(session, declaration)
    session.flush()
