"""Maker-checker: withdrawals above the limit and every reversal wait for a second user."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from creditunion.actors import COB_ACTOR
from creditunion.approvals.models import ApprovalKind, ApprovalStatus
from creditunion.approvals.requests import ApprovalKeyReused, ReversalAlreadyPending
from creditunion.approvals.service import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    ApprovalNotFound,
    ApproverRoleRefused,
    EntryNotReversible,
    EntryToReverseNotFound,
    SelfApprovalRefused,
    approve,
    expire_stale_approvals,
    get_approval,
    list_approvals,
    reject,
    request_reversal,
)
from creditunion.approvals.views import ApprovalView
from creditunion.field_problems import ValidationProblem
from creditunion.platform.database import unit_of_work
from creditunion.shares.movement_rules import (
    InsufficientAvailableBalance,
    needs_approval,
)
from creditunion.shares.movements import (
    WithdrawalResult,
    withdraw_cash,
)
from creditunion.shares.service import (
    PendingApprovalsExist,
    close_share_account,
    get_share_account,
)
from creditunion.shares.views import ShareAccountView
from ledger import ownership
from ledger.models import JournalEntry
from ledger.money import Money
from ledger.posting import AlreadyReversed
from tests.factories import STAFF, TODAY, ShareAccountFactory
from tests.share_account_helpers import (
    LIMIT,
    MANAGER,
    OTHER_MANAGER,
    assert_invariants,
    deposit,
    gbp,
    key,
    run_threads,
)


def _funded(engine: Engine, amount: str = "5000.00") -> ShareAccountView:
    with unit_of_work(engine) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, amount)
        return get_share_account(s, share_account_id=account.id, scope=ownership.STAFF)


def _withdraw(
    engine: Engine, account_id: int, amount: str, *, idem: str | None = None, **kw: object
) -> WithdrawalResult:
    with unit_of_work(engine) as s:
        return withdraw_cash(
            s,
            share_account_id=account_id,
            amount=gbp(amount),
            actor=str(kw.pop("actor", STAFF)),
            idempotency_key=idem or key(),
            business_date=TODAY,
            approval_limit=LIMIT,
            **kw,  # type: ignore[arg-type]
        )


def _pending(engine: Engine, account_id: int, amount: str = "1500.00") -> ApprovalView:
    result = _withdraw(engine, account_id, amount)
    assert result.status == "pending_approval" and result.approval is not None
    return result.approval


def _balance(engine: Engine, account_id: int) -> ShareAccountView:
    with unit_of_work(engine) as s:
        return get_share_account(s, share_account_id=account_id, scope=ownership.STAFF)


def test_at_the_limit_posts_above_it_waits(books: Engine) -> None:
    account = _funded(books)
    assert _withdraw(books, account.id, "1000.00").status == "posted"
    approval = _pending(books, account.id, "1000.01")
    assert approval.kind is ApprovalKind.CASH_WITHDRAWAL
    assert approval.status is ApprovalStatus.PENDING and approval.maker == STAFF
    assert approval.payload["amount"] == "1000.01"
    view = _balance(books, account.id)
    # Nothing posted, but the amount is reserved.
    assert view.balance == gbp("4000.00")
    assert view.pending_withdrawals == gbp("1000.01")
    assert view.available == gbp("2998.99")  # 4000 - 1000.01 - the £1 minimum share


def test_approval_by_another_manager_posts_it(books: Engine) -> None:
    account = _funded(books)
    approval = _pending(books, account.id)
    with unit_of_work(books) as s:
        decided = approve(
            s, approval_id=approval.id, checker=MANAGER, checker_role="manager", business_date=TODAY
        )
        entry = s.get(JournalEntry, decided.journal_entry_id)
    assert decided.status is ApprovalStatus.APPROVED and decided.checker == MANAGER
    assert decided.decided_on == TODAY and decided.decided_at is not None
    assert entry is not None and entry.idempotency_key == approval.idempotency_key
    assert entry.posted_by == MANAGER and entry.meta["maker"] == STAFF
    view = _balance(books, account.id)
    assert view.balance == gbp("3500.00") and view.pending_withdrawals == gbp("0.00")


def test_the_maker_cannot_approve_their_own(books: Engine) -> None:
    account = _funded(books)
    approval = _pending(books, account.id)
    with unit_of_work(books) as s, pytest.raises(SelfApprovalRefused):
        approve(
            s, approval_id=approval.id, checker=STAFF, checker_role="manager", business_date=TODAY
        )
    # A manager who made the request cannot approve it either.
    with unit_of_work(books) as s:
        own = withdraw_cash(
            s,
            share_account_id=account.id,
            amount=gbp("1200.00"),
            actor=MANAGER,
            idempotency_key=key(),
            business_date=TODAY,
            approval_limit=LIMIT,
        )
    assert own.approval is not None
    with unit_of_work(books) as s, pytest.raises(SelfApprovalRefused):
        approve(
            s,
            approval_id=own.approval.id,
            checker=MANAGER,
            checker_role="manager",
            business_date=TODAY,
        )
    with unit_of_work(books) as s, pytest.raises(SelfApprovalRefused):
        reject(
            s,
            approval_id=own.approval.id,
            checker=MANAGER,
            checker_role="manager",
            business_date=TODAY,
            note="x",
        )


def test_the_database_refuses_self_approval_too(books: Engine) -> None:
    account = _funded(books)
    approval = _pending(books, account.id)
    with pytest.raises(IntegrityError, match="checker_is_not_maker"), unit_of_work(books) as s:
        s.execute(
            text("UPDATE pending_approvals SET checker = maker WHERE id = :id"), {"id": approval.id}
        )


@pytest.mark.parametrize(
    "role", ["teller", "loan_officer", "auditor", "admin", "member", "", "MANAGER", "root"]
)
def test_only_a_manager_may_decide(books: Engine, role: str) -> None:
    account = _funded(books)
    approval = _pending(books, account.id)
    with unit_of_work(books) as s, pytest.raises(ApproverRoleRefused):
        approve(s, approval_id=approval.id, checker=MANAGER, checker_role=role, business_date=TODAY)
    with unit_of_work(books) as s, pytest.raises(ApproverRoleRefused):
        reject(
            s,
            approval_id=approval.id,
            checker=MANAGER,
            checker_role=role,
            business_date=TODAY,
            note="no",
        )
    with unit_of_work(books) as s:
        assert get_approval(s, approval_id=approval.id).status is ApprovalStatus.PENDING


def test_rejected_stays_unposted_and_releases_the_reserve(books: Engine) -> None:
    account = _funded(books)
    approval = _pending(books, account.id)
    with unit_of_work(books) as s:
        with pytest.raises(ValidationProblem):
            reject(
                s,
                approval_id=approval.id,
                checker=MANAGER,
                checker_role="manager",
                business_date=TODAY,
                note=" ",
            )
        decided = reject(
            s,
            approval_id=approval.id,
            checker=MANAGER,
            checker_role="manager",
            business_date=TODAY,
            note="Member could not show ID",
        )
    assert decided.status is ApprovalStatus.REJECTED and decided.journal_entry_id is None
    assert decided.decision_note == "Member could not show ID"
    with unit_of_work(books) as s:
        with pytest.raises(ApprovalAlreadyDecided):
            approve(
                s,
                approval_id=approval.id,
                checker=OTHER_MANAGER,
                checker_role="manager",
                business_date=TODAY,
            )
        posted = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.idempotency_key == approval.idempotency_key)
        )
    assert posted == 0
    view = _balance(books, account.id)
    assert view.balance == gbp("5000.00") and view.pending_withdrawals == gbp("0.00")


def test_two_managers_approving_at_once_post_once(books: Engine) -> None:
    for _ in range(3):
        account = _funded(books)
        approval = _pending(books, account.id)
        outcomes: list[str] = []
        guard = threading.Lock()

        def decide(
            n: int,
            approval_id: int = approval.id,
            outcomes: list[str] = outcomes,
            guard: threading.Lock = guard,
        ) -> None:
            try:
                with unit_of_work(books) as s:
                    approve(
                        s,
                        approval_id=approval_id,
                        checker=f"user:manager-{n + 10}",
                        checker_role="manager",
                        business_date=TODAY,
                    )
                result = "approved"
            except ApprovalAlreadyDecided:
                result = "already"
            with guard:
                outcomes.append(result)

        run_threads(decide, 4)
        assert sorted(outcomes) == ["already", "already", "already", "approved"]
        view = _balance(books, account.id)
        assert view.balance == gbp("3500.00")
    assert_invariants(books)


def test_pending_requests_are_replayed_by_key(books: Engine) -> None:
    account = _funded(books)
    idem = key()
    first = _withdraw(books, account.id, "1500.00", idem=idem)
    again = _withdraw(books, account.id, "1500.00", idem=idem)
    assert first.approval is not None and again.approval is not None
    assert again.approval.id == first.approval.id and again.approval.replayed
    with pytest.raises(ApprovalKeyReused):
        _withdraw(books, account.id, "1600.00", idem=idem)
    assert _balance(books, account.id).pending_withdrawals == gbp("1500.00")
    # After approval, the retry still answers with the request (now approved), posting nothing.
    with unit_of_work(books) as s:
        approve(
            s,
            approval_id=first.approval.id,
            checker=MANAGER,
            checker_role="manager",
            business_date=TODAY,
        )
    late = _withdraw(books, account.id, "1500.00", idem=idem)
    assert late.approval is not None and late.approval.status is ApprovalStatus.APPROVED
    assert _balance(books, account.id).balance == gbp("3500.00")


def test_reserved_funds_cannot_be_withdrawn_twice(books: Engine) -> None:
    account = _funded(books, "2000.00")
    _pending(books, account.id, "1500.00")
    with pytest.raises(InsufficientAvailableBalance):
        _withdraw(books, account.id, "600.00")
    with pytest.raises(InsufficientAvailableBalance):
        _pending(books, account.id, "1200.00")
    with unit_of_work(books) as s, pytest.raises(PendingApprovalsExist):
        close_share_account(
            s, share_account_id=account.id, actor=STAFF, business_date=TODAY, scope=ownership.STAFF
        )


def test_approval_rechecks_the_account(books: Engine) -> None:
    """If the account can no longer pay (its floor was raised here), approval fails and
    the request stays pending for a manager to reject."""
    account = _funded(books, "1600.00")
    approval = _pending(books, account.id, "1500.00")
    with unit_of_work(books) as s:
        s.execute(
            text("UPDATE ledger_accounts SET floor_minor = 20000 WHERE id = :id"),
            {"id": account.ledger_account_id},
        )
    with unit_of_work(books) as s, pytest.raises(InsufficientAvailableBalance):
        approve(
            s, approval_id=approval.id, checker=MANAGER, checker_role="manager", business_date=TODAY
        )
    with unit_of_work(books) as s:
        assert get_approval(s, approval_id=approval.id).status is ApprovalStatus.PENDING


def test_stale_withdrawals_expire_at_close_of_business(books: Engine) -> None:
    account = _funded(books)
    approval = _pending(books, account.id)
    tomorrow = TODAY + dt.timedelta(days=1)
    with unit_of_work(books) as s, pytest.raises(ApprovalExpired):
        approve(
            s,
            approval_id=approval.id,
            checker=MANAGER,
            checker_role="manager",
            business_date=tomorrow,
        )
    with unit_of_work(books) as s:
        assert expire_stale_approvals(s, business_date=tomorrow) >= 1
        expired = get_approval(s, approval_id=approval.id)
        assert expire_stale_approvals(s, business_date=tomorrow) == 0
    assert expired.status is ApprovalStatus.EXPIRED and expired.journal_entry_id is None
    assert expired.checker == COB_ACTOR  # close of business expired it, under its one name
    assert _balance(books, account.id).pending_withdrawals == gbp("0.00")


def test_reversal_needs_a_manager_and_posts_the_mirror(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "500.00")
        mistaken = deposit(s, account.id, "70.00")
    idem = key()
    with unit_of_work(books) as s:
        request = request_reversal(
            s,
            entry_id=mistaken.entry_id,
            actor=STAFF,
            idempotency_key=idem,
            business_date=TODAY,
            reason="Keyed twice",
        )
        replay = request_reversal(
            s,
            entry_id=mistaken.entry_id,
            actor=STAFF,
            idempotency_key=idem,
            business_date=TODAY,
            reason="Keyed twice",
        )
        with pytest.raises(ReversalAlreadyPending):
            request_reversal(
                s,
                entry_id=mistaken.entry_id,
                actor=STAFF,
                idempotency_key=key(),
                business_date=TODAY,
                reason="again",
            )
    assert request.kind is ApprovalKind.REVERSAL and request.target_entry_id == mistaken.entry_id
    assert replay.id == request.id and replay.replayed
    assert _balance(books, account.id).balance == gbp("570.00")  # nothing yet
    with unit_of_work(books) as s:
        with pytest.raises(SelfApprovalRefused):
            approve(
                s,
                approval_id=request.id,
                checker=STAFF,
                checker_role="manager",
                business_date=TODAY,
            )
        with pytest.raises(ApproverRoleRefused):
            approve(
                s,
                approval_id=request.id,
                checker="user:teller-2",
                checker_role="teller",
                business_date=TODAY,
            )
    with unit_of_work(books) as s:
        decided = approve(
            s, approval_id=request.id, checker=MANAGER, checker_role="manager", business_date=TODAY
        )
        reversal = s.get(JournalEntry, decided.journal_entry_id)
    assert reversal is not None and reversal.reverses_entry_id == mistaken.entry_id
    assert reversal.kind == "reversal" and reversal.posted_by == MANAGER
    assert _balance(books, account.id).balance == gbp("500.00")
    with unit_of_work(books) as s:
        with pytest.raises(EntryNotReversible, match="already been reversed"):
            request_reversal(
                s,
                entry_id=mistaken.entry_id,
                actor=STAFF,
                idempotency_key=key(),
                business_date=TODAY,
                reason="x",
            )
        with pytest.raises(EntryNotReversible, match="itself a reversal"):
            request_reversal(
                s,
                entry_id=reversal.id,
                actor=STAFF,
                idempotency_key=key(),
                business_date=TODAY,
                reason="x",
            )
        with pytest.raises(EntryToReverseNotFound):
            request_reversal(
                s,
                entry_id=uuid.uuid4(),
                actor=STAFF,
                idempotency_key=key(),
                business_date=TODAY,
                reason="x",
            )
        with pytest.raises(ApprovalKeyReused):  # a key the journal already holds
            request_reversal(
                s,
                entry_id=mistaken.entry_id,
                actor=STAFF,
                idempotency_key=mistaken_key(s, mistaken.entry_id),
                business_date=TODAY,
                reason="x",
            )
        with pytest.raises(ValidationProblem):
            request_reversal(
                s,
                entry_id=mistaken.entry_id,
                actor=STAFF,
                idempotency_key="",
                business_date=TODAY,
                reason="",
            )
    assert_invariants(books)


def mistaken_key(session: object, entry_id: uuid.UUID) -> str:
    entry = session.get(JournalEntry, entry_id)  # type: ignore[attr-defined]
    return str(entry.idempotency_key)


def test_reversal_refused_by_the_ledger_stays_pending(books: Engine) -> None:
    """Reversing a deposit the member has since spent would overdraw them."""
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        paid_in = deposit(s, account.id, "300.00")
    spent = _withdraw(books, account.id, "299.00")
    assert spent.status == "posted"
    with unit_of_work(books) as s:
        request = request_reversal(
            s,
            entry_id=paid_in.entry_id,
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            reason="bounced",
        )
    from ledger.checks import InsufficientFunds

    with unit_of_work(books) as s, pytest.raises(InsufficientFunds):
        approve(
            s, approval_id=request.id, checker=MANAGER, checker_role="manager", business_date=TODAY
        )
    with unit_of_work(books) as s:
        assert get_approval(s, approval_id=request.id).status is ApprovalStatus.PENDING


def test_concurrent_reversal_approvals_reverse_once(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "100.00")
        entry = deposit(s, account.id, "10.00")
        request = request_reversal(
            s,
            entry_id=entry.entry_id,
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            reason="dup",
        )
    outcomes: list[str] = []
    guard = threading.Lock()

    def decide(n: int) -> None:
        try:
            with unit_of_work(books) as s:
                approve(
                    s,
                    approval_id=request.id,
                    checker=f"user:m{n}",
                    checker_role="manager",
                    business_date=TODAY,
                )
            result = "approved"
        except (ApprovalAlreadyDecided, AlreadyReversed):
            result = "refused"
        with guard:
            outcomes.append(result)

    run_threads(decide, 3)
    assert sorted(outcomes) == ["approved", "refused", "refused"]
    assert _balance(books, account.id).balance == gbp("100.00")


def test_listing_and_not_found(books: Engine) -> None:
    account = _funded(books)
    made = [_pending(books, account.id, "1001.00") for _ in range(3)]
    with unit_of_work(books) as s:
        page = list_approvals(s, kind="cash_withdrawal", after_id=made[0].id - 1, limit=2)
        assert [a.id for a in page.items][:2] == [made[0].id, made[1].id]
        assert page.next_after_id == made[1].id
        with pytest.raises(ApprovalNotFound):
            get_approval(s, approval_id=10**12)
        with pytest.raises(ApprovalNotFound):
            approve(
                s, approval_id=10**12, checker=MANAGER, checker_role="manager", business_date=TODAY
            )
        with pytest.raises(ValidationProblem):
            list_approvals(s, status="maybe", kind="gift", limit=0)


def test_other_currencies_always_need_approval() -> None:
    assert needs_approval(Money("1.00", "EUR"), LIMIT)
    assert not needs_approval(gbp("1000.00"), LIMIT)
    assert needs_approval(gbp("1000.01"), LIMIT)
