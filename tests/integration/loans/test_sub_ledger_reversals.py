"""A loan's journal entries are the loans sub-ledger's: a generic reversal refuses them.

Mirroring a repayment or a disbursement moves the loan's accounts while the loan's
transactions, schedule and status stay as they were. The refusal
holds when the reversal is asked for and again when a manager approves an old request.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, func, select

from creditunion.approvals.models import ApprovalKind, ApprovalStatus
from creditunion.approvals.requests import create_pending
from creditunion.approvals.service import (
    EntryOwnedBySubLedger,
    approve,
    get_approval,
    request_reversal,
)
from creditunion.platform.database import unit_of_work
from ledger.models import JournalEntry
from ledger.ownership import STAFF
from loans.models import TransactionKind
from loans.services.queries import loan_transactions
from loans.services.repayments import RepaymentSource, repay
from tests.factories_loans import MANAGER, TODAY, account_minor, gbp, loan_row, make_loan

OTHER_MANAGER = "user:manager-2"


def _loan_with_a_repayment(engine: Engine) -> tuple[int, dict[TransactionKind, uuid.UUID]]:
    loan_id, shares, _ = make_loan(engine, amount="1000", term=12, shares="200")
    with unit_of_work(engine) as s:
        repay(
            s,
            loan_id=loan_id,
            amount=gbp("100.00"),
            source=RepaymentSource.shares(shares),
            idempotency_key=f"pay-{loan_id}",
            business_date=TODAY,
            actor="user:teller-1",
            scope=STAFF,
        )
        entries = {
            t.kind: t.journal_entry_id
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.journal_entry_id is not None
        }
    return loan_id, entries


@pytest.mark.parametrize("kind", [TransactionKind.REPAYMENT, TransactionKind.DISBURSEMENT])
def test_a_loan_entry_is_refused_when_its_reversal_is_requested(
    engine: Engine, kind: TransactionKind
) -> None:
    loan_id, entries = _loan_with_a_repayment(engine)
    entry_id = entries[kind]
    with unit_of_work(engine) as s:
        journal = s.scalar(select(func.count()).select_from(JournalEntry))
        with pytest.raises(EntryOwnedBySubLedger) as refused:
            request_reversal(
                s,
                entry_id=entry_id,
                actor=MANAGER,
                idempotency_key=f"rev-{loan_id}-{kind}",
                business_date=TODAY,
                reason="keyed in error",
            )
    assert refused.value.sub_ledger == "loans" and refused.value.owner_id == loan_id
    assert f"loan {loan_id}" in str(refused.value) and "servicing" in str(refused.value)
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == journal


def test_an_old_request_for_a_loan_entry_is_refused_at_approval(engine: Engine) -> None:
    loan_id, entries = _loan_with_a_repayment(engine)
    entry_id = entries[TransactionKind.REPAYMENT]
    with unit_of_work(engine) as s:
        # As a request made before the refusal existed was stored: straight in.
        pending = create_pending(
            s,
            kind=ApprovalKind.REVERSAL,
            payload={"entry_id": str(entry_id), "reason": "old"},
            maker=MANAGER,
            idempotency_key=f"old-rev-{loan_id}",
            business_date=TODAY,
            target_entry_id=entry_id,
        )
        principal_before = account_minor(s, loan_row(s, loan_id).principal_account_id)
    with unit_of_work(engine) as s, pytest.raises(EntryOwnedBySubLedger):
        approve(
            s,
            approval_id=pending.id,
            checker=OTHER_MANAGER,
            checker_role="manager",
            business_date=TODAY,
        )
    with unit_of_work(engine) as s:
        assert get_approval(s, approval_id=pending.id).status is ApprovalStatus.PENDING
        assert account_minor(s, loan_row(s, loan_id).principal_account_id) == principal_before
        assert (
            s.scalar(select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id))
            is None
        )
