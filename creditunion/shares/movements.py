"""Money in and out of share accounts: cash at a till, transfers, and approved withdrawals.

Every movement is one balanced journal entry posted through `ledger.posting.post_entry`
with the caller's idempotency key; nothing here writes a balance. Each command first locks
the share account rows it touches (ascending id), then, unless its key has already posted
(a replay, answered by the ledger), checks what the ledger cannot know: the account and
member states, the currency, the product maximum, the Christmas saver window, and funds
reserved by withdrawals awaiting approval. The ledger then enforces the floor itself.

A cash withdrawal above the approval limit is not posted: it becomes a pending approval
(maker-checker) that reserves the amount and posts when a manager approves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from creditunion.approvals.models import ApprovalKind, PendingApproval
from creditunion.approvals.requests import (
    ApprovalKeyReused,
    create_pending,
    find_by_key,
    same_request,
)
from creditunion.approvals.views import ApprovalView
from creditunion.errors import NotFound
from creditunion.field_problems import ValidationProblem
from creditunion.members.service import member_id_for_number
from creditunion.shares.ledger_link import (
    after_credit,
    already_posted,
    movement_of,
    post_movement,
    till_id,
)
from creditunion.shares.models import ProductKind, ShareAccount, ShareAccountStatus, ShareProduct
from creditunion.shares.movement_rules import (
    DailyCashLimits,
    above_daily_limits,
    check_request,
    needs_approval,
    require_can_give,
    require_can_receive,
)
from creditunion.shares.service import (
    LockedAccount,
    ShareAccountNotFound,
    lock_share_accounts,
    share_account_id_for_number,
)
from creditunion.shares.views import Movement
from ledger.accounts import set_floor
from ledger.models import JournalEntry, Posting
from ledger.money import Money
from ledger.ownership import Scope

KIND_DEPOSIT: Final = "shares.cash_deposit"
KIND_WITHDRAWAL: Final = "shares.cash_withdrawal"
KIND_TRANSFER: Final = "shares.transfer"
# Named advisory lock (hashed to 64 bits) serialising one member's cash withdrawals.
MEMBER_CASH_LOCK_PREFIX: Final = "creditunion.shares.cash_withdrawals.member:"


class NoAccountToReceive(NotFound):
    def __init__(self, membership_number: str) -> None:
        super().__init__(f"member {membership_number} has no open share account to receive")


@dataclass(frozen=True, slots=True)
class WithdrawalResult:
    """Either posted (`movement`) or awaiting a second staff user's approval (`approval`)."""

    status: Literal["posted", "pending_approval"]
    movement: Movement | None = None
    approval: ApprovalView | None = None


def deposit_cash(
    session: Session,
    *,
    share_account_id: int,
    amount: Money,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    reference: str | None = None,
) -> Movement:
    """Cash paid in at a till: debit cash in tills, credit the member's shares.

    Raises `ValidationProblem` (amount, key, reference), `WrongCurrency`,
    `ShareAccountNotFound`, `ShareAccountClosed`, `AboveMaximumBalance`, and the ledger's
    refusals (`IdempotencyConflict` for a reused key, `PeriodClosed`).
    """
    cleaned = check_request(amount, actor, idempotency_key, reference)
    locked = lock_share_accounts(session, [share_account_id])[share_account_id]
    replay = already_posted(session, idempotency_key)
    if not replay:
        require_can_receive(locked, amount)
    number = locked.account.account_number
    entry = post_movement(
        session,
        key=idempotency_key,
        business_date=business_date,
        debit=till_id(session),
        credit=locked.account.ledger_account_id,
        amount=amount,
        description="Cash deposit",
        kind=KIND_DEPOSIT,
        actor=actor,
        reference=cleaned,
        metadata={"share_account": number},
    )
    if not entry.replayed:
        after_credit(session, locked, business_date)
    return movement_of(
        session,
        entry,
        kind=KIND_DEPOSIT,
        amount=amount,
        from_number=None,
        to_number=number,
        acted_on=locked,
        change=amount,
    )


