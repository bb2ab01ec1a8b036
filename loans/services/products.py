"""Loan products as data: create, change (as a new version), read.

A manager creates and changes products; each change writes the next version and leaves
the earlier one untouched, so a loan's terms never move under it. Every version is
checked against its rule set when written (`loans.checks.validate_product`); one that
breaks a rule is refused with `loans.checks.ProductInvalid` naming each rule.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ledger.transaction import require_transaction
from loans.checks import validate_product
from loans.codec import fee_from_json, fee_to_json, product_to_json
from loans.daycount import DayCount
from loans.errors import LoansConflict, LoansNotFound, LoansRefused
from loans.frequency import Frequency
from loans.models import LoanProductRow
from loans.product import AmountRange, LoanProduct, ProductError, TermRange, TermUnit
from loans.rate import InterestRate, RateBasis
from loans.registry import code_of, rule_set
from loans.rulesets.gb import ThresholdBehaviour
from loans.services.locks import lock_product_code

PAGE_MAX: Final = 200
CODE_PATTERN: Final = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
ACTOR_LENGTH_MAX: Final = 100


class ProductNotFound(LoansNotFound):
    pass


class ProductCodeTaken(LoansConflict):
    pass


class ProductInactive(LoansRefused):
    pass


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    code: str
    version: int
    product: LoanProduct
    active: bool
    created_by: str
    created_at: dt.datetime
    updated_by: str | None
    updated_at: dt.datetime | None
    superseded_by_id: int | None

    @property
    def current(self) -> bool:
        return self.superseded_by_id is None


def check_actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > ACTOR_LENGTH_MAX:
        raise LoansRefused(f"the actor is 1 to {ACTOR_LENGTH_MAX} characters")
    return actor


def create_product(
    session: Session,
    *,
    code: str,
    product: LoanProduct,
    active: bool,
    actor: str,
    business_date: dt.date,
) -> ProductView:
    """Version 1 of a new product; raises ProductCodeTaken, ProductInvalid, ProductError."""
    require_transaction(session)
    check_actor(actor)
    _check_code(code)
    _check(product, business_date)
    lock_product_code(session, code)
    if _current_row(session, code) is not None:
        raise ProductCodeTaken(f"product code {code!r} is already in use")
    row = _new_row(code, 1, product, active=active, actor=actor)
    session.add(row)
    session.flush()
    return view_of(row)


def update_product(
    session: Session,
    *,
    code: str,
    product: LoanProduct,
    active: bool,
    actor: str,
    business_date: dt.date,
) -> ProductView:
    """The next version of `code` with these terms; the same terms again change nothing.

    Raises ProductNotFound, ProductInvalid (naming each rule broken), ProductError.
    """
    require_transaction(session)
    check_actor(actor)
    _check(product, business_date)
    lock_product_code(session, code)
    current = _current_row(session, code)
    if current is None:
        raise ProductNotFound(f"no product {code!r}")
    if current.active == active and product_to_json(product_of(current)) == product_to_json(
        product
    ):
        return view_of(current)
    row = _new_row(code, current.version + 1, product, active=active, actor=actor)
    session.add(row)
    session.flush()
    session.execute(
        update(LoanProductRow)
        .where(LoanProductRow.id == current.id)
        .values(superseded_by_id=row.id, updated_by=actor, updated_at=func.now())
    )
    session.refresh(current)
    return view_of(row)


def set_product_active(
    session: Session, *, code: str, active: bool, actor: str, business_date: dt.date
) -> ProductView:
    """Offer or withdraw a product from new applications (a new version, terms unchanged)."""
    current = get_product(session, code=code)
    return update_product(
        session,
        code=code,
        product=current.product,
        active=active,
        actor=actor,
        business_date=business_date,
    )


def get_product(session: Session, *, code: str, version: int | None = None) -> ProductView:
    """The current version of `code`, or the given version."""
    if version is None:
        row = _current_row(session, code)
    else:
        row = session.scalar(
            select(LoanProductRow).where(
                LoanProductRow.code == code, LoanProductRow.version == version
            )
        )
    if row is None:
        raise ProductNotFound(f"no product {code!r}" + (f" version {version}" if version else ""))
    return view_of(row)


def get_product_version(session: Session, *, product_id: int) -> ProductView:
    row = session.get(LoanProductRow, product_id)
    if row is None:
        raise ProductNotFound(f"no product version {product_id}")
    return view_of(row)


def list_products(
    session: Session, *, active_only: bool = False, after_code: str | None = None, limit: int = 50
) -> list[ProductView]:
    """Current versions in code order, a page at a time."""
    if not 1 <= limit <= PAGE_MAX:
        raise LoansRefused(f"a page holds 1 to {PAGE_MAX} products")
    query = select(LoanProductRow).where(LoanProductRow.superseded_by_id.is_(None))
    if active_only:
        query = query.where(LoanProductRow.active.is_(True))
    if after_code is not None:
        query = query.where(LoanProductRow.code > after_code)
    rows = session.scalars(query.order_by(LoanProductRow.code).limit(limit))
    return [view_of(row) for row in rows]


def view_of(row: LoanProductRow) -> ProductView:
    return ProductView(
        id=row.id,
        code=row.code,
        version=row.version,
        product=product_of(row),
        active=row.active,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        superseded_by_id=row.superseded_by_id,
    )


def product_of(row: LoanProductRow) -> LoanProduct:
    currency = row.currency
    return LoanProduct(
        name=row.name,
        currency=currency,
        amounts=AmountRange(row.min_amount, row.max_amount),
        terms=TermRange(row.term_min, row.term_max, TermUnit(row.term_unit)),
        frequencies=frozenset(Frequency(value) for value in row.frequencies),
        rate=InterestRate(row.rate, RateBasis(row.rate_basis)),
        rule_set=rule_set(row.rule_set),
        fees=tuple(fee_from_json(fee, currency=currency) for fee in row.fees),
        min_membership_days=row.min_membership_days,
        day_count=DayCount(row.day_count),
        late_fee=row.late_fee,
        nsf_fee=row.nsf_fee,
        early_repayment_charge=row.early_repayment_charge,
        exempt_threshold=ThresholdBehaviour(row.exempt_threshold),
        interest_rounding=row.interest_rounding,
        instalment_rounding=row.instalment_rounding,
    )


def _check_code(code: str) -> None:
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise LoansRefused(f"a product code matches {CODE_PATTERN.pattern}, not {code!r}")


def _check(product: LoanProduct, business_date: dt.date) -> None:
    if not isinstance(product, LoanProduct):
        raise TypeError("product must be a loans.product.LoanProduct")
    if not product.name.strip() or len(product.name) > 100:
        raise ProductError("a product name is 1 to 100 characters")
    code_of(product.rule_set)  # only registered rule sets can be stored and found again
    validate_product(product, as_of=business_date)


def _current_row(session: Session, code: str) -> LoanProductRow | None:
    return session.scalar(
        select(LoanProductRow)
        .where(LoanProductRow.code == code, LoanProductRow.superseded_by_id.is_(None))
        .execution_options(populate_existing=True)
    )


def _new_row(
    code: str, version: int, product: LoanProduct, *, active: bool, actor: str
) -> LoanProductRow:
    # The currency first: the amounts are written in it.
    return LoanProductRow(
        code=code,
        version=version,
        name=product.name,
        currency=product.currency,
        rule_set=code_of(product.rule_set),
        min_amount=product.amounts.minimum,
        max_amount=product.amounts.maximum,
        term_min=product.terms.minimum,
        term_max=product.terms.maximum,
        term_unit=product.terms.unit.value,
        frequencies=sorted(f.value for f in product.frequencies),
        rate=product.rate.value,
        rate_basis=product.rate.basis.value,
        day_count=product.day_count.value,
        fees=[fee_to_json(fee) for fee in product.fees],
        min_membership_days=product.min_membership_days,
        late_fee=product.late_fee,
        nsf_fee=product.nsf_fee,
        early_repayment_charge=product.early_repayment_charge,
        exempt_threshold=product.exempt_threshold.value,
        interest_rounding=product.interest_rounding,
        instalment_rounding=product.instalment_rounding,
        active=active,
        created_by=actor,
    )
