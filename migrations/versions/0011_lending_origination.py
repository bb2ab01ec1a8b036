"""Loan origination: the UK 42.6% exempt-agreement flag on applications and loans.

A GB or NI credit-union loan whose APR is above 42.6% is not an exempt agreement (FCA
PERG 2.7.19I G(1)); the flag is kept on the offer and on the loan made from it, so the
lending reports can list regulated agreements. Rows made before the flag was stored are
set from their stored APR (rounded as disclosed, which is what the 42.6% test uses).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("loan_applications", "loans")
_UK = "('gb', 'ni')"
_BACKFILL = (
    f"UPDATE loans SET above_exempt_threshold = true WHERE rule_set IN {_UK} AND apr > 42.6",
    "UPDATE loan_applications a SET above_exempt_threshold = true FROM loan_products p "
    f"WHERE p.id = a.product_id AND p.rule_set IN {_UK} AND a.offered_apr > 42.6",
)


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column(
                "above_exempt_threshold",
                sa.Boolean(),
                server_default=sa.text("false"),
                nullable=False,
            ),
        )
    for statement in _BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_column(table, "above_exempt_threshold")
