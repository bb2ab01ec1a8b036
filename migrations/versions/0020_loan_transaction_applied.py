"""How a repayment met the schedule, kept on its loan transaction.

A repayment's amount splits two ways: over fees, interest and principal (kept since
0005), and over the schedule: what was due, the next instalment paid in advance, and what
reduced the balance. The last two are kept so the loan's history and a retried request
show the same split as the first answer. Rows from before are left null (not known).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loan_transactions", sa.Column("in_advance_minor", sa.BigInteger()))
    op.add_column("loan_transactions", sa.Column("balance_reduction_minor", sa.BigInteger()))
    op.create_check_constraint(
        op.f("ck_loan_transactions_applied_within_amount"),
        "loan_transactions",
        "(in_advance_minor IS NULL) = (balance_reduction_minor IS NULL) "
        "AND in_advance_minor >= 0 AND balance_reduction_minor >= 0 "
        "AND in_advance_minor + balance_reduction_minor <= amount_minor",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_loan_transactions_applied_within_amount"), "loan_transactions", type_="check"
    )
    op.drop_column("loan_transactions", "balance_reduction_minor")
    op.drop_column("loan_transactions", "in_advance_minor")