def _withdrawal_payload(
    locked: LockedAccount, amount: Money, final: bool, reference: str | None
) -> dict[str, Any]:
    return {
        "share_account_id": locked.account.id,
        "account_number": locked.account.account_number,
        "amount": str(amount.amount),
        "currency": amount.currency,
        "final": final,
        "reference": reference,
    }


def withdraw_cash(
    session: Session,
    *,
    share_account_id: int,
    amount: Money,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    approval_limit: Money,
    daily_limits: DailyCashLimits | None = None,
    final: bool = False,
    reference: str | None = None,
) -> WithdrawalResult:
    """Cash paid out at a till: debit the member's shares, credit cash in tills.

    Above `approval_limit` (the `withdrawal_approval_limit` setting), or when it would take
    the cash paid out this business date from the account or from all the member's
    accounts above `daily_limits` (by default the approval limit for both), nothing posts:
    a pending approval is created and reserves the amount (`status == "pending_approval"`).
    `final=True` empties the account, minimum share included, so it can be closed; the
    amount must be the whole balance.

    Raises `ValidationProblem`, `WrongCurrency`, `ShareAccountNotFound`,
    `ShareAccountClosed`, `MemberCannotWithdraw`, `OutsideWithdrawalWindow`,
    `InsufficientAvailableBalance`, `FinalWithdrawalMismatch`, `PendingApprovalsExist`,
    `ApprovalKeyReused`, and the ledger's refusals (`InsufficientFunds`,
    `IdempotencyConflict`, `PeriodClosed`).
    """
    cleaned = check_request(amount, actor, idempotency_key, reference)
    locked = lock_share_accounts(session, [share_account_id])[share_account_id]
    payload = _withdrawal_payload(locked, amount, bool(final), cleaned)
    requested = find_by_key(session, idempotency_key)
    if requested is not None:
        if not same_request(requested, ApprovalKind.CASH_WITHDRAWAL, payload):
            raise ApprovalKeyReused(idempotency_key)
        return WithdrawalResult(
            "pending_approval", approval=ApprovalView.of(requested, replayed=True)
        )
    replay = already_posted(session, idempotency_key)
    if not replay:
        require_can_give(session, locked, amount, business_date, final=bool(final))
        if needs_approval(amount, approval_limit) or _above_daily_limits(
            session,
            locked,
            amount,
            business_date,
            daily_limits or DailyCashLimits(approval_limit, approval_limit),
        ):
            approval = create_pending(
                session,
                kind=ApprovalKind.CASH_WITHDRAWAL,
                payload=payload,
                maker=actor,
                idempotency_key=idempotency_key,
                business_date=business_date,
                share_account_id=locked.account.id,
                amount_minor=amount.minor_units,
            )
            return WithdrawalResult("pending_approval", approval=approval)
    movement = _pay_out(
        session,
        locked,
        amount,
        key=idempotency_key,
        business_date=business_date,
        actor=actor,
        final=bool(final) and not replay,
        reference=cleaned,
        metadata={"share_account": locked.account.account_number},
    )
    return WithdrawalResult("posted", movement=movement)


def _above_daily_limits(
    session: Session,
    locked: LockedAccount,
    amount: Money,
    business_date: dt.date,
    limits: DailyCashLimits,
) -> bool:
    """Read under the account's lock and a lock on its member's cash withdrawals, so two
    withdrawals from one account, or from two accounts of one member, are decided one
    after the other and each sees what the other paid out."""
    member_id = locked.account.member_id
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:lock_name, 0))"),
        {"lock_name": f"{MEMBER_CASH_LOCK_PREFIX}{member_id}"},
    )
    withdrawn = (
        select(
            ShareAccount.id.label("share_account_id"),
            func.abs(Posting.amount_minor).label("amount_minor"),
        )
        .join(Posting, Posting.account_id == ShareAccount.ledger_account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            ShareAccount.member_id == member_id,
            Posting.business_date == business_date,
            Posting.currency == amount.currency,
            JournalEntry.kind == KIND_WITHDRAWAL,
        )
        .subquery()
    )
    account_minor, member_minor = session.execute(
        select(
            func.coalesce(
                func.sum(withdrawn.c.amount_minor).filter(
                    withdrawn.c.share_account_id == locked.account.id
                ),
                0,
            ),
            func.coalesce(func.sum(withdrawn.c.amount_minor), 0),
        )
    ).one()
    return above_daily_limits(
        amount,
        account_today_minor=int(account_minor),
        member_today_minor=int(member_minor),
        limits=limits,
    )


