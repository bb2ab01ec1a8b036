"""The allowance for loan losses as the month-end provisioning left it, per run.

The reconciliation gives the allowance a book figure as at any date: the provisions on the
last month end's `loan_arrears_history` rows, plus what that run left held for no loan
(`unassigned_minor`: write-offs dated later and posted before the run), less what
write-offs since took. A row per provisioning run and currency, written by the step.

Month ends provisioned before this revision (dates with provisions on their history rows,
and month ends whose `loan_provision` close-of-business step completed) get a row from the
journal: the allowance as at the date less the provisions on its history rows (exact when
the books were right then).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_allowance_history",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unassigned_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "business_date", "currency", name=op.f("pk_loan_allowance_history")
        ),
    )
    # The allowance (1390 and any account under it) is a credit: held = -balance.
    op.execute("""
        INSERT INTO loan_allowance_history (business_date, currency, unassigned_minor)
        SELECT m.business_date, a.currency,
               -coalesce((SELECT sum(p.amount_minor) FROM postings AS p
                          JOIN ledger_accounts AS u ON u.id = p.account_id
                          WHERE (u.id = a.id OR u.parent_id = a.id)
                            AND p.business_date <= m.business_date), 0)
               - m.provision_minor
        FROM (SELECT d.business_date, coalesce(sum(h.provision_minor), 0) AS provision_minor
              FROM (SELECT business_date FROM loan_arrears_history
                    WHERE provision_minor IS NOT NULL
                    UNION
                    SELECT business_date FROM cob_step_runs
                    WHERE step = 'loan_provision' AND status = 'completed'
                      AND extract(day FROM business_date + 1) = 1) AS d
              LEFT JOIN loan_arrears_history AS h
                ON h.business_date = d.business_date AND h.provision_minor IS NOT NULL
              GROUP BY d.business_date) AS m
        JOIN ledger_accounts AS a ON a.code = '1390'
    """)


def downgrade() -> None:
    op.drop_table("loan_allowance_history")
