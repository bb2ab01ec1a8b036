"""Share products: seeding the standard ones, defining others, listing and retiring them."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.actors import require_actor
from creditunion.errors import Conflict, NotFound, Unavailable
from creditunion.field_problems import ValidationProblem
from creditunion.shares.models import ShareProduct
from creditunion.shares.products import (
    ProductDefinition,
    ValidProduct,
    standard_products,
    validate_product,
)
from creditunion.shares.views import ShareProductView
from ledger.accounts import AccountNotFound, AccountView, get_account_by_code
from ledger.chart import MEMBERS_SHARES
from ledger.transaction import require_transaction

PRODUCTS_LISTED_MAX: Final = 500


class ChartNotInstalled(Unavailable, RuntimeError):
    """The chart of accounts is missing: `creditunion init` has not been run."""


class ProductNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"share product {code!r} not found")
        self.code = code


class ProductCodeTaken(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"share product code {code!r} is already in use")
        self.code = code


def shares_control_account(session: Session) -> AccountView:
    """The chart's members' shares header that every share account's ledger account sits under."""
    try:
        return get_account_by_code(session, MEMBERS_SHARES)
    except AccountNotFound:
        raise ChartNotInstalled("no members' shares account: run `creditunion init`") from None


def install_standard_products(session: Session, *, currency: str) -> int:
    """Add each standard product whose code is missing; return how many were added."""
    require_transaction(session)
    added = 0
    for definition in standard_products(currency):
        if _find(session, definition.code) is None:
            _insert(session, validate_product(definition), actor="system:init")
            added += 1
    return added


def create_share_product(
    session: Session, *, definition: ProductDefinition, actor: str
) -> ShareProductView:
    """Define a new product. Raises `ValidationProblem` or `ProductCodeTaken`."""
    require_transaction(session)
    require_actor(actor)
    valid = validate_product(definition)
    books = shares_control_account(session).currency
    if valid.currency != books:
        # Share accounts roll up into the members' shares control account, which is in
        # the books' currency; a trial balance cannot add pounds to euros.
        raise ValidationProblem.single("currency", f"share products are held in {books}")
    if _find(session, valid.code) is not None:
        raise ProductCodeTaken(valid.code)
    return ShareProductView.of(_insert(session, valid, actor=actor))


def _insert(session: Session, valid: ValidProduct, *, actor: str) -> ShareProduct:
    row = ShareProduct(
        code=valid.code,
        name=valid.name,
        kind=valid.kind,
        currency=valid.currency,
        withdrawal_windows=(
            None
            if valid.withdrawal_windows is None
            else [w.as_json() for w in valid.withdrawal_windows]
        ),
        maximum_age_years=valid.maximum_age_years,
        return_basis=valid.return_basis,
        annual_rate=valid.annual_rate,
        day_count=valid.day_count,
        posting_frequency=valid.posting_frequency,
        active=valid.active,
        created_by=actor,
    )
    # Set once the row has its currency, which they are checked against.
    row.minimum_balance = valid.minimum_balance
    row.maximum_balance = valid.maximum_balance
    session.add(row)
    session.flush()
    return row


def _find(session: Session, code: str) -> ShareProduct | None:
    if not isinstance(code, str) or len(code) > 64:
        return None
    return session.scalar(select(ShareProduct).where(ShareProduct.code == code.strip().upper()))


def product_row(session: Session, code: str) -> ShareProduct:
    row = _find(session, code)
    if row is None:
        raise ProductNotFound(str(code)[:64])
    return row


def get_share_product(session: Session, *, code: str) -> ShareProductView:
    """Raises `ProductNotFound`."""
    return ShareProductView.of(product_row(session, code))


def list_share_products(
    session: Session, *, include_inactive: bool = False
) -> list[ShareProductView]:
    query = select(ShareProduct).order_by(ShareProduct.code).limit(PRODUCTS_LISTED_MAX)
    if not include_inactive:
        query = query.where(ShareProduct.active)
    return [ShareProductView.of(row) for row in session.scalars(query)]


def set_share_product_active(
    session: Session, *, code: str, active: bool, actor: str
) -> ShareProductView:
    """Offer a product again, or stop offering it (accounts already open are unaffected)."""
    require_transaction(session)
    require_actor(actor)
    row = product_row(session, code)
    row.active = bool(active)
    session.flush()
    return ShareProductView.of(row)
