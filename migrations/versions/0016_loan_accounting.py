"""Loan accounting: provisions, non-accrual, deferred fees; their chart accounts; dividends owed.

Loans carry their last month-end provision and, on non-accrual, the interest held in
suspense. Deferred loan fees are recognised period by period from `loan_fee_recognition`.
A dividend declaration records what it owes members until it is paid.
An installation whose chart is already loaded gets the two new chart accounts here
(`creditunion init` opens them on a new one).

Revision ID: 0016
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, name, type, parent code): as ledger.chart.DEFAULT_CHART has them.
_ACCOUNTS = (
    ("1315", "Interest suspended on non-accrual loans", "asset", "1000"),
    ("2300", "Deferred loan fee income", "liability", "2000"),
)


def upgrade() -> None:
    op.add_column(
        "loans",
        sa.Column("provision_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("loans", sa.Column("provisioned_on", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("non_accrual_since", sa.Date(), nullable=True))
    op.add_column(
        "loans",
        sa.Column(
            "suspended_interest_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
    )
    op.create_check_constraint(
        op.f("ck_loans_provision_and_suspense_non_negative"),
        "loans",
        "provision_minor >= 0 AND suspended_interest_minor >= 0",
    )
    op.create_table(
        "loan_fee_recognition",
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("recognised_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_fee_recognition_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("loan_id", "number", name=op.f("pk_loan_fee_recognition")),
    )
    op.create_index(
        "ix_loan_fee_recognition_open",
        "loan_fee_recognition",
        ["due_date"],
        unique=False,
        postgresql_where=sa.text("recognised_on IS NULL"),
    )
    op.add_column("dividend_declarations", sa.Column("owed_minor", sa.BigInteger(), nullable=True))
    for code, name, kind, parent in _ACCOUNTS:
        op.execute(
            sa.text(
                "INSERT INTO ledger_accounts (code, name, type, currency, parent_id) "
                "SELECT :code, :name, :kind, p.currency, p.id FROM ledger_accounts p "
                "WHERE p.code = :parent ON CONFLICT (code) DO NOTHING"
            ).bindparams(code=code, name=name, kind=kind, parent=parent)
        )


def downgrade() -> None:
    for code, _, _, _ in _ACCOUNTS:
        op.execute(
            sa.text(
                "DELETE FROM ledger_accounts a WHERE a.code = :code AND a.balance_minor = 0 "
                "AND NOT EXISTS (SELECT 1 FROM postings p WHERE p.account_id = a.id)"
            ).bindparams(code=code)
        )
    op.drop_column("dividend_declarations", "owed_minor")
    op.drop_index(
        "ix_loan_fee_recognition_open",
        table_name="loan_fee_recognition",
        postgresql_where=sa.text("recognised_on IS NULL"),
    )
    op.drop_table("loan_fee_recognition")
    op.drop_constraint(op.f("ck_loans_provision_and_suspense_non_negative"), "loans", type_="check")
    op.drop_column("loans", "suspended_interest_minor")
    op.drop_column("loans", "non_accrual_since")
    op.drop_column("loans", "provisioned_on")
    op.drop_column("loans", "provision_minor")
