"""Merge the branches built in parallel (fee caps, origination, servicing, auth, book
guards, loan accounting, audit evidence, control gaps).

Revision ID: 0019
Revises: 0010, 0011, 0012, 0013, 0015, 0016, 0017, 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0019"
down_revision: str | Sequence[str] | None = (
    "0010",
    "0011",
    "0012",
    "0013",
    "0015",
    "0016",
    "0017",
    "0018",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
