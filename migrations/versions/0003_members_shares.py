"""Members, share products and accounts, maker-checker approvals, and the business date.

Also the two sequences that number members and share accounts (a sequence never hands out
a value twice, so numbers are never reused).

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE membership_number_seq MINVALUE 1 MAXVALUE 99999999 NO CYCLE")
    # Seven digits of serial; the eighth is a check digit (creditunion/shares/account_number.py).
    op.execute("CREATE SEQUENCE share_account_number_seq MINVALUE 1 MAXVALUE 9999999 NO CYCLE")
    op.create_table(
        "business_calendar",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_business_calendar_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendar")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("membership_number", sa.String(length=16), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("ni_number", sa.String(length=9), nullable=True),
        sa.Column(
            "common_bond",
            sa.Enum(
                "lives_in_area",
                "works_in_area",
                "employer",
                "associational",
                name="common_bond",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("bond_detail", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "dormant",
                "closed",
                name="member_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL)", name=op.f("ck_members_closed_on_set")
        ),
        sa.CheckConstraint(
            "status NOT IN ('active', 'dormant') OR activated_on IS NOT NULL",
            name=op.f("ck_members_activated_on_set"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("membership_number", name=op.f("uq_members_membership_number")),
    )
    op.create_index(
        "ix_members_family_name_prefix",
        "members",
        [sa.literal_column("lower(family_name) text_pattern_ops")],
        unique=False,
    )
    op.create_index(
        "ix_members_given_name_prefix",
        "members",
        [sa.literal_column("lower(given_name) text_pattern_ops")],
        unique=False,
    )
    op.create_index(op.f("ix_members_postcode"), "members", ["postcode"], unique=False)
    op.create_index(
        "uq_members_ni_number_live",
        "members",
        ["ni_number"],
        unique=True,
        postgresql_where=sa.text("ni_number IS NOT NULL AND status <> 'closed'"),
    )
    op.create_table(
        "share_products",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "instant_access",
                "christmas_saver",
                "junior_saver",
                name="share_product_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("minimum_balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("maximum_balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("withdrawal_windows", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("maximum_age_years", sa.SmallInteger(), nullable=True),
        sa.Column(
            "return_basis",
            sa.Enum(
                "interest",
                "dividend",
                name="return_basis",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("annual_rate", sa.Numeric(precision=10, scale=8), nullable=True),
        sa.Column(
            "day_count",
            sa.Enum(
                "ACT/365F",
                "ACT/360",
                "ACT/ACT ISDA",
                "30/360",
                name="share_day_count",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "posting_frequency",
            sa.Enum(
                "monthly",
                "quarterly",
                "annually",
                name="posting_frequency",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(return_basis = 'interest') = (annual_rate IS NOT NULL)",
            name=op.f("ck_share_products_rate_for_interest"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_share_products_currency_iso")),
        sa.CheckConstraint(
            "annual_rate IS NULL OR (annual_rate >= 0 AND annual_rate < 1)",
            name=op.f("ck_share_products_rate_range"),
        ),
        sa.CheckConstraint(
            "maximum_age_years IS NULL OR maximum_age_years BETWEEN 1 AND 25",
            name=op.f("ck_share_products_age_limit_range"),
        ),
        sa.CheckConstraint(
            "maximum_balance_minor IS NULL OR maximum_balance_minor > minimum_balance_minor",
            name=op.f("ck_share_products_maximum_above_minimum"),
        ),
        sa.CheckConstraint(
            "minimum_balance_minor >= 0", name=op.f("ck_share_products_minimum_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_products")),
        sa.UniqueConstraint("code", name=op.f("uq_share_products_code")),
    )
    op.create_table(
        "share_accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account_number", sa.String(length=8), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("ledger_account_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="share_account_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column(
            "repayment_mandate", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("minimum_reached_on", sa.Date(), nullable=True),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL)",
            name=op.f("ck_share_accounts_closed_on_set"),
        ),
        sa.CheckConstraint(
            "account_number ~ '^[0-9]{8}$'", name=op.f("ck_share_accounts_account_number_digits")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_share_accounts_ledger_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_share_accounts_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["share_products.id"],
            name=op.f("fk_share_accounts_product_id_share_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_accounts")),
        sa.UniqueConstraint("account_number", name=op.f("uq_share_accounts_account_number")),
        sa.UniqueConstraint("ledger_account_id", name=op.f("uq_share_accounts_ledger_account_id")),
    )
    op.create_index(
        op.f("ix_share_accounts_member_id"), "share_accounts", ["member_id"], unique=False
    )
    op.create_table(
        "pending_approvals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "cash_withdrawal",
                "reversal",
                name="approval_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "expired",
                name="approval_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("maker", sa.String(length=100), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("checker", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("journal_entry_id", sa.Uuid(), nullable=True),
        sa.Column("share_account_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("target_entry_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(status = 'approved') = (journal_entry_id IS NOT NULL)",
            name=op.f("ck_pending_approvals_approved_has_entry"),
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_pending_approvals_decided_unless_pending"),
        ),
        sa.CheckConstraint(
            "kind <> 'cash_withdrawal' OR (share_account_id IS NOT NULL AND amount_minor > 0)",
            name=op.f("ck_pending_approvals_withdrawal_has_account"),
        ),
        sa.CheckConstraint(
            "kind <> 'reversal' OR target_entry_id IS NOT NULL",
            name=op.f("ck_pending_approvals_reversal_has_target"),
        ),
        sa.CheckConstraint(
            "checker IS NULL OR checker <> maker",
            name=op.f("ck_pending_approvals_checker_is_not_maker"),
        ),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_pending_approvals_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["share_account_id"],
            ["share_accounts.id"],
            name=op.f("fk_pending_approvals_share_account_id_share_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["target_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_pending_approvals_target_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_approvals")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_pending_approvals_idempotency_key")),
    )
    op.create_index(
        "ix_pending_approvals_share_account_pending",
        "pending_approvals",
        ["share_account_id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_pending_approvals_status_id", "pending_approvals", ["status", "id"], unique=False
    )
    op.create_index(
        "uq_pending_approvals_target_entry_pending",
        "pending_approvals",
        ["target_entry_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_pending_approvals_target_entry_pending",
        table_name="pending_approvals",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_pending_approvals_status_id", table_name="pending_approvals")
    op.drop_index(
        "ix_pending_approvals_share_account_pending",
        table_name="pending_approvals",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("pending_approvals")
    op.drop_index(op.f("ix_share_accounts_member_id"), table_name="share_accounts")
    op.drop_table("share_accounts")
    op.drop_table("share_products")
    op.drop_index(
        "uq_members_ni_number_live",
        table_name="members",
        postgresql_where=sa.text("ni_number IS NOT NULL AND status <> 'closed'"),
    )
    op.drop_index(op.f("ix_members_postcode"), table_name="members")
    op.drop_index("ix_members_given_name_prefix", table_name="members")
    op.drop_index("ix_members_family_name_prefix", table_name="members")
    op.drop_table("members")
    op.drop_table("business_calendar")
    op.execute("DROP SEQUENCE share_account_number_seq")
    op.execute("DROP SEQUENCE membership_number_seq")
