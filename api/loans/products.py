"""Loan products: staff read every product, members the ones on offer; managers change them.

A change never alters a version: it writes the next one (loans keep the terms they were
made on). Every version is checked against its rule set; one that breaks it is refused
(422 `loan-product-breaks-rules`) with the code of each rule.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from api.commands import staff_command
from api.loans.product_schemas import (
    CODE,
    LoanProductIn,
    LoanProductOut,
    LoanProductTermsIn,
    ProductActiveIn,
    product_out,
)
from api.pagination import Page, PageRequest, paginate
from api.problems import InvalidField, RequestInvalid, problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.lending import product_commands
from loans.services import products
from loans.services.products import ProductNotFound

router = api_router(tags=["loan products"])

Code = Annotated[
    str, Path(pattern=CODE, description="The product's code.", examples=["GB-PAYDAY-ALT"])
]
Manager = Annotated[CommandContext, staff_command(Permission.LOAN_PRODUCTS_MANAGE)]


def _page(session: DbSession, page: PageRequest, *, active_only: bool) -> Page[LoanProductOut]:
    after = page.after[0] if page.after else None
    if after is not None and not isinstance(after, str):
        raise RequestInvalid(InvalidField("query", "cursor", "is not a cursor of this list"))
    rows = products.list_products(
        session, active_only=active_only, after_code=after, limit=page.fetch
    )
    return page.build(rows, position=lambda v: [v.code], convert=product_out)


@router.get("/loan-products", dependencies=[require(Permission.LOANS_READ)])
def list_products(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("loan-products"))],
    active: Annotated[bool | None, Query(description="Only offered (true) products.")] = None,
) -> Page[LoanProductOut]:
    """Every loan product's current version, offered or not, in code order"""
    return _page(session, page, active_only=bool(active))


@router.get(
    "/loan-products/{code}",
    dependencies=[require(Permission.LOANS_READ)],
    responses=problem_responses(404),
)
def get_product(
    session: DbSession,
    code: Code,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> LoanProductOut:
    """One product: its current version, or the version asked for"""
    return product_out(products.get_product(session, code=code, version=version))


@router.post("/loan-products", status_code=201, responses=problem_responses(409, 422))
def create_product(session: DbSession, body: LoanProductIn, context: Manager) -> LoanProductOut:
    """Create a loan product (checked against its rule set)"""
    view = product_commands.create_product(
        session, context, code=body.code, product=body.product(), active=body.active
    )
    return product_out(view)


@router.put("/loan-products/{code}", responses=problem_responses(404, 422))
def update_product(
    session: DbSession, code: Code, body: LoanProductTermsIn, context: Manager
) -> LoanProductOut:
    """Set a product's terms: the next version (the same terms again change nothing)"""
    view = product_commands.update_product(
        session, context, code=code, product=body.product(), active=body.active
    )
    return product_out(view)


@router.put("/loan-products/{code}/active", responses=problem_responses(404, 422))
def set_product_active(
    session: DbSession, code: Code, body: ProductActiveIn, context: Manager
) -> LoanProductOut:
    """Offer a product to members, or withdraw it from new applications"""
    change = (
        product_commands.activate_product if body.active else product_commands.deactivate_product
    )
    return product_out(change(session, context, code=code))


# ---------------------------------------------------------------- a member's view


@router.get("/me/loan-products", dependencies=[require(Permission.SELF_READ)])
def offered_products(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("offered-loan-products"))],
) -> Page[LoanProductOut]:
    """The loan products on offer"""
    return _page(session, page, active_only=True)


@router.get(
    "/me/loan-products/{code}",
    dependencies=[require(Permission.SELF_READ)],
    responses=problem_responses(404),
)
def offered_product(session: DbSession, code: Code) -> LoanProductOut:
    """One product on offer (a product not offered is not found)"""
    view = products.get_product(session, code=code)
    if not view.active:
        raise ProductNotFound(f"no product {code!r}")
    return product_out(view)
