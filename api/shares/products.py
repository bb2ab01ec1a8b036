"""The share products on offer: what any signed-in user (a member choosing one too) may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from api.problems import problem_responses
from api.security import require
from api.shares.schemas import PRODUCT_CODE_PATTERN, ShareProductOut
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.shares import product_service

router = api_router(prefix="/share-products", tags=["share products"])


@router.get("", dependencies=[require(Permission.SESSION)])
def list_products(
    session: DbSession,
    include_inactive: Annotated[
        bool, Query(description="Also products no longer offered.")
    ] = False,
) -> list[ShareProductOut]:
    """Share products, by code"""
    views = product_service.list_share_products(session, include_inactive=include_inactive)
    return [ShareProductOut.of(view) for view in views]


@router.get("/{code}", dependencies=[require(Permission.SESSION)], responses=problem_responses(404))
def get_product(
    session: DbSession,
    code: Annotated[str, Path(pattern=PRODUCT_CODE_PATTERN, description="e.g. INSTANT")],
) -> ShareProductOut:
    """One share product"""
    return ShareProductOut.of(product_service.get_share_product(session, code=code))
