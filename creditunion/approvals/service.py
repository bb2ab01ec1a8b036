"""Maker-checker: requesting a reversal, approving or rejecting requests, listing, expiring.

A request is created pending by its maker (a withdrawal above the limit is created by
`shares.movements.withdraw_cash`, a loan write-off by `approvals.write_offs`). A different staff user whose role may decide that kind
approves it, which posts it under the request's idempotency key, or rejects it, which
posts nothing. The approval row is locked while it is decided, so two checkers approving
at once post once: the second finds it already decided.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from creditunion.actors import COB_ACTOR, require_actor
from creditunion.approvals.models import ApprovalKind, ApprovalStatus, PendingApproval
from creditunion.approvals.policy import deciding_roles, may_decide
from creditunion.approvals.requests import (
    ApprovalKeyReused,
    checked_key_and_reason,
    create_pending,
    find_by_key,
    same_request,
)
from creditunion.approvals.sub_ledgers import SubLedgerOwner, sub_ledger_owner
from creditunion.approvals.views import ApprovalPage, ApprovalView
from creditunion.approvals.write_offs import execute_approved_write_off
from creditunion.errors import Conflict, NotFound, PermissionDenied
from creditunion.field_problems import FieldError, Problems, ValidationProblem
from creditunion.members.text import clean_text
from creditunion.payments.outbound import refuse_payment, release_approved_payment
from creditunion.shares.movements import execute_approved_withdrawal
from ledger.models import JournalEntry
from ledger.reversal import reverse_entry
from ledger.transaction import require_transaction

NOTE_LENGTH_MAX: Final = 500
PAGE_LIMIT_MAX: Final = 200
EXPIRE_BATCH_MAX: Final = 100_000


class ApprovalNotFound(NotFound):
    def __init__(self, approval_id: int) -> None:
        super().__init__(f"approval {approval_id} not found")


class ApprovalAlreadyDecided(Conflict):
    def __init__(self, approval_id: int, status: ApprovalStatus) -> None:
        super().__init__(f"approval {approval_id} is already {status}")
        self.approval_id = approval_id
        self.status = status


class ApprovalExpired(Conflict):
    """A cash withdrawal is approved the business day it was asked for, or not at all."""

    def __init__(self, approval_id: int, requested_on: dt.date) -> None:
        super().__init__(f"approval {approval_id} was requested on {requested_on} and has lapsed")
        self.approval_id = approval_id


class SelfApprovalRefused(PermissionDenied):
    def __init__(self, approval_id: int) -> None:
        super().__init__(f"the maker of approval {approval_id} cannot decide it")
        self.approval_id = approval_id


class ApproverRoleRefused(PermissionDenied):
    def __init__(self, kind: ApprovalKind, role: str) -> None:
        allowed = " or ".join(deciding_roles(kind))
        super().__init__(f"a {role} cannot decide a {kind}; it takes a {allowed}")
        self.kind = kind
        self.role = role


class EntryToReverseNotFound(NotFound):
    def __init__(self, entry_id: uuid.UUID) -> None:
        super().__init__(f"journal entry {entry_id} not found")


class EntryNotReversible(Conflict):
    def __init__(self, entry_id: uuid.UUID, reason: str) -> None:
        super().__init__(f"journal entry {entry_id} cannot be reversed: {reason}")
        self.entry_id = entry_id
        self.reason = reason


class EntryOwnedBySubLedger(EntryNotReversible):
    """The entry is a sub-ledger's (a loan's): mirroring its lines would leave that
    sub-ledger's records disagreeing with the ledger, so its own operation corrects it."""

    def __init__(self, entry_id: uuid.UUID, owner: SubLedgerOwner) -> None:
        super().__init__(entry_id, owner.operation)
        self.sub_ledger = owner.sub_ledger
        self.owner_id = owner.owner_id


def _note(raw: str | None, field: str, *, required: bool) -> str | None:
    if raw is None and not required:
        return None
    try:
        return clean_text(raw, max_length=NOTE_LENGTH_MAX)
    except FieldError as exc:
        raise ValidationProblem.single(field, str(exc)) from None


