"""A loan write-off is maker-checker: one manager asks, a different manager approves, and
only then does it post, once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, func, select

from creditunion.approvals import service as approvals
from creditunion.approvals.models import ApprovalKind, ApprovalStatus
from creditunion.approvals.requests import WriteOffAlreadyPending
from creditunion.approvals.service import (
    ApprovalAlreadyDecided,
    ApproverRoleRefused,
    SelfApprovalRefused,
)
from creditunion.approvals.write_offs import request_write_off
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import get_settings
from ledger.models import JournalEntry
from loans.models import LoanStatus, LoanTransactionRow, TransactionKind
from loans.services.state import LoanNotActive
from loans.services.writeoff import WriteOffNotDue
from tests.factories_loans import TODAY, loan_row, make_loan
from tests.share_account_helpers import run_threads

MAKER = "user:101"
CHECKER = "user:102"
# Far past the configured threshold: the first instalment fell due on 15 Feb 2026.
LATE = dt.date(2027, 3, 1)


def _request(engine: Engine, loan_id: int, *, key: str = "wo-1", on: dt.date = LATE) -> int:
    with unit_of_work(engine) as s:
        return request_write_off(
            s,
            loan_id=loan_id,
            actor=MAKER,
            idempotency_key=key,
            business_date=on,
            reason="no contact for a year",
            min_days_past_due=get_settings().loan_write_off_after_days,
        ).id


def _write_offs(engine: Engine, loan_id: int) -> int:
    with unit_of_work(engine) as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    JournalEntry.kind == "loan.write_off",
                    JournalEntry.reference == f"loan:{loan_id}",
                )
            )
            or 0
        )


def test_a_write_off_posts_only_when_a_second_manager_approves(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="600", term=6, mandate=False)

    approval_id = _request(fresh_engine, loan_id)

    # Asked for: pending, and nothing moved.
    with unit_of_work(fresh_engine) as s:
        pending = approvals.get_approval(s, approval_id=approval_id)
        assert (pending.kind, pending.status, pending.maker, pending.loan_id) == (
            ApprovalKind.LOAN_WRITE_OFF,
            ApprovalStatus.PENDING,
            MAKER,
            loan_id,
        )
        assert loan_row(s, loan_id).status is LoanStatus.ACTIVE
    assert _write_offs(fresh_engine, loan_id) == 0

    # The maker cannot approve their own request, nor can a role that may not write off.
    with pytest.raises(SelfApprovalRefused), unit_of_work(fresh_engine) as s:
        approvals.approve(
            s, approval_id=approval_id, checker=MAKER, checker_role="manager", business_date=LATE
        )
    with pytest.raises(ApproverRoleRefused), unit_of_work(fresh_engine) as s:
        approvals.approve(
            s,
            approval_id=approval_id,
            checker=CHECKER,
            checker_role="loan_officer",
            business_date=LATE,
        )
    assert _write_offs(fresh_engine, loan_id) == 0

    with unit_of_work(fresh_engine) as s:
        decided = approvals.approve(
            s, approval_id=approval_id, checker=CHECKER, checker_role="manager", business_date=LATE
        )
    with unit_of_work(fresh_engine) as s:
        entry = s.get(JournalEntry, decided.journal_entry_id)
        assert entry is not None
        assert (entry.kind, entry.posted_by, entry.business_date) == (
            "loan.write_off",
            CHECKER,
            LATE,
        )
        assert {k: entry.meta[k] for k in ("approval_id", "requested_by", "approved_by")} == {
            "approval_id": approval_id,
            "requested_by": MAKER,
            "approved_by": CHECKER,
        }
        loan = loan_row(s, loan_id)
        assert (loan.status, loan.written_off_on) == (LoanStatus.WRITTEN_OFF, LATE)
        row = s.scalar(
            select(LoanTransactionRow).where(
                LoanTransactionRow.loan_id == loan_id,
                LoanTransactionRow.kind == TransactionKind.WRITE_OFF,
            )
        )
        assert row is not None
        assert (row.actor, row.journal_entry_id, row.amount_minor) == (
            CHECKER,
            entry.id,
            loan.written_off_minor,
        )
    assert (decided.status, decided.checker) == (ApprovalStatus.APPROVED, CHECKER)
    assert _write_offs(fresh_engine, loan_id) == 1


def test_one_request_per_loan_a_replay_and_a_loan_not_yet_due(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="600", term=6, mandate=False)
    first = _request(fresh_engine, loan_id)

    assert _request(fresh_engine, loan_id) == first  # the same key and request: replayed
    with pytest.raises(WriteOffAlreadyPending):
        _request(fresh_engine, loan_id, key="wo-2")

    fresh_id, _, _ = make_loan(fresh_engine, amount="600", term=6, mandate=False)
    with pytest.raises(WriteOffNotDue):
        _request(fresh_engine, fresh_id, key="wo-3", on=TODAY + dt.timedelta(days=60))

    # Rejected, it posts nothing and the loan may be asked for again.
    with unit_of_work(fresh_engine) as s:
        approvals.reject(
            s,
            approval_id=first,
            checker=CHECKER,
            checker_role="manager",
            business_date=LATE,
            note="a payment plan was agreed",
        )
    assert _write_offs(fresh_engine, loan_id) == 0
    assert _request(fresh_engine, loan_id, key="wo-4") != first


def test_concurrent_requests_and_approvals_write_off_once(fresh_engine: Engine) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="600", term=6, mandate=False)
    asked: list[str] = []
    decided: list[str] = []
    guard = threading.Lock()

    def ask(n: int) -> None:
        try:
            _request(fresh_engine, loan_id, key=f"wo-race-{n}")
            outcome = "requested"
        except WriteOffAlreadyPending:
            outcome = "already pending"
        with guard:
            asked.append(outcome)

    run_threads(ask, 3)
    assert sorted(asked) == ["already pending", "already pending", "requested"]
    with unit_of_work(fresh_engine) as s:
        pending = approvals.list_approvals(s, kind="loan_write_off", after_id=0, limit=10).items
    assert [(a.loan_id, a.status) for a in pending] == [(loan_id, ApprovalStatus.PENDING)]

    def approve(n: int) -> None:
        try:
            with unit_of_work(fresh_engine) as s:
                approvals.approve(
                    s,
                    approval_id=pending[0].id,
                    checker=f"user:{200 + n}",
                    checker_role="manager",
                    business_date=LATE,
                )
            outcome = "approved"
        except (ApprovalAlreadyDecided, LoanNotActive):
            outcome = "refused"
        with guard:
            decided.append(outcome)

    run_threads(approve, 3)
    assert sorted(decided) == ["approved", "refused", "refused"]
    assert _write_offs(fresh_engine, loan_id) == 1
    with unit_of_work(fresh_engine) as s:
        assert loan_row(s, loan_id).status is LoanStatus.WRITTEN_OFF