def _pay_out(
    session: Session,
    locked: LockedAccount,
    amount: Money,
    *,
    key: str,
    business_date: dt.date,
    actor: str,
    final: bool,
    reference: str | None,
    metadata: Mapping[str, Any],
) -> Movement:
    number = locked.account.account_number
    # A savepoint: if the posting is refused, the lowered floor is undone with it even
    # when the caller catches the refusal and goes on in the same transaction.
    with session.begin_nested():
        if final:
            set_floor(
                session,
                account_id=locked.account.ledger_account_id,
                floor=Money.zero(amount.currency),
            )
            locked.account.minimum_reached_on = None
            session.flush()
        entry = post_movement(
            session,
            key=key,
            business_date=business_date,
            debit=locked.account.ledger_account_id,
            credit=till_id(session),
            amount=amount,
            description="Cash withdrawal",
            kind=KIND_WITHDRAWAL,
            actor=actor,
            reference=reference,
            metadata=metadata,
        )
    return movement_of(
        session,
        entry,
        kind=KIND_WITHDRAWAL,
        amount=amount,
        from_number=number,
        to_number=None,
        acted_on=locked,
        change=-amount,
    )


def execute_approved_withdrawal(
    session: Session, *, approval: PendingApproval, checker: str, business_date: dt.date
) -> Movement:
    """Post a withdrawal a checker approved, under the key it was requested with.

    The checks run again as of now (the account may have changed since the request),
    counting every other pending withdrawal but not this one.
    """
    payload = approval.payload
    account_id = int(payload["share_account_id"])
    locked = lock_share_accounts(session, [account_id])[account_id]
    amount = Money(str(payload["amount"]), str(payload["currency"]))
    final = bool(payload["final"])
    key = approval.idempotency_key
    replay = already_posted(session, key)
    if not replay:
        require_can_give(
            session, locked, amount, business_date, final=final, excluding_approval=approval.id
        )
    return _pay_out(
        session,
        locked,
        amount,
        key=key,
        business_date=business_date,
        actor=checker,
        final=final and not replay,
        reference=payload.get("reference"),
        metadata={
            "share_account": locked.account.account_number,
            "approval_id": approval.id,
            "maker": approval.maker,
        },
    )


def _transfer(
    session: Session,
    *,
    source_id: int,
    target: int | NotFound,
    amount: Money,
    actor: str,
    key: str,
    business_date: dt.date,
    reference: str | None,
    owner_of_source: int | None,
    owner_of_target: int | None,
    reveal_target: bool,
) -> Movement:
    """`target` is the receiving share account's id, or the refusal its lookup raised. That
    refusal is raised only after the source passed its checks, so a payer who could not pay
    anyway learns nothing of whether the recipient exists (the same 409 either way)."""
    found_target = None if isinstance(target, NotFound) else target
    if source_id == found_target:
        raise ValidationProblem.single("to", "the source and target are the same account")
    locked = lock_share_accounts(
        session, [source_id] if found_target is None else [source_id, found_target]
    )
    source = locked[source_id]
    if owner_of_source is not None and source.account.member_id != owner_of_source:
        raise ShareAccountNotFound(source_id)
    replay = already_posted(session, key)
    if not replay:
        require_can_give(session, source, amount, business_date)
    if isinstance(target, NotFound):
        raise target
    receiving = locked[target]
    if owner_of_target is not None and receiving.account.member_id != owner_of_target:
        raise ShareAccountNotFound(target)
    if not replay:
        require_can_receive(receiving, amount)
    entry = post_movement(
        session,
        key=key,
        business_date=business_date,
        debit=source.account.ledger_account_id,
        credit=receiving.account.ledger_account_id,
        amount=amount,
        description="Transfer between share accounts",
        kind=KIND_TRANSFER,
        actor=actor,
        reference=reference,
        metadata={"from": source.account.account_number, "to": receiving.account.account_number},
    )
    if not entry.replayed:
        after_credit(session, receiving, business_date)
    return movement_of(
        session,
        entry,
        kind=KIND_TRANSFER,
        amount=amount,
        from_number=source.account.account_number,
        to_number=receiving.account.account_number if reveal_target else None,
        acted_on=source,
        change=-amount,
    )