def request_reversal(
    session: Session,
    *,
    entry_id: uuid.UUID,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    reason: str,
) -> ApprovalView:
    """Ask for `entry_id` to be reversed; it posts only when a manager approves.

    The same key with the same request returns it again (`replayed`). Raises
    `ValidationProblem` (reason, key), `EntryToReverseNotFound`, `EntryNotReversible`
    (a reversal itself, or already reversed), `ReversalAlreadyPending`, `ApprovalKeyReused`.
    """
    require_transaction(session)
    require_actor(actor)
    cleaned_reason = checked_key_and_reason(idempotency_key, reason, reason_max=NOTE_LENGTH_MAX)
    if not isinstance(entry_id, uuid.UUID):
        raise ValidationProblem.single("entry_id", "must be a journal entry id (a UUID)")
    payload = {"entry_id": str(entry_id), "reason": cleaned_reason}
    existing = find_by_key(session, idempotency_key)
    if existing is not None and same_request(existing, ApprovalKind.REVERSAL, payload):
        return ApprovalView.of(existing, replayed=True)
    if session.scalar(select(exists().where(JournalEntry.idempotency_key == idempotency_key))):
        # The reversal will post under this key; one already in the journal would clash.
        raise ApprovalKeyReused(idempotency_key)
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise EntryToReverseNotFound(entry_id)
    if original.reverses_entry_id is not None:
        raise EntryNotReversible(entry_id, "it is itself a reversal")
    if session.scalar(select(exists().where(JournalEntry.reverses_entry_id == entry_id))):
        raise EntryNotReversible(entry_id, "it has already been reversed")
    _refuse_sub_ledger_entry(session, entry_id)
    return create_pending(
        session,
        kind=ApprovalKind.REVERSAL,
        payload=payload,
        maker=actor,
        idempotency_key=idempotency_key,
        business_date=business_date,
        target_entry_id=entry_id,
    )


def _refuse_sub_ledger_entry(session: Session, entry_id: uuid.UUID) -> None:
    owner = sub_ledger_owner(session, entry_id)
    if owner is not None:
        raise EntryOwnedBySubLedger(entry_id, owner)


