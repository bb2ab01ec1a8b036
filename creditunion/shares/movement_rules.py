"""What may move in and out of a share account: the checks the ledger cannot make (pure
except for reading reserved funds), and the refusals they raise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from creditunion.actors import require_actor
from creditunion.errors import Conflict
from creditunion.field_problems import FieldError, FieldProblem, ValidationProblem
from creditunion.members.models import MemberStatus
from creditunion.members.text import clean_text
from creditunion.shares.models import ShareAccountStatus
from creditunion.shares.products import parse_windows, withdrawals_open
from creditunion.shares.service import (
    LockedAccount,
    PendingApprovalsExist,
    ShareAccountClosed,
    available_balance,
    pending_withdrawals,
)
from ledger.entry import KEY_LENGTH_MAX, REFERENCE_LENGTH_MAX
from ledger.money import Money


class WrongCurrency(ValidationProblem):
    def __init__(self, amount: Money, account_currency: str) -> None:
        super().__init__(
            [FieldProblem("amount", f"the account is in {account_currency}, not {amount.currency}")]
        )


class AboveMaximumBalance(Conflict):
    def __init__(self, account_number: str, maximum: Money, balance_after: Money) -> None:
        super().__init__(
            f"share account {account_number} would hold {balance_after}, "
            f"above its product's maximum of {maximum}"
        )
        self.account_number = account_number
        self.maximum = maximum
        self.balance_after = balance_after


class OutsideWithdrawalWindow(Conflict):
    def __init__(self, account_number: str, on: dt.date, windows: str) -> None:
        super().__init__(
            f"share account {account_number} allows withdrawals only in {windows}, not on {on}"
        )
        self.account_number = account_number


class InsufficientAvailableBalance(Conflict):
    """More than the account can give: its balance less its floor and pending withdrawals."""

    def __init__(self, account_number: str, available: Money, requested: Money) -> None:
        super().__init__(
            f"share account {account_number} has {available} available, {requested} requested"
        )
        self.account_number = account_number
        self.available = available
        self.requested = requested


class MemberCannotWithdraw(Conflict):
    def __init__(self, account_number: str, status: MemberStatus) -> None:
        super().__init__(
            f"money cannot leave share account {account_number}: its member is {status}"
        )
        self.account_number = account_number
        self.status = status


class FinalWithdrawalMismatch(Conflict):
    def __init__(self, account_number: str, balance: Money, requested: Money) -> None:
        super().__init__(
            f"a final withdrawal takes the whole balance of {account_number} ({balance}), "
            f"not {requested}"
        )
        self.account_number = account_number


def check_request(amount: object, actor: str, key: object, reference: object) -> str | None:
    require_actor(actor)
    problems: list[FieldProblem] = []
    if not isinstance(amount, Money) or not amount.is_positive():
        problems.append(FieldProblem("amount", "must be a positive amount of money"))
    if (
        not isinstance(key, str)
        or not key.strip()
        or len(key) > KEY_LENGTH_MAX
        or not key.isprintable()
    ):
        problems.append(
            FieldProblem("idempotency_key", f"must be 1 to {KEY_LENGTH_MAX} printable characters")
        )
    cleaned = None
    if reference is not None:
        try:
            cleaned = clean_text(reference, max_length=REFERENCE_LENGTH_MAX)
        except FieldError as exc:
            problems.append(FieldProblem("reference", str(exc)))
    if problems:
        raise ValidationProblem(problems)
    return cleaned


def require_open(locked: LockedAccount) -> None:
    if locked.account.status is not ShareAccountStatus.OPEN:
        raise ShareAccountClosed(locked.account.account_number)


def require_currency(locked: LockedAccount, amount: Money) -> None:
    if amount.currency != locked.currency:
        raise WrongCurrency(amount, locked.currency)


def require_can_receive(locked: LockedAccount, amount: Money) -> None:
    require_open(locked)
    require_currency(locked, amount)
    maximum = locked.product.maximum_balance
    after = locked.ledger.balance + amount
    if maximum is not None and after > maximum:
        raise AboveMaximumBalance(locked.account.account_number, maximum, after)


def require_can_give(
    session: Session,
    locked: LockedAccount,
    amount: Money,
    business_date: dt.date,
    *,
    final: bool = False,
    excluding_approval: int | None = None,
) -> None:
    require_open(locked)
    require_currency(locked, amount)
    number = locked.account.account_number
    status = locked.member.status
    # A pending member may take back a deposit that never reached the minimum share,
    # but only by emptying the account; a dormant member's money stays until reactivated.
    if status is not MemberStatus.ACTIVE and not (final and status is MemberStatus.PENDING):
        raise MemberCannotWithdraw(number, status)
    windows = parse_windows(locked.product.withdrawal_windows)
    if not withdrawals_open(windows, business_date):
        described = ", ".join(f"{w.start} to {w.end}" for w in windows or ())
        raise OutsideWithdrawalWindow(number, business_date, described)
    balance = locked.ledger.balance
    pending = (
        locked.pending_withdrawals
        if excluding_approval is None
        else pending_withdrawals(
            session, locked.account.id, locked.currency, excluding_approval=excluding_approval
        )
    )
    if final:
        if pending:
            raise PendingApprovalsExist(number)
        if amount != balance:
            raise FinalWithdrawalMismatch(number, balance, amount)
        return
    available = available_balance(balance, locked.floor, pending)
    if amount > available:
        raise InsufficientAvailableBalance(number, available, amount)


@dataclass(frozen=True, slots=True)
class DailyCashLimits:
    """Cash withdrawn in one business date, above which a withdrawal needs a checker too:
    withdrawals split under the single-withdrawal limit add up here."""

    per_account: Money
    per_member: Money


def above_daily_limits(
    amount: Money, *, account_today_minor: int, member_today_minor: int, limits: DailyCashLimits
) -> bool:
    """Whether this withdrawal would take the cash paid out today, from the account or from
    all of its member's accounts (`*_today_minor`, in the amount's currency), above a limit."""
    if amount.currency != limits.per_account.currency:
        return True
    # The sums paid out come from one SQL statement, in minor units: money from here on.
    account_today = Money.from_minor(account_today_minor, amount.currency)
    member_today = Money.from_minor(member_today_minor, amount.currency)
    return account_today + amount > limits.per_account or member_today + amount > limits.per_member


def needs_approval(amount: Money, approval_limit: Money) -> bool:
    """Above the limit needs a second pair of eyes. The limit is in the books' currency;
    with no exchange rates to compare by, any other currency always needs approval."""
    return amount.currency != approval_limit.currency or amount > approval_limit
