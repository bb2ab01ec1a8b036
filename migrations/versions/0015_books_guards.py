"""The database refuses a journal entry dated on a closed day, or after the business date
its transaction declared, whoever inserts it (the application refuses both first).

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Once per INSERT statement over the entries it added, as the balance check is: a closed
# date (on or before the latest in ledger_day_closes) is refused; so is a date after the
# transaction's `ledger.posting_horizon` (ledger.periods.limit_postings_to), when set.
UP = [
    """
    CREATE FUNCTION ledger_check_entry_dates() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        closed date;
        horizon date;
        bad_date date;
    BEGIN
        SELECT max(business_date) INTO closed FROM ledger_day_closes;
        IF closed IS NOT NULL THEN
            SELECT min(business_date) INTO bad_date FROM new_entries
            WHERE business_date <= closed;
            IF bad_date IS NOT NULL THEN
                RAISE EXCEPTION 'business date % is closed (closed through %)', bad_date, closed
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        horizon := nullif(current_setting('ledger.posting_horizon', true), '')::date;
        IF horizon IS NOT NULL THEN
            SELECT max(business_date) INTO bad_date FROM new_entries
            WHERE business_date > horizon;
            IF bad_date IS NOT NULL THEN
                RAISE EXCEPTION 'business date % is after the business date %', bad_date, horizon
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER journal_entries_open_dates AFTER INSERT ON journal_entries "
    "REFERENCING NEW TABLE AS new_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entry_dates()",
]

DOWN = [
    "DROP TRIGGER journal_entries_open_dates ON journal_entries",
    "DROP FUNCTION ledger_check_entry_dates()",
]


def upgrade() -> None:
    for statement in UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWN:
        op.execute(statement)
