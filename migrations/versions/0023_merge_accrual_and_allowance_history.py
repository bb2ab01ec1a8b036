"""Merge the two history tables built in parallel (the allowance's book, savings accruals).

Revision ID: 0023
Revises: 0021, 0022
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0023"
down_revision: str | Sequence[str] | None = ("0021", "0022")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