def _lock_for_decision(
    session: Session, approval_id: int, checker: str, checker_role: str
) -> PendingApproval:
    row = session.get(PendingApproval, approval_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise ApprovalNotFound(approval_id)
    if row.status is not ApprovalStatus.PENDING:
        raise ApprovalAlreadyDecided(approval_id, row.status)
    # Actors are compared exactly: "user:12" made it, so "user:12" may not decide it.
    if checker == row.maker:
        raise SelfApprovalRefused(approval_id)
    if not may_decide(row.kind, checker_role):
        raise ApproverRoleRefused(row.kind, str(checker_role))
    return row


def approve(
    session: Session,
    *,
    approval_id: int,
    checker: str,
    checker_role: str,
    business_date: dt.date,
    note: str | None = None,
) -> ApprovalView:
    """Approve a pending request and post it; return it approved with its journal entry.

    Raises `ApprovalNotFound`, `ApprovalAlreadyDecided`, `SelfApprovalRefused`,
    `ApproverRoleRefused`, `ApprovalExpired`, `ValidationProblem` (note), and whatever
    refuses the posting now: for a withdrawal the refusals of `withdraw_cash`; for a loan
    write-off those of `write_off_loan` (`LoanNotActive`, `WriteOffNotDue`); for a
    reversal `EntryOwnedBySubLedger` (checked again: a request made before this check
    existed, or an entry a loan took over since) and the ledger's (`AlreadyReversed`,
    `InsufficientFunds`, `AccountClosed`, `PeriodClosed`). A refused approval stays
    pending: reject it or fix the cause. The reversal records its maker and checker.
    """
    require_transaction(session)
    require_actor(checker)
    cleaned = _note(note, "note", required=False)
    row = _lock_for_decision(session, approval_id, checker, checker_role)
    if row.kind is ApprovalKind.CASH_WITHDRAWAL:
        if row.requested_on < business_date:
            raise ApprovalExpired(approval_id, row.requested_on)
        movement = execute_approved_withdrawal(
            session, approval=row, checker=checker, business_date=business_date
        )
        entry_id = movement.entry_id
    elif row.kind is ApprovalKind.LOAN_WRITE_OFF:
        entry_id = execute_approved_write_off(
            session, approval=row, checker=checker, business_date=business_date
        )
    elif row.kind is ApprovalKind.PAYMENT:
        entry_id = release_approved_payment(
            session, approval=row, checker=checker, business_date=business_date
        )
    else:
        assert row.target_entry_id is not None
        _refuse_sub_ledger_entry(session, row.target_entry_id)
        posted = reverse_entry(
            session,
            entry_id=row.target_entry_id,
            idempotency_key=row.idempotency_key,
            business_date=business_date,
            posted_by=checker,
            metadata={"approval_id": row.id, "requested_by": row.maker, "approved_by": checker},
        )
        entry_id = posted.id
    return _decide(session, row, ApprovalStatus.APPROVED, checker, business_date, cleaned, entry_id)


def reject(
    session: Session,
    *,
    approval_id: int,
    checker: str,
    checker_role: str,
    business_date: dt.date,
    note: str,
) -> ApprovalView:
    """Reject a pending request with a reason; nothing posts and its reserve is released
    (a payment, whose money already left the share account, has it posted back).

    Raises `ApprovalNotFound`, `ApprovalAlreadyDecided`, `SelfApprovalRefused`,
    `ApproverRoleRefused`, `ValidationProblem` (note).
    """
    require_transaction(session)
    require_actor(checker)
    cleaned = _note(note, "note", required=True)
    row = _lock_for_decision(session, approval_id, checker, checker_role)
    if row.kind is ApprovalKind.PAYMENT:
        refuse_payment(
            session, approval=row, checker=checker, business_date=business_date, note=cleaned
        )
    return _decide(session, row, ApprovalStatus.REJECTED, checker, business_date, cleaned, None)


def _decide(
    session: Session,
    row: PendingApproval,
    status: ApprovalStatus,
    checker: str,
    business_date: dt.date,
    note: str | None,
    entry_id: uuid.UUID | None,
) -> ApprovalView:
    row.status = status
    row.checker = checker
    row.decided_on = business_date
    row.decided_at = func.now()
    row.decision_note = note
    row.journal_entry_id = entry_id
    session.flush()
    session.refresh(row)
    return ApprovalView.of(row)


def get_approval(session: Session, *, approval_id: int) -> ApprovalView:
    """Raises `ApprovalNotFound`."""
    row = session.get(PendingApproval, approval_id, populate_existing=True)
    if row is None:
        raise ApprovalNotFound(approval_id)
    return ApprovalView.of(row)


def list_approvals(
    session: Session,
    *,
    status: ApprovalStatus | str | None = ApprovalStatus.PENDING,
    kind: ApprovalKind | str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> ApprovalPage:
    """Requests in id order, `limit` at a time (pending ones by default)."""
    problems = Problems()
    query = select(PendingApproval).order_by(PendingApproval.id)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= PAGE_LIMIT_MAX:
        problems.add("limit", f"must be between 1 and {PAGE_LIMIT_MAX}")
        limit = 1
    query = query.limit(limit + 1)
    if after_id is not None:
        query = query.where(PendingApproval.id > after_id)
    if status is not None:
        try:
            query = query.where(PendingApproval.status == ApprovalStatus(status))
        except ValueError:
            problems.add("status", f"must be one of {', '.join(s.value for s in ApprovalStatus)}")
    if kind is not None:
        try:
            query = query.where(PendingApproval.kind == ApprovalKind(kind))
        except ValueError:
            problems.add("kind", f"must be one of {', '.join(k.value for k in ApprovalKind)}")
    problems.raise_if_any()
    rows = list(session.scalars(query))
    items = tuple(ApprovalView.of(row) for row in rows[:limit])
    more = len(rows) > limit
    return ApprovalPage(items=items, next_after_id=items[-1].id if more and items else None)


def expire_stale_approvals(
    session: Session, *, business_date: dt.date, actor: str = COB_ACTOR
) -> int:
    """Expire cash withdrawals still pending from before `business_date` (the member has
    long left the till), releasing what they reserved; for close of business, which is
    recorded as the checker of what it expired.

    Reversal and write-off requests stay pending until a manager decides them. Returns how
    many expired.
    """
    require_transaction(session)
    stale = (
        select(PendingApproval.id)
        .where(
            PendingApproval.status == ApprovalStatus.PENDING,
            PendingApproval.kind == ApprovalKind.CASH_WITHDRAWAL,
            PendingApproval.requested_on < business_date,
        )
        .order_by(PendingApproval.id)
        .limit(EXPIRE_BATCH_MAX)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    expired = session.execute(
        update(PendingApproval)
        .where(PendingApproval.id.in_(stale))
        .values(
            status=ApprovalStatus.EXPIRED,
            checker=actor,
            decided_at=func.now(),
            decided_on=business_date,
        )
        .returning(PendingApproval.id)
    ).all()
    return len(expired)
