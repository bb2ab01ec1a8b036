"""Member ids point at members: logins, loan applications and loans.

The three columns were plain BIGINTs while the members table lived on another branch.
Existing rows must name real members; the constraints are checked as they are added.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FOREIGN_KEYS = (
    ("fk_users_member_id_members", "users"),
    ("fk_loan_applications_member_id_members", "loan_applications"),
    ("fk_loans_member_id_members", "loans"),
)


def upgrade() -> None:
    for name, table in _FOREIGN_KEYS:
        op.create_foreign_key(op.f(name), table, "members", ["member_id"], ["id"])


def downgrade() -> None:
    for name, table in reversed(_FOREIGN_KEYS):
        op.drop_constraint(op.f(name), table, type_="foreignkey")