def transfer_between_own_accounts(
    session: Session,
    *,
    member_id: int,
    from_share_account_id: int,
    to_share_account_id: int,
    amount: Money,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    reference: str | None = None,
) -> Movement:
    """Move money between two accounts of the same member.

    Raises `ShareAccountNotFound` if either account is not the member's, and as
    `transfer_to_member` otherwise.
    """
    cleaned = check_request(amount, actor, idempotency_key, reference)
    return _transfer(
        session,
        source_id=from_share_account_id,
        target=to_share_account_id,
        amount=amount,
        actor=actor,
        key=idempotency_key,
        business_date=business_date,
        reference=cleaned,
        owner_of_source=member_id,
        owner_of_target=member_id,
        reveal_target=True,
    )


def transfer_to_member(
    session: Session,
    *,
    from_share_account_id: int,
    amount: Money,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    scope: Scope,
    to_membership_number: str | None = None,
    to_account_number: str | None = None,
    reference: str | None = None,
) -> Movement:
    """Pay another member, named by membership number (their oldest open instant-access
    account receives, else their oldest open account) or by account number.

    A member's `scope` pays only from their own accounts (another's is "not found").
    A target named by membership number is not revealed in the result. The source's
    checks (funds included) come before a recipient's "not found", so the answer to a
    payer who cannot pay does not tell who is a member.

    Raises `ValidationProblem` (none or both targets, a malformed account number, the
    same account), `MemberNotFound`, `NoAccountToReceive`, `ShareAccountNotFound`,
    `ShareAccountClosed`, `WrongCurrency`, `MemberCannotWithdraw`,
    `OutsideWithdrawalWindow`, `InsufficientAvailableBalance`, `AboveMaximumBalance`,
    and the ledger's refusals (`InsufficientFunds`, `IdempotencyConflict`, `PeriodClosed`).
    """
    cleaned = check_request(amount, actor, idempotency_key, reference)
    if (to_membership_number is None) == (to_account_number is None):
        raise ValidationProblem.single(
            "to", "name the recipient by membership number or by account number (one of them)"
        )
    target: int | NotFound
    try:
        if to_account_number is not None:
            target = share_account_id_for_number(
                session, to_account_number, field="to_account_number"
            )
        else:
            assert to_membership_number is not None
            target = _receiving_account(session, to_membership_number)
    except NotFound as missing:
        target = missing
    return _transfer(
        session,
        source_id=from_share_account_id,
        target=target,
        amount=amount,
        actor=actor,
        key=idempotency_key,
        business_date=business_date,
        reference=cleaned,
        owner_of_source=scope.member_id,
        owner_of_target=None,
        reveal_target=to_account_number is not None,
    )


def _receiving_account(session: Session, membership_number: str) -> int:
    target_member = member_id_for_number(session, membership_number)
    found = session.scalar(
        select(ShareAccount.id)
        .join(ShareProduct, ShareProduct.id == ShareAccount.product_id)
        .where(
            ShareAccount.member_id == target_member,
            ShareAccount.status == ShareAccountStatus.OPEN,
        )
        .order_by((ShareProduct.kind != ProductKind.INSTANT_ACCESS).asc(), ShareAccount.id)
        .limit(1)
    )
    if found is None:
        raise NoAccountToReceive(membership_number.strip().upper()[:20])
    return found
