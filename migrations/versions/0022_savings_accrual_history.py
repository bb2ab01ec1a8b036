"""Savings accruals as at any past business date: a history of `share_accruals`.

`share_accruals` keeps only each account's latest figures, so interest accrued and not
yet posted could be reported only for the last accrual day. The history keeps the
figures as at the end of each business date on which they changed (the accrual step
writes every account that accrued, the posting step every account posted to); the
figures as at D are the account's latest row on or before D.

It starts from each account's current figures, recorded under the date they were last
changed (exact for that date); dates before an account's first row have no figure.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "share_accrual_history",
        sa.Column("share_account_id", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("accrued_units", sa.Numeric(precision=38, scale=0), nullable=False),
        sa.Column("accrued_through", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "accrued_units >= 0", name=op.f("ck_share_accrual_history_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["share_account_id"],
            ["share_accounts.id"],
            name=op.f("fk_share_accrual_history_share_account_id_share_accounts"),
        ),
        sa.PrimaryKeyConstraint(
            "share_account_id", "business_date", name=op.f("pk_share_accrual_history")
        ),
    )
    op.execute(
        "INSERT INTO share_accrual_history "
        "(share_account_id, business_date, accrued_units, accrued_through) "
        "SELECT share_account_id, greatest(last_accrued_on, coalesce(last_posted_on, "
        "last_accrued_on)), accrued_units, last_accrued_on FROM share_accruals"
    )


def downgrade() -> None:
    op.drop_table("share_accrual_history")
