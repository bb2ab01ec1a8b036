"""The products a new credit union starts with (`creditunion init`, the demo).

Two Great Britain products lent in pounds, and the two NCUA payday alternative loans in
dollars as worked examples of the US rule sets. Products in another currency than the
credit union's books are seeded inactive: they exercise their rule sets but cannot lend.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from sqlalchemy.orm import Session

from ledger.money import Money
from loans.daycount import DayCount
from loans.frequency import Frequency
from loans.product import AmountRange, LoanProduct, TermRange, TermUnit
from loans.rate import InterestRate
from loans.rulesets.gb import GB_CREDIT_UNION, ThresholdBehaviour
from loans.rulesets.pal import PAL_I, PAL_II
from loans.services.products import ProductNotFound, create_product, get_product


def _gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def _usd(amount: str) -> Money:
    return Money(amount, "USD")


ALL_FREQUENCIES: Final = frozenset(Frequency)

# 2% a month on the reducing balance: APR 26.8% paid monthly, a third below the 3% cap,
# with no fees, so it stays far inside both the cap and the 42.6% exempt-agreement line
# at every frequency (and refuses, rather than flags, a quote that would cross it).
PAYDAY_ALTERNATIVE: Final = LoanProduct(
    name="Payday alternative",
    currency="GBP",
    amounts=AmountRange(_gbp("100"), _gbp("1000")),
    terms=TermRange(3, 12, TermUnit.MONTHS),
    frequencies=ALL_FREQUENCIES,
    rate=InterestRate.monthly(Decimal("0.02")),
    rule_set=GB_CREDIT_UNION,
    exempt_threshold=ThresholdBehaviour.REFUSE,
)

# 1% a month (12.7% APR) for larger, longer family borrowing.
FAMILY_LOAN: Final = LoanProduct(
    name="Family loan",
    currency="GBP",
    amounts=AmountRange(_gbp("500"), _gbp("5000")),
    terms=TermRange(6, 36, TermUnit.MONTHS),
    frequencies=frozenset({Frequency.WEEKLY, Frequency.FORTNIGHTLY, Frequency.MONTHLY}),
    rate=InterestRate.monthly(Decimal("0.01")),
    rule_set=GB_CREDIT_UNION,
    min_membership_days=28,
    exempt_threshold=ThresholdBehaviour.REFUSE,
)

# 28% a year on 30/360 US: no month counts more than 30 days (daily accrual over a 31-day
# month would disclose 28.54%; the bond basis counts 28 Feb -> 31 Mar as 33 days), so no
# quote's APR exceeds 28%. No application fee: this system charges a product's fees when
# the loan is made, which makes a fee a finance charge (12 CFR 1026.4(a); the exclusion in
# 1026.4(c)(1) needs it "charged to all applicants for credit, whether or not credit is
# actually extended"), and $20 on a small PAL at 28% would take its APR far over the cap.
PAL_I_EXAMPLE: Final = LoanProduct(
    name="PAL I",
    currency="USD",
    amounts=AmountRange(_usd("200"), _usd("1000")),
    terms=TermRange(1, 6, TermUnit.MONTHS),
    frequencies=frozenset({Frequency.MONTHLY}),
    rate=InterestRate.annual(Decimal("0.28")),
    rule_set=PAL_I,
    min_membership_days=31,
    day_count=DayCount.THIRTY_360_US,
    late_fee=_usd("10"),
)

PAL_II_EXAMPLE: Final = LoanProduct(
    name="PAL II",
    currency="USD",
    amounts=AmountRange(_usd("100"), _usd("2000")),
    terms=TermRange(1, 12, TermUnit.MONTHS),
    frequencies=frozenset({Frequency.MONTHLY}),
    rate=InterestRate.annual(Decimal("0.28")),
    rule_set=PAL_II,
    day_count=DayCount.THIRTY_360_US,
    late_fee=_usd("10"),
)

SEED_PRODUCTS: Final = (
    ("GB-PAYDAY-ALT", PAYDAY_ALTERNATIVE),
    ("GB-FAMILY", FAMILY_LOAN),
    ("US-PAL-I", PAL_I_EXAMPLE),
    ("US-PAL-II", PAL_II_EXAMPLE),
)


def seed_products(session: Session, *, currency: str, actor: str, business_date: dt.date) -> int:
    """Create each seed product that is missing; return how many were created.

    A product is active only if it lends in `currency`, the credit union's book currency.
    """
    created = 0
    for code, product in SEED_PRODUCTS:
        try:
            get_product(session, code=code)
        except ProductNotFound:
            create_product(
                session,
                code=code,
                product=product,
                active=product.currency == currency.upper(),
                actor=actor,
                business_date=business_date,
            )
            created += 1
    return created
