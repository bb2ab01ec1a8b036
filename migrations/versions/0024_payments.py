"""Payments to and from members' external bank accounts: nominated accounts, payments out,
credits in, the files exchanged with the settlement bank and its statement lines; and
payments above the limit as a kind of approval.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
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
        _kinds("cash_withdrawal", "reversal", "loan_write_off", "payment"),
    )
    op.create_table(
        "payment_files",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "outbound",
                "inbound",
                name="payment_file_direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("octet_length(content) > 0", name=op.f("ck_payment_files_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_payment_files_sha256")),
    )
    op.create_index(
        "uq_payment_files_direction_kind_message",
        "payment_files",
        ["direction", "kind", "message_id"],
        unique=True,
    )
    op.create_table(
        "nominated_accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
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
                "replaced",
                name="nomination_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("nominated_on", sa.Date(), nullable=False),
        sa.Column("usable_on", sa.Date(), nullable=False),
        sa.Column("nominated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(scheme = 'uk' AND bank_id ~ '^[0-9]{6}$' AND account_number ~ '^[0-9]{8}$' AND account_kind IS NULL) OR (scheme = 'us' AND bank_id ~ '^[0-9]{9}$' AND account_kind IS NOT NULL)",
            name=op.f("ck_nominated_accounts_scheme_details"),
        ),
        sa.CheckConstraint(
            "usable_on >= nominated_on", name=op.f("ck_nominated_accounts_usable_after_nomination")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_nominated_accounts_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominated_accounts")),
    )
    op.create_index(
        "uq_nominated_accounts_member_active",
        "nominated_accounts",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "incoming_credits",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("bank_reference", sa.String(length=35), nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "applied",
                "unmatched",
                "assigned",
                "returned",
                name="incoming_credit_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("payer_name", sa.String(length=140), nullable=True),
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
        sa.Column("payer_bank_id", sa.String(length=9), nullable=True),
        sa.Column("payer_account_number", sa.String(length=17), nullable=True),
        sa.Column("reference", sa.String(length=140), nullable=True),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("share_account_id", sa.BigInteger(), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("resolve_entry_id", sa.Uuid(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolution_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "(status = 'unmatched') OR (status = 'returned') OR share_account_id IS NOT NULL",
            name=op.f("ck_incoming_credits_applied_has_account"),
        ),
        sa.CheckConstraint(
            "currency ~ '^[A-Z]{3}$'", name=op.f("ck_incoming_credits_currency_iso")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_incoming_credits_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_incoming_credits_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["payment_files.id"],
            name=op.f("fk_incoming_credits_file_id_payment_files"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_incoming_credits_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["resolve_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_incoming_credits_resolve_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["share_account_id"],
            ["share_accounts.id"],
            name=op.f("fk_incoming_credits_share_account_id_share_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_credits")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_incoming_credits_bank_reference")),
    )
    op.create_index(
        "ix_incoming_credits_status_id", "incoming_credits", ["status", "id"], unique=False
    )
    op.create_table(
        "outbound_payments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("trace_number", sa.String(length=15), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "payout",
                "loan_disbursement",
                "return_to_sender",
                name="payment_purpose",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "awaiting_approval",
                "pending",
                "sent",
                "settled",
                "rejected",
                "returned",
                "cancelled",
                name="payment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("share_account_id", sa.BigInteger(), nullable=True),
        sa.Column("nominated_account_id", sa.BigInteger(), nullable=True),
        sa.Column("loan_id", sa.BigInteger(), nullable=True),
        sa.Column("incoming_credit_id", sa.BigInteger(), nullable=True),
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
        sa.Column("creditor_name", sa.String(length=70), nullable=False),
        sa.Column("bank_id", sa.String(length=9), nullable=False),
        sa.Column("account_number", sa.String(length=17), nullable=False),
        sa.Column("account_kind", sa.String(length=8), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("not_before", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("approval_id", sa.BigInteger(), nullable=True),
        sa.Column("file_id", sa.BigInteger(), nullable=True),
        sa.Column("settlement_date", sa.Date(), nullable=True),
        sa.Column("debit_entry_id", sa.Uuid(), nullable=False),
        sa.Column("settle_entry_id", sa.Uuid(), nullable=True),
        sa.Column("reverse_entry_id", sa.Uuid(), nullable=True),
        sa.Column("reason_code", sa.String(length=8), nullable=True),
        sa.Column("reason_text", sa.String(length=200), nullable=True),
        sa.Column("return_reference", sa.String(length=35), nullable=True),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "(status = 'settled' OR status = 'returned') = (settle_entry_id IS NOT NULL)",
            name=op.f("ck_outbound_payments_settled_has_entry"),
        ),
        sa.CheckConstraint(
            "(status IN ('rejected', 'returned', 'cancelled')) = (reverse_entry_id IS NOT NULL)",
            name=op.f("ck_outbound_payments_reversed_has_entry"),
        ),
        sa.CheckConstraint(
            "(status IN ('sent', 'settled', 'rejected', 'returned')) = (file_id IS NOT NULL)",
            name=op.f("ck_outbound_payments_sent_has_file"),
        ),
        sa.CheckConstraint(
            "currency ~ '^[A-Z]{3}$'", name=op.f("ck_outbound_payments_currency_iso")
        ),
        sa.CheckConstraint(
            "purpose = 'return_to_sender' OR share_account_id IS NOT NULL",
            name=op.f("ck_outbound_payments_member_payment_has_account"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_outbound_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["pending_approvals.id"],
            name=op.f("fk_outbound_payments_approval_id_pending_approvals"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_outbound_payments_debit_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["payment_files.id"],
            name=op.f("fk_outbound_payments_file_id_payment_files"),
        ),
        sa.ForeignKeyConstraint(
            ["incoming_credit_id"],
            ["incoming_credits.id"],
            name=op.f("fk_outbound_payments_incoming_credit_id_incoming_credits"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_outbound_payments_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["nominated_account_id"],
            ["nominated_accounts.id"],
            name=op.f("fk_outbound_payments_nominated_account_id_nominated_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["reverse_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_outbound_payments_reverse_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["settle_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_outbound_payments_settle_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["share_account_id"],
            ["share_accounts.id"],
            name=op.f("fk_outbound_payments_share_account_id_share_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_payments")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_outbound_payments_end_to_end_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbound_payments_idempotency_key")),
        sa.UniqueConstraint("trace_number", name=op.f("uq_outbound_payments_trace_number")),
    )
    op.create_index(
        "ix_outbound_payments_member", "outbound_payments", ["member_id", "id"], unique=False
    )
    op.create_index(
        "ix_outbound_payments_status_not_before",
        "outbound_payments",
        ["status", "not_before", "id"],
        unique=False,
    )
    op.create_table(
        "bank_statement_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("statement_id", sa.String(length=35), nullable=False),
        sa.Column("bank_reference", sa.String(length=35), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "matched",
                "break",
                "resolved",
                name="statement_line_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("outbound_payment_id", sa.BigInteger(), nullable=True),
        sa.Column("incoming_credit_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolution_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "(status = 'matched') = (outbound_payment_id IS NOT NULL OR incoming_credit_id IS NOT NULL)",
            name=op.f("ck_bank_statement_lines_matched_has_target"),
        ),
        sa.CheckConstraint(
            "(status = 'resolved') = (resolved_by IS NOT NULL)",
            name=op.f("ck_bank_statement_lines_resolved_has_who"),
        ),
        sa.CheckConstraint(
            "amount_minor <> 0", name=op.f("ck_bank_statement_lines_amount_not_zero")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["payment_files.id"],
            name=op.f("fk_bank_statement_lines_file_id_payment_files"),
        ),
        sa.ForeignKeyConstraint(
            ["incoming_credit_id"],
            ["incoming_credits.id"],
            name=op.f("fk_bank_statement_lines_incoming_credit_id_incoming_credits"),
        ),
        sa.ForeignKeyConstraint(
            ["outbound_payment_id"],
            ["outbound_payments.id"],
            name=op.f("fk_bank_statement_lines_outbound_payment_id_outbound_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement_lines")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_bank_statement_lines_bank_reference")),
    )
    op.create_index(
        "ix_bank_statement_lines_status_id", "bank_statement_lines", ["status", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_bank_statement_lines_status_id", table_name="bank_statement_lines")
    op.drop_table("bank_statement_lines")
    op.drop_index("ix_outbound_payments_status_not_before", table_name="outbound_payments")
    op.drop_index("ix_outbound_payments_member", table_name="outbound_payments")
    op.drop_table("outbound_payments")
    op.drop_index("ix_incoming_credits_status_id", table_name="incoming_credits")
    op.drop_table("incoming_credits")
    op.drop_index(
        "uq_nominated_accounts_member_active",
        table_name="nominated_accounts",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_table("nominated_accounts")
    op.drop_index("uq_payment_files_direction_kind_message", table_name="payment_files")
    op.drop_table("payment_files")
    op.execute("DELETE FROM pending_approvals WHERE kind = 'payment'")
    op.drop_constraint(op.f(_KIND), "pending_approvals", type_="check")
    op.create_check_constraint(
        op.f(_KIND),
        "pending_approvals",
        _kinds("cash_withdrawal", "reversal", "loan_write_off"),
    )
