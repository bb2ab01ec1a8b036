"""Close-of-business steps for savings: accrue daily, post at period ends, pay dividends.

Each is a few set-based statements over every share account; money moves only through
the ledger (`ledger.fan_out`, i.e. batch posting). Balances are taken as of the end of the
business date being closed: postings already made on later dates (the online day moved on
when COB started) are subtracted from the stored balance.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import CursorResult, select, text
from sqlalchemy.orm import Session

from creditunion.actors import COB_ACTOR
from creditunion.cob.steps import Progress, StepOutcome
from creditunion.savings.accrual import UNITS_PER_MINOR, daily_factor, is_period_end, rate_units
from creditunion.savings.models import DividendDeclaration, DividendStatus
from creditunion.shares.models import ReturnBasis, ShareProduct
from ledger.accounts import get_account_by_code
from ledger.chart import DIVIDEND_AND_INTEREST_EXPENSE
from ledger.fan_out import Direction, fan_out
from ledger.money import Money

POSTED_BY: Final = COB_ACTOR
STREAM_ROWS: Final = 10_000

# End-of-day balance on the shares' normal (credit) side, as of :d.
_BALANCES_AS_OF = """
later AS (
    SELECT p.account_id, sum(p.amount_minor) AS moved
    FROM journal_entries e JOIN postings p ON p.entry_id = e.id
    WHERE e.business_date > :d
    GROUP BY p.account_id
)
"""

# The day's interest in accrual units rounded half-up (ROUND_HALF_UP), as
# accrual.daily_accrual_units: div(2x + den, 2 den) is floor(x / den + 1/2).
_ACCRUE = text(f"""
WITH {_BALANCES_AS_OF}, factors AS (
    SELECT * FROM unnest(CAST(:product_ids AS int[]), CAST(:nums AS numeric[]),
                         CAST(:dens AS numeric[])) AS f(product_id, num, den)
), earned AS (
    SELECT sa.id, div(2 * b.balance * f.num + f.den, 2 * f.den) AS units
    FROM share_accounts sa
    JOIN factors f ON f.product_id = sa.product_id
    JOIN ledger_accounts la ON la.id = sa.ledger_account_id
    LEFT JOIN later ON later.account_id = la.id
    CROSS JOIN LATERAL (SELECT -(la.balance_minor - coalesce(later.moved, 0))::numeric AS balance) b
    WHERE sa.status = 'open' AND sa.opened_on <= :d AND b.balance > 0
), accrued AS (
    INSERT INTO share_accruals AS a (share_account_id, accrued_units, last_accrued_on)
    SELECT id, units, :d FROM earned
    ON CONFLICT (share_account_id) DO UPDATE
        SET accrued_units = a.accrued_units + excluded.accrued_units,
            last_accrued_on = excluded.last_accrued_on
        WHERE a.last_accrued_on < excluded.last_accrued_on
    RETURNING a.share_account_id, a.accrued_units
)
INSERT INTO share_accrual_history (share_account_id, business_date, accrued_units, accrued_through)
SELECT share_account_id, :d, accrued_units, :d FROM accrued
""")

# The whole minor units accrued, rounded down (ROUND_DOWN; never negative), as
# accrual.split_whole_minor; _CARRY_REMAINDER keeps the rest.
_DUE_FOR_POSTING = text("""
SELECT sa.ledger_account_id, div(a.accrued_units, :unit)::bigint AS whole
FROM share_accruals a JOIN share_accounts sa ON sa.id = a.share_account_id
WHERE sa.product_id = ANY(:product_ids) AND sa.status = 'open' AND a.accrued_units >= :unit
ORDER BY sa.ledger_account_id
""")

# The day's history row (written by the accrual step, or new if the account did not
# accrue today) takes the figures after posting: the remainder carried.
_CARRY_REMAINDER = text("""
WITH carried AS (
    UPDATE share_accruals a
    SET accrued_units = mod(a.accrued_units, :unit),
        posted_total_minor = a.posted_total_minor + div(a.accrued_units, :unit)::bigint,
        last_posted_on = :d
    FROM share_accounts sa
    WHERE sa.id = a.share_account_id AND sa.product_id = ANY(:product_ids)
      AND sa.status = 'open' AND a.accrued_units >= :unit
    RETURNING a.share_account_id, a.accrued_units, a.last_accrued_on
)
INSERT INTO share_accrual_history AS h
    (share_account_id, business_date, accrued_units, accrued_through)
SELECT share_account_id, :d, accrued_units, last_accrued_on FROM carried
ON CONFLICT (share_account_id, business_date) DO UPDATE
    SET accrued_units = excluded.accrued_units
