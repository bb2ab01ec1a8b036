"""Loan instalments collected from members' banks: mandates, advance notices and each
collection; loan transactions gain the direct-debit source and the unpaid kind.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    "disbursement",
    "repayment",
    "collection",
    "withdrawal",
    "late_fee",
    "nsf_fee",
    "write_off",
    "recovery",
)
_SOURCES = ("shares", "cash", "external")


def _in(column: str, values: Sequence[str]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


def _loan_transaction_values(kinds: Sequence[str], sources: Sequence[str]) -> None:
    for name, check in (
        ("ck_loan_transactions_loan_transaction_kind", _in("kind", kinds)),
        ("ck_loan_transactions_loan_payment_source", _in("source", sources)),
    ):
        op.drop_constraint(op.f(name), "loan_transactions", type_="check")
        op.create_check_constraint(op.f(name), "loan_transactions", check)


def _matched_has_target(targets: str) -> None:
    name = op.f("ck_bank_statement_lines_matched_has_target")
    op.drop_constraint(name, "bank_statement_lines", type_="check")
    op.create_check_constraint(name, "bank_statement_lines", f"(status = 'matched') = ({targets})")


def upgrade() -> None:
    _loan_transaction_values((*_KINDS, "unpaid"), (*_SOURCES, "direct_debit"))
    op.create_table(
        "collection_mandates",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reference", sa.String(length=18), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("nominated_account_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "scheme",
            sa.Enum(
                "uk",
                "us",
                name="payment_scheme",
                native_enum=False,
                create_constraint=True,
                length=4,
            ),
            nullable=False,
        ),
        sa.Column("holder_name", sa.String(length=70), nullable=False),
        sa.Column("bank_id", sa.String(length=9), nullable=False),
        sa.Column("account_number", sa.String(length=17), nullable=False),
        sa.Column("account_kind", sa.String(length=8), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "cancelled",
                name="collection_mandate_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("represent_agreed", sa.Boolean(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column(
            "cancelled_by",
            sa.Enum(
                "member",
                "staff",
                "bank",
                "loan_ended",
                name="mandate_cancelled_by",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_on IS NOT NULL AND cancelled_by IS NOT NULL)",
            name=op.f("ck_collection_mandates_cancelled_has_when"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_collection_mandates_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_collection_mandates_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["nominated_account_id"],
            ["nominated_accounts.id"],
            name=op.f("fk_collection_mandates_nominated_account_id_nominated_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_mandates")),
        sa.UniqueConstraint("reference", name=op.f("uq_collection_mandates_reference")),
    )
    op.create_index(
        "ix_collection_mandates_member", "collection_mandates", ["member_id", "id"], unique=False
    )
    op.create_index(
        "uq_collection_mandates_loan_live",
        "collection_mandates",
        ["loan_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.create_table(
        "collection_notices",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("mandate_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "first",
                "changed",
                "represented",
                "failed",
                "stopped",
                "cancelled",
                name="collection_notice_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_collection_notices_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["collection_mandates.id"],
            name=op.f("fk_collection_notices_mandate_id_collection_mandates"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_collection_notices_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_notices")),
    )
    op.create_index(
        "ix_collection_notices_member", "collection_notices", ["member_id", "id"], unique=False
    )
    op.create_table(
        "collections",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("mandate_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("instalment_number", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "sent",
                "collected",
                "unpaid",
                "cancelled",
                name="collection_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("collection_date", sa.Date(), nullable=False),
        sa.Column("notice_id", sa.BigInteger(), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("trace_number", sa.String(length=15), nullable=True),
        sa.Column("file_id", sa.BigInteger(), nullable=True),
        sa.Column("collect_entry_id", sa.Uuid(), nullable=True),
        sa.Column("loan_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("fees_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("excess_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("excess_account_id", sa.BigInteger(), nullable=True),
        sa.Column("settle_entry_id", sa.Uuid(), nullable=True),
        sa.Column("unpaid_entry_id", sa.Uuid(), nullable=True),
        sa.Column("reason_code", sa.String(length=8), nullable=True),
        sa.Column("reason_text", sa.String(length=200), nullable=True),
        sa.Column("represent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("unpaid_reference", sa.String(length=35), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "(status = 'collected') <= (collect_entry_id IS NOT NULL)",
            name=op.f("ck_collections_collected_has_entry"),
        ),
        sa.CheckConstraint(
            "(status IN ('sent', 'collected', 'unpaid') AND file_id IS NOT NULL) OR status IN ('scheduled', 'cancelled')",
            name=op.f("ck_collections_sent_has_file"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_collections_amount_positive")),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_collections_attempt_positive")),
        sa.ForeignKeyConstraint(
            ["collect_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_collections_collect_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["excess_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_collections_excess_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["payment_files.id"], name=op.f("fk_collections_file_id_payment_files")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_collections_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["collection_mandates.id"],
            name=op.f("fk_collections_mandate_id_collection_mandates"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_collections_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["collection_notices.id"],
            name=op.f("fk_collections_notice_id_collection_notices"),
        ),
        sa.ForeignKeyConstraint(
            ["settle_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_collections_settle_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["unpaid_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_collections_unpaid_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_collections_end_to_end_id")),
        sa.UniqueConstraint("trace_number", name=op.f("uq_collections_trace_number")),
    )
    op.create_index("ix_collections_mandate", "collections", ["mandate_id", "id"], unique=False)
    op.create_index(
        "ix_collections_status_date",
        "collections",
        ["status", "collection_date", "id"],
        unique=False,
    )
    op.create_index(
        "uq_collections_instalment_live",
        "collections",
        ["loan_id", "instalment_number"],
        unique=True,
        postgresql_where=sa.text("status IN ('scheduled', 'sent', 'collected')"),
    )
    op.add_column(
        "bank_statement_lines", sa.Column("collection_id", sa.BigInteger(), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_bank_statement_lines_collection_id_collections"),
        "bank_statement_lines",
        "collections",
        ["collection_id"],
        ["id"],
    )
    _matched_has_target(
        "outbound_payment_id IS NOT NULL OR incoming_credit_id IS NOT NULL "
        "OR collection_id IS NOT NULL"
    )


def downgrade() -> None:
    _matched_has_target("outbound_payment_id IS NOT NULL OR incoming_credit_id IS NOT NULL")
    op.drop_constraint(
        op.f("fk_bank_statement_lines_collection_id_collections"),
        "bank_statement_lines",
        type_="foreignkey",
    )
    op.drop_column("bank_statement_lines", "collection_id")
    _loan_transaction_values(_KINDS, _SOURCES)
    op.drop_index(
        "uq_collections_instalment_live",
        table_name="collections",
        postgresql_where=sa.text("status IN ('scheduled', 'sent', 'collected')"),
    )
    op.drop_index("ix_collections_status_date", table_name="collections")
    op.drop_index("ix_collections_mandate", table_name="collections")
    op.drop_table("collections")
    op.drop_index("ix_collection_notices_member", table_name="collection_notices")
    op.drop_table("collection_notices")
    op.drop_index(
        "uq_collection_mandates_loan_live",
        table_name="collection_mandates",
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.drop_index("ix_collection_mandates_member", table_name="collection_mandates")
    op.drop_table("collection_mandates")
