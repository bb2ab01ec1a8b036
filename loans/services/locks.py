"""Transaction-scoped advisory locks that serialise commands on one member or one product."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


def lock_member(session: Session, member_id: int) -> None:
    """Held to commit: two decisions or acceptances for one member never overlap, so limits
    such as one payday alternative loan at a time hold under concurrency."""
    session.execute(_LOCK, {"name": f"loans.member:{member_id}"})


def lock_pal_portfolio(session: Session, currency: str) -> None:
    """Held to commit: acceptances of payday alternative loans in `currency` take turns, so
    each reads a PAL portfolio that includes every loan made before it (the limit of 20%
    of net worth is on the whole portfolio, not per member)."""
    session.execute(_LOCK, {"name": f"loans.pal-portfolio:{currency.upper()}"})


def lock_product_code(session: Session, code: str) -> None:
    session.execute(_LOCK, {"name": f"loans.product:{code}"})
