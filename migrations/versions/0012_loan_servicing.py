"""Loan servicing: the notice of withdrawal (CCA s.66A) and repayments that reduce the balance.

A loan records the day a notice of withdrawal was given and the day the credit and
interest must be repaid by (30 days on); both or neither. A repayment records whether
the member asked it to reduce the balance instead of paying the next instalment ahead.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loans", sa.Column("withdrawal_notice_on", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("withdrawal_repay_by", sa.Date(), nullable=True))
    op.create_check_constraint(
        op.f("ck_loans_withdrawal_notice_complete"),
        "loans",
        "(withdrawal_notice_on IS NULL) = (withdrawal_repay_by IS NULL)",
    )
    op.add_column(
        "loan_transactions",
        sa.Column("reduce_balance", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("loan_transactions", "reduce_balance")
    op.drop_constraint(op.f("ck_loans_withdrawal_notice_complete"), "loans", type_="check")
    op.drop_column("loans", "withdrawal_repay_by")
    op.drop_column("loans", "withdrawal_notice_on")
