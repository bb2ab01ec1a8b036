"""Control gaps (issue 22): a loan write-off is a maker-checker request.

`pending_approvals` gains the `loan_write_off` kind and the loan it writes off, with at
most one such request pending per loan.

Revision ID: 0018
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KIND = "ck_pending_approvals_approval_kind"


def _kinds(*kinds: str) -> str:
    return "kind IN ({})".format(", ".join(f"'{kind}'" for kind in kinds))


def upgrade() -> None:
    op.drop_constraint(op.f(_KIND), "pending_approvals", type_="check")
    op.create_check_constraint(
        op.f(_KIND),
        "pending_approvals",
        _kinds("cash_withdrawal", "reversal", "loan_write_off"),
    )
    op.add_column("pending_approvals", sa.Column("loan_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_pending_approvals_loan_id_loans"),
        "pending_approvals",
        "loans",
        ["loan_id"],
        ["id"],
    )
    op.create_check_constraint(
        op.f("ck_pending_approvals_write_off_has_loan"),
        "pending_approvals",
        "kind <> 'loan_write_off' OR loan_id IS NOT NULL",
    )
    op.create_index(
        "uq_pending_approvals_loan_pending",
        "pending_approvals",
        ["loan_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_pending_approvals_loan_pending",
        table_name="pending_approvals",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_constraint(
        op.f("ck_pending_approvals_write_off_has_loan"), "pending_approvals", type_="check"
    )
    op.drop_constraint(
        op.f("fk_pending_approvals_loan_id_loans"), "pending_approvals", type_="foreignkey"
    )
    op.drop_column("pending_approvals", "loan_id")
    op.execute("DELETE FROM pending_approvals WHERE kind = 'loan_write_off'")
    op.drop_constraint(op.f(_KIND), "pending_approvals", type_="check")
    op.create_check_constraint(
        op.f(_KIND), "pending_approvals", _kinds("cash_withdrawal", "reversal")
    )