""")

_UNPOSTABLE = text("""
SELECT count(*) FROM share_accruals a JOIN share_accounts sa ON sa.id = a.share_account_id
WHERE sa.product_id = ANY(:product_ids) AND sa.status <> 'open' AND a.accrued_units > 0
""")

# Each account's dividend in minor units rounded down (ROUND_DOWN; only positive sums), as
# accrual.dividend_minor.
_BALANCE_DAYS = text("""
WITH accounts AS (
    SELECT sa.ledger_account_id AS id FROM share_accounts sa
    WHERE sa.product_id = :product AND sa.opened_on <= :period_end AND sa.status = 'open'
), opening AS (
    SELECT p.account_id, sum(p.amount_minor) AS s FROM postings p
    JOIN accounts a ON a.id = p.account_id WHERE p.business_date < :period_start
    GROUP BY p.account_id
), moves AS (
    SELECT p.account_id,
        sum(p.amount_minor * CAST((CAST(:period_end AS date) - p.business_date) + 1 AS numeric)) AS w
    FROM postings p JOIN accounts a ON a.id = p.account_id
    WHERE p.business_date BETWEEN :period_start AND :period_end
    GROUP BY p.account_id
)
SELECT a.id, div(
    -(coalesce(o.s, 0) * :days + coalesce(m.w, 0)) * CAST(:rate_units AS numeric),
    365 * CAST(:rate_scale AS numeric)
)::bigint AS dividend
FROM accounts a LEFT JOIN opening o ON o.account_id = a.id LEFT JOIN moves m ON m.account_id = a.id
WHERE -(coalesce(o.s, 0) * :days + coalesce(m.w, 0)) > 0
ORDER BY a.id
""")


def _interest_products(session: Session) -> list[ShareProduct]:
    return list(
        session.scalars(
            select(ShareProduct).where(
                ShareProduct.return_basis == ReturnBasis.INTEREST,
                ShareProduct.annual_rate > 0,
            )
        )
    )


def accrue_savings_interest(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    products = _interest_products(session)
    factors = [
        daily_factor(
            annual_rate=p.annual_rate or Decimal(0), day_count=p.day_count, on=business_date
        )
        for p in products
    ]
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        _ACCRUE,
        {
            "d": business_date,
            "product_ids": [p.id for p in products],
            "nums": [f.numerator for f in factors],
            "dens": [f.denominator for f in factors],
        },
    )
    accruing = result.rowcount
    progress(accruing, accruing)
    return StepOutcome(items=accruing, totals={"accounts_accruing": str(accruing)})


def post_savings_interest(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    """At each interest product's period end, post the whole minor units accrued."""
    due = [
        p for p in _interest_products(session) if is_period_end(p.posting_frequency, business_date)
    ]
    totals: dict[str, str] = {}
    posted_lines = 0
    for currency in sorted({p.currency for p in due}):
        ids = [p.id for p in due if p.currency == currency]
        params = {"product_ids": ids, "unit": UNITS_PER_MINOR, "d": business_date}
        # Streamed from a server-side cursor: memory stays flat however many accounts.
        due_rows = session.execute(
            _DUE_FOR_POSTING, params, execution_options={"yield_per": STREAM_ROWS}
        )
        pairs = ((int(row[0]), int(row[1])) for row in due_rows)
        expense = get_account_by_code(session, DIVIDEND_AND_INTEREST_EXPENSE)
        result = fan_out(
            session,
            common_account_id=expense.id,
            many=pairs,
            currency=currency,
            direction=Direction.CREDIT_MANY,
            business_date=business_date,
            key_prefix=f"cob:{business_date}:savings-interest:{currency}",
            description=f"Interest on shares to {business_date}",
            kind="savings_interest",
            posted_by=POSTED_BY,
        )
        carried: CursorResult[Any] = session.execute(_CARRY_REMAINDER, params)  # type: ignore[assignment]
        assert carried.rowcount == result.lines, "carried exactly the accounts posted"
        unpostable = int(session.scalar(_UNPOSTABLE, params) or 0)
        totals[currency] = str(Money.from_minor(result.total_minor, currency).amount)
        totals[f"{currency}_accounts"] = str(result.lines)
        totals[f"{currency}_closed_accounts_with_accrual"] = str(unpostable)
        posted_lines += result.lines
        progress(posted_lines, None)
    return StepOutcome(items=posted_lines, totals=totals)


def pay_dividends(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
    """Pay every declared dividend due on or before this date, once."""
    declarations = session.scalars(
        select(DividendDeclaration)
        .where(
            DividendDeclaration.status == DividendStatus.DECLARED,
            DividendDeclaration.pay_on <= business_date,
        )
        .order_by(DividendDeclaration.id)
        .with_for_update()
    ).all()
    expense = get_account_by_code(session, DIVIDEND_AND_INTEREST_EXPENSE)
    totals: dict[str, str] = {}
    paid_lines = 0
    for declaration in declarations:
        product = session.get_one(ShareProduct, declaration.product_id)
        rows = session.execute(
            _BALANCE_DAYS,
            _balance_days_params(declaration),
            execution_options={"yield_per": STREAM_ROWS},
        )
        pairs = ((int(row[0]), int(row[1])) for row in rows)
        result = fan_out(
            session,
            common_account_id=expense.id,
            many=pairs,
            currency=product.currency,
            direction=Direction.CREDIT_MANY,
            business_date=business_date,
            key_prefix=f"cob:{business_date}:dividend:{declaration.id}",
            description=(
                f"Dividend {declaration.annual_rate * 100:.2f}% for "
                f"{declaration.period_start} to {declaration.period_end}"
            ),
            kind="dividend",
            posted_by=POSTED_BY,
        )
        declaration.status = DividendStatus.PAID
        declaration.paid_members = result.lines
        declaration.paid_total_minor = result.total_minor
        totals[f"declaration_{declaration.id}"] = str(
            Money.from_minor(result.total_minor, product.currency).amount
        )
        paid_lines += result.lines
        progress(paid_lines, None)
    session.flush()
    return StepOutcome(items=paid_lines, totals=totals)


def dividend_owed_minor(session: Session, declaration: DividendDeclaration) -> int:
    """What the declaration pays if the accounts open now are open on its payment date."""
    total = session.scalar(
        text(f"SELECT coalesce(sum(dividend), 0) FROM ({_BALANCE_DAYS.text}) AS owed"),
        _balance_days_params(declaration),
    )
    return int(total or 0)


def _balance_days_params(declaration: DividendDeclaration) -> dict[str, Any]:
    return {
        "product": declaration.product_id,
        "period_start": declaration.period_start,
        "period_end": declaration.period_end,
        "days": (declaration.period_end - declaration.period_start).days + 1,
        "rate_units": rate_units(declaration.annual_rate),
        "rate_scale": 10**8,
    }
