"""Loan products as a manager changes them: the loans service's rules, plus the books.

A product is checked against its rule set by `loans.services.products`. Here one more
rule: a product on offer lends in the books' currency. The rule set comes first, so a
product that breaks it is told which rules; only a compliant product in another currency
is refused as `CurrencyNotLent` (it may be kept inactive, as the seeded NCUA examples are
in a sterling credit union).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from loans.product import LoanProduct
from loans.services import products
from loans.services.accounts import CurrencyNotLent, chart
from loans.services.products import ProductView


def require_lendable(session: Session, view: ProductView) -> ProductView:
    books = chart(session).currency
    if view.active and view.product.currency != books:
        raise CurrencyNotLent(
            f"product {view.code} lends in {view.product.currency} but the books are kept in "
            f"{books}: it can only be kept inactive"
        )
    return view


def create_product(
    session: Session,
    *,
    code: str,
    product: LoanProduct,
    active: bool,
    actor: str,
    business_date: dt.date,
) -> ProductView:
    view = products.create_product(
        session,
        code=code,
        product=product,
        active=active,
        actor=actor,
        business_date=business_date,
    )
    return require_lendable(session, view)


def update_product(
    session: Session,
    *,
    code: str,
    product: LoanProduct,
    active: bool,
    actor: str,
    business_date: dt.date,
) -> ProductView:
    view = products.update_product(
        session,
        code=code,
        product=product,
        active=active,
        actor=actor,
        business_date=business_date,
    )
    return require_lendable(session, view)


def set_product_active(
    session: Session, *, code: str, active: bool, actor: str, business_date: dt.date
) -> ProductView:
    view = products.set_product_active(
        session, code=code, active=active, actor=actor, business_date=business_date
    )
    return require_lendable(session, view)
