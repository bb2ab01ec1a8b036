"""Share accounts: opening, reading (with balances), the repayment mandate, and closing.

The membership model (UK): a member joins by holding a minimum share. Registration makes
them `pending`; the first time one of their share accounts holds at least its product's
minimum (and at least one penny), the same transaction raises that account's ledger floor
to the minimum and makes the member `active` (see `movements.py`). From then on the ledger
itself refuses anything that would take the account below the minimum, under any
concurrency; the floor comes down only for the final withdrawal that empties the account
so it can be closed.

Every function reachable by a member takes a `scope` (`ledger.ownership`): a member's own
(another member's account is then "not found") or `STAFF`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ScalarSelect, exists, func, select
from sqlalchemy.orm import Session

from creditunion.actors import require_actor
from creditunion.approvals.models import ApprovalKind, ApprovalStatus, PendingApproval
from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import FieldError, ValidationProblem
from creditunion.members.models import Member, MemberStatus
from creditunion.members.service import lock_member
from creditunion.payments.models import OutboundPayment, PaymentStatus
from creditunion.shares.account_number import format_account_number, normalise_account_number
from creditunion.shares.models import (
    ACCOUNT_NUMBER_SEQUENCE,
    ProductKind,
    ShareAccount,
    ShareAccountStatus,
    ShareProduct,
)
from creditunion.shares.product_service import product_row, shares_control_account
from creditunion.shares.products import age_allows
from creditunion.shares.views import ShareAccountView
from ledger.accounts import (
    AccountNotEmpty,
    AccountView,
    close_account,
    get_account,
    open_account,
)
from ledger.models import AccountType, LedgerAccount
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope, Scope
from ledger.transaction import require_transaction

OPEN_ACCOUNTS_PER_MEMBER_MAX: Final = 20


class ShareAccountNotFound(NotFound):
    def __init__(self, what: object) -> None:
        super().__init__(f"share account {what} not found")


class ShareAccountClosed(Conflict):
    def __init__(self, account_number: str) -> None:
        super().__init__(f"share account {account_number} is closed")
        self.account_number = account_number


class ShareAccountNotEmpty(Conflict):
    def __init__(self, account_number: str, balance: Money) -> None:
        super().__init__(
            f"share account {account_number} holds {balance}; only an empty account closes"
        )
        self.account_number = account_number
        self.balance = balance


class PaymentsInFlight(Conflict):
    """Payments out of the account the bank has not settled yet: a rejection would have
    nowhere to come back to."""

    def __init__(self, account_number: str) -> None:
        super().__init__(
            f"share account {account_number} has payments out not yet settled by the bank"
        )
        self.account_number = account_number


class PendingApprovalsExist(Conflict):
    def __init__(self, account_number: str) -> None:
        super().__init__(f"share account {account_number} has withdrawals awaiting approval")
        self.account_number = account_number


class ProductNotOffered(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"share product {code} is no longer offered")
        self.code = code


class MemberNotEligible(Conflict):
    """The member may not open this account (status, age limit, number of accounts)."""

    def __init__(self, member_id: int, reason: str) -> None:
        super().__init__(f"member {member_id} cannot open this account: {reason}")
        self.member_id = member_id
        self.reason = reason


@dataclass(slots=True)
class LockedAccount:
    """A share account row locked for this transaction, with what its checks need."""

    account: ShareAccount
    product: ShareProduct
    member: Member
    ledger: AccountView
    # Cash withdrawals awaiting a checker, when locked: the sum in minor units as read.
    pending_withdrawals_minor: int

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def pending_withdrawals(self) -> Money:
        return Money.from_minor(self.pending_withdrawals_minor, self.product.currency)

    @property
    def floor(self) -> Money:
        return self.ledger.floor or Money.zero(self.product.currency)


def open_share_account(
    session: Session,
    *,
    member_id: int,
    product_code: str,
    actor: str,
    business_date: dt.date,
    repayment_mandate: bool = False,
) -> ShareAccountView:
    """Open an account under an offered product for a pending or active member.

    Its ledger account opens under the members' shares control header with floor zero.
    Raises `MemberNotFound`, `ProductNotFound`, `ProductNotOffered`, `MemberNotEligible`.
    """
    require_transaction(session)
    require_actor(actor)
    member = lock_member(session, member_id)
    product = product_row(session, product_code)
    if not product.active:
        raise ProductNotOffered(product.code)
    if member.status not in (MemberStatus.PENDING, MemberStatus.ACTIVE):
        raise MemberNotEligible(member_id, f"the member is {member.status}")
    if not age_allows(product.maximum_age_years, member.date_of_birth, business_date):
        raise MemberNotEligible(
            member_id, f"{product.name} is for members under {product.maximum_age_years}"
        )
    open_count = session.scalar(
        select(func.count())
        .select_from(ShareAccount)
        .where(ShareAccount.member_id == member_id, ShareAccount.status == ShareAccountStatus.OPEN)
    )
    if (open_count or 0) >= OPEN_ACCOUNTS_PER_MEMBER_MAX:
        raise MemberNotEligible(member_id, f"at most {OPEN_ACCOUNTS_PER_MEMBER_MAX} open accounts")
    serial = session.scalar(select(ACCOUNT_NUMBER_SEQUENCE.next_value()))
    assert isinstance(serial, int)
    number = format_account_number(serial)
    control = shares_control_account(session)
    # The ledger account is named by number only: the general ledger and its exports
    # carry no member's personal data.
    ledger_account = open_account(
        session,
        code=f"SH{number}",
        name=f"Member shares {number} ({product.code})",
        type=AccountType.LIABILITY,
        currency=product.currency,
        floor=Money.zero(product.currency),
        parent_id=control.id,
    )
    row = ShareAccount(
        account_number=number,
        member_id=member_id,
        product_id=product.id,
        ledger_account_id=ledger_account.id,
        status=ShareAccountStatus.OPEN,
        opened_on=business_date,
        repayment_mandate=bool(repayment_mandate),
        opened_by=actor,
    )
    session.add(row)
    session.flush()
    return _view(session, row, product, ledger_account)


def lock_share_accounts(session: Session, account_ids: list[int]) -> dict[int, LockedAccount]:
    """Lock share account rows in ascending id order (so two transfers never deadlock).

    Every command that moves a share account's money takes this lock first: it
    serialises the checks that the ledger cannot make (the product maximum, funds
    reserved by pending withdrawals) with the posting they guard.
    """
    require_transaction(session)
    ids = sorted(set(account_ids))
    rows = session.execute(
        select(ShareAccount, ShareProduct, Member)
        .join(ShareProduct, ShareProduct.id == ShareAccount.product_id)
        .join(Member, Member.id == ShareAccount.member_id)
        .where(ShareAccount.id.in_(ids))
        .order_by(ShareAccount.id)
        .with_for_update(of=ShareAccount)
        .execution_options(populate_existing=True)
    ).all()
    # Read in a second statement, so after the locks were granted: a statement sees the
    # data as of its start, and the first may have waited for a rival's commit.
    after_lock = {
        share_id: (ledger_row, int(pending))
        for share_id, ledger_row, pending in session.execute(
            select(ShareAccount.id, LedgerAccount, _pending_sum())
            .join(LedgerAccount, LedgerAccount.id == ShareAccount.ledger_account_id)
            .where(ShareAccount.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    }
    locked = {
        account.id: LockedAccount(
            account,
            product,
            member,
            AccountView.of(after_lock[account.id][0]),
            after_lock[account.id][1],
        )
        for account, product, member in rows
    }
    for account_id in ids:
        if account_id not in locked:
            raise ShareAccountNotFound(account_id)
    return locked


def _pending_sum() -> ScalarSelect[int]:
    return (
        select(func.coalesce(func.sum(PendingApproval.amount_minor), 0))
        .where(
            PendingApproval.share_account_id == ShareAccount.id,
            PendingApproval.status == ApprovalStatus.PENDING,
            PendingApproval.kind == ApprovalKind.CASH_WITHDRAWAL,
        )
        .correlate(ShareAccount)
        .scalar_subquery()
    )


def pending_withdrawals(
    session: Session,
    share_account_id: int,
    currency: str,
    *,
    excluding_approval: int | None = None,
) -> Money:
    """Cash withdrawals from the account awaiting a checker, in its `currency`."""
    query = select(func.coalesce(func.sum(PendingApproval.amount_minor), 0)).where(
        PendingApproval.share_account_id == share_account_id,
        PendingApproval.status == ApprovalStatus.PENDING,
        PendingApproval.kind == ApprovalKind.CASH_WITHDRAWAL,
    )
    if excluding_approval is not None:
        query = query.where(PendingApproval.id != excluding_approval)
    return Money.from_minor(int(session.scalar(query) or 0), currency)


def available_balance(balance: Money, floor: Money, pending: Money) -> Money:
    """What can leave an account now: its balance less its floor and pending withdrawals."""
    return max(Money.zero(balance.currency), balance - pending - floor)


def _view(
    session: Session, row: ShareAccount, product: ShareProduct, ledger: AccountView
) -> ShareAccountView:
    currency = product.currency
    floor = ledger.floor or Money.zero(currency)
    pending = pending_withdrawals(session, row.id, currency)
    return ShareAccountView(
        id=row.id,
        account_number=row.account_number,
        member_id=row.member_id,
        product_code=product.code,
        product_kind=ProductKind(product.kind),
        currency=currency,
        status=row.status,
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        repayment_mandate=row.repayment_mandate,
        minimum_reached_on=row.minimum_reached_on,
        balance=ledger.balance,
        floor=floor,
        pending_withdrawals=pending,
        available=available_balance(ledger.balance, floor, pending),
        ledger_account_id=row.ledger_account_id,
    )


def view_of(session: Session, locked: LockedAccount) -> ShareAccountView:
    return _view(
        session,
        locked.account,
        locked.product,
        get_account(session, locked.account.ledger_account_id),
    )


def _owned_row(
    session: Session, share_account_id: int, scope: Scope
) -> tuple[ShareAccount, ShareProduct]:
    found = session.execute(
        select(ShareAccount, ShareProduct)
        .join(ShareProduct, ShareProduct.id == ShareAccount.product_id)
        .where(ShareAccount.id == share_account_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    # Another member's account is "not found", exactly like one that does not exist.
    if found is None or (scope.member_id is not None and found[0].member_id != scope.member_id):
        raise ShareAccountNotFound(share_account_id)
    return found[0], found[1]


def share_account_id_for_number(
    session: Session, account_number: str, *, field: str = "account_number"
) -> int:
    """The id of the account with this number. Raises `ValidationProblem` for a malformed
    number (bad check digit included) or `ShareAccountNotFound`."""
    try:
        number = normalise_account_number(account_number)
    except FieldError as exc:
        raise ValidationProblem.single(field, str(exc)) from None
    found = session.scalar(select(ShareAccount.id).where(ShareAccount.account_number == number))
    if found is None:
        raise ShareAccountNotFound(number)
    return found


def get_share_account(session: Session, *, share_account_id: int, scope: Scope) -> ShareAccountView:
    """One account with its ledger and available balances. Raises `ShareAccountNotFound`."""
    row, product = _owned_row(session, share_account_id, scope)
    return _view(session, row, product, get_account(session, row.ledger_account_id))


def get_share_account_by_number(
    session: Session, *, account_number: str, scope: Scope
) -> ShareAccountView:
    account_id = share_account_id_for_number(session, account_number)
    return get_share_account(session, share_account_id=account_id, scope=scope)


def list_member_share_accounts(
    session: Session, *, member_id: int, include_closed: bool = True
) -> list[ShareAccountView]:
    """A member's accounts (oldest first), with balances: "my accounts" on the app."""
    query = (
        select(ShareAccount, ShareProduct)
        .join(ShareProduct, ShareProduct.id == ShareAccount.product_id)
        .where(ShareAccount.member_id == member_id)
        .order_by(ShareAccount.id)
        .limit(OPEN_ACCOUNTS_PER_MEMBER_MAX * 10)
    )
    if not include_closed:
        query = query.where(ShareAccount.status == ShareAccountStatus.OPEN)
    return [
        _view(session, row, product, get_account(session, row.ledger_account_id))
        for row, product in session.execute(query).all()
    ]


