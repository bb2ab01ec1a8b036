"""Auditors' evidence: each active loan's arrears at every close of business.

The arrears step overwrites a loan's days past due, arrears and bucket daily; it now also
writes them to `loan_arrears_history` (business date, loan), with the provision the
month-end provisioning made, so the loan book export can show them as at any past date.
Days closed before this revision have no rows.

Revision ID: 0017
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_arrears_history",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("arrears_minor", sa.BigInteger(), nullable=False),
        sa.Column("arrears_bucket", sa.String(length=8), nullable=False),
        sa.Column("provision_minor", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "days_past_due >= 0 AND arrears_minor >= 0 AND coalesce(provision_minor, 0) >= 0",
            name=op.f("ck_loan_arrears_history_figures_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_arrears_history_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("business_date", "loan_id", name=op.f("pk_loan_arrears_history")),
    )
    op.create_index(
        "ix_loan_arrears_history_provisions",
        "loan_arrears_history",
        ["loan_id", "business_date"],
        postgresql_where=sa.text("provision_minor IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("loan_arrears_history")
