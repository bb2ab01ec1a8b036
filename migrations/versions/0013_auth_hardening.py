"""Auth hardening: a forced password change after a reset, and maker-checker for the
logins of managers and admins (issue 20).

Existing logins keep working: nothing awaits approval and nobody must change a password.

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "users",
        sa.Column(
            "approval_pending", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column("users", sa.Column("created_by_user_id", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("approved_by_user_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_users_created_by_user_id_users"), "users", "users", ["created_by_user_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_users_approved_by_user_id_users"),
        "users",
        "users",
        ["approved_by_user_id"],
        ["id"],
    )
    op.create_check_constraint(
        op.f("ck_users_approver_is_not_creator"),
        "users",
        "approved_by_user_id IS NULL OR created_by_user_id IS NULL "
        "OR approved_by_user_id <> created_by_user_id",
    )
    op.create_check_constraint(
        op.f("ck_users_approval_only_for_privileged_roles"),
        "users",
        "NOT approval_pending OR role IN ('manager', 'admin')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_users_approval_only_for_privileged_roles"), "users", type_="check")
    op.drop_constraint(op.f("ck_users_approver_is_not_creator"), "users", type_="check")
    op.drop_constraint(op.f("fk_users_approved_by_user_id_users"), "users", type_="foreignkey")
    op.drop_constraint(op.f("fk_users_created_by_user_id_users"), "users", type_="foreignkey")
    op.drop_column("users", "approved_by_user_id")
    op.drop_column("users", "created_by_user_id")
    op.drop_column("users", "approval_pending")
    op.drop_column("users", "must_change_password")