def set_repayment_mandate(
    session: Session, *, share_account_id: int, given: bool, actor: str, member_id: int | None
) -> ShareAccountView:
    """Record that the member gave (or withdrew) the mandate to collect loan repayments.

    Raises `ShareAccountNotFound` or `ShareAccountClosed`.
    """
    require_actor(actor)
    # Its callers in creditunion.lending still name the owner by id (None: staff).
    scope = STAFF if member_id is None else MemberScope(member_id)
    _owned_row(session, share_account_id, scope)
    locked = lock_share_accounts(session, [share_account_id])[share_account_id]
    if locked.account.status is ShareAccountStatus.CLOSED:
        raise ShareAccountClosed(locked.account.account_number)
    locked.account.repayment_mandate = bool(given)
    session.flush()
    return view_of(session, locked)


def _payments_in_flight(session: Session, share_account_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    OutboundPayment.share_account_id == share_account_id,
                    OutboundPayment.status.in_(PaymentStatus.in_flight()),
                )
            )
        )
    )


def close_share_account(
    session: Session,
    *,
    share_account_id: int,
    actor: str,
    business_date: dt.date,
    scope: Scope,
) -> ShareAccountView:
    """Close an empty account and its ledger account.

    An account holding the minimum share is emptied first by a final withdrawal
    (`withdraw_cash(..., final=True)`). Raises `ShareAccountNotFound`,
    `ShareAccountClosed`, `PendingApprovalsExist`, `PaymentsInFlight` or
    `ShareAccountNotEmpty`.
    """
    require_actor(actor)
    _owned_row(session, share_account_id, scope)
    locked = lock_share_accounts(session, [share_account_id])[share_account_id]
    account = locked.account
    if account.status is ShareAccountStatus.CLOSED:
        raise ShareAccountClosed(account.account_number)
    if pending_withdrawals(session, account.id, locked.currency):
        raise PendingApprovalsExist(account.account_number)
    if _payments_in_flight(session, account.id):
        raise PaymentsInFlight(account.account_number)
    if not locked.ledger.balance.is_zero():
        raise ShareAccountNotEmpty(account.account_number, locked.ledger.balance)
    now = session.scalar(select(func.now()))
    assert isinstance(now, dt.datetime)
    # The ledger locks the row and refuses a non-zero balance again, so a posting that
    # slipped in since the check above cannot be closed over.
    try:
        ledger = close_account(session, account_id=account.ledger_account_id, closed_at=now)
    except AccountNotEmpty:
        balance = get_account(session, account.ledger_account_id).balance
        raise ShareAccountNotEmpty(account.account_number, balance) from None
    account.status = ShareAccountStatus.CLOSED
    account.closed_on = business_date
    account.closed_by = actor
    session.flush()
    return _view(session, account, locked.product, ledger)
