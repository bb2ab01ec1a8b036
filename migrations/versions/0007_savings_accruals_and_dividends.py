"""Savings: interest accrued per share account, and dividends declared by a manager.

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dividend_declarations",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("pay_on", sa.Date(), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=10, scale=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "declared",
                "paid",
                name="dividend_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="declared",
            nullable=False,
        ),
        sa.Column("declared_by", sa.String(length=100), nullable=False),
        sa.Column(
            "declared_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("paid_members", sa.Integer(), nullable=True),
        sa.Column("paid_total_minor", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_total_minor IS NOT NULL)",
            name=op.f("ck_dividend_declarations_paid_total"),
        ),
        sa.CheckConstraint(
            "annual_rate > 0 AND annual_rate < 1", name=op.f("ck_dividend_declarations_rate_range")
        ),
        sa.CheckConstraint(
            "pay_on > period_end", name=op.f("ck_dividend_declarations_paid_after_period")
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_dividend_declarations_period_order")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["share_products.id"],
            name=op.f("fk_dividend_declarations_product_id_share_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dividend_declarations")),
    )
    op.create_table(
        "share_accruals",
        sa.Column("share_account_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "accrued_units",
            sa.Numeric(precision=38, scale=0),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("last_accrued_on", sa.Date(), nullable=False),
        sa.Column(
            "posted_total_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("last_posted_on", sa.Date(), nullable=True),
        sa.CheckConstraint("accrued_units >= 0", name=op.f("ck_share_accruals_not_negative")),
        sa.ForeignKeyConstraint(
            ["share_account_id"],
            ["share_accounts.id"],
            name=op.f("fk_share_accruals_share_account_id_share_accounts"),
        ),
        sa.PrimaryKeyConstraint("share_account_id", name=op.f("pk_share_accruals")),
        postgresql_with={"fillfactor": 70},
    )


def downgrade() -> None:
    op.drop_table("share_accruals")
    op.drop_table("dividend_declarations")
