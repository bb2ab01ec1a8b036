"""Lending fee caps: the 30/360 US day count is a value share products may name too.

`loans.daycount.DayCount` gained 30/360 US (SIA, with its end-of-February rule), which the
NCUA PAL products accrue on because no month counts more than 30 days. Share products
store the same enumeration under a CHECK of its values, widened here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ck_share_products_share_day_count"
_BEFORE = ("ACT/365F", "ACT/360", "ACT/ACT ISDA", "30/360")
_AFTER = (*_BEFORE, "30/360 US")


def _check(values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"day_count IN ({listed})"


def upgrade() -> None:
    op.drop_constraint(op.f(_NAME), "share_products", type_="check")
    op.create_check_constraint(op.f(_NAME), "share_products", _check(_AFTER))


def downgrade() -> None:
    op.drop_constraint(op.f(_NAME), "share_products", type_="check")
    op.create_check_constraint(op.f(_NAME), "share_products", _check(_BEFORE))
