"""Loan products as a manager changes them, as commands: each writes the product's next
version and is audited once as `loan_product.*` (see `creditunion.commands`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, command
from creditunion.lending import products
from loans.product import LoanProduct
from loans.services.products import ProductView


def _audited(view: ProductView) -> Audited[ProductView]:
    summary = {"version": view.version, "active": view.active, "name": view.product.name}
    return Audited(view, target_id=view.code, summary=summary)


@command(action="loan_product.create", target_type="loan_product")
def create_product(
    session: Session, context: CommandContext, *, code: str, product: LoanProduct, active: bool
) -> Audited[ProductView]:
    view = products.create_product(
        session,
        code=code,
        product=product,
        active=active,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    return _audited(view)


@command(action="loan_product.update", target_type="loan_product")
def update_product(
    session: Session, context: CommandContext, *, code: str, product: LoanProduct, active: bool
) -> Audited[ProductView]:
    """The product's next version (the same terms again change nothing)."""
    view = products.update_product(
        session,
        code=code,
        product=product,
        active=active,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    return _audited(view)


def _set_active(
    session: Session, context: CommandContext, code: str, *, active: bool
) -> ProductView:
    return products.set_product_active(
        session,
        code=code,
        active=active,
        actor=context.actor_ref,
        business_date=context.business_date,
    )


@command(action="loan_product.activate", target_type="loan_product")
def activate_product(
    session: Session, context: CommandContext, *, code: str
) -> Audited[ProductView]:
    """Offer the product to members."""
    return _audited(_set_active(session, context, code, active=True))


@command(action="loan_product.deactivate", target_type="loan_product")
def deactivate_product(
    session: Session, context: CommandContext, *, code: str
) -> Audited[ProductView]:
    """Withdraw the product from new applications (loans made on it keep their terms)."""
    return _audited(_set_active(session, context, code, active=False))
