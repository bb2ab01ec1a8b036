"""What must be true before a member can be closed, and how other packages add to it.

The built-in check refuses while the member has an open share account. Packages that
come later register their own (loans: "an outstanding loan") with
`register_closure_check`; each returns a reason to refuse, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict
from creditunion.shares.models import ShareAccount, ShareAccountStatus

ClosureCheck = Callable[[Session, int], str | None]
CHECKS_MAX: Final = 50


class MemberClosureRefused(Conflict):
    def __init__(self, member_id: int, reasons: tuple[str, ...]) -> None:
        super().__init__(f"member {member_id} cannot be closed: {'; '.join(reasons)}")
        self.member_id = member_id
        self.reasons = reasons


def _open_share_accounts(session: Session, member_id: int) -> str | None:
    count = session.scalar(
        select(func.count())
        .select_from(ShareAccount)
        .where(ShareAccount.member_id == member_id, ShareAccount.status == ShareAccountStatus.OPEN)
    )
    if count:
        return f"the member has {count} open share account(s); close them first"
    return None


_checks: dict[str, ClosureCheck] = {"open_share_accounts": _open_share_accounts}


def register_closure_check(name: str, check: ClosureCheck) -> None:
    """Add (or replace, by name) a check run before any member is closed."""
    if name not in _checks and len(_checks) >= CHECKS_MAX:
        raise ValueError(f"at most {CHECKS_MAX} closure checks")
    _checks[name] = check


def unregister_closure_check(name: str) -> None:
    if name == "open_share_accounts":
        raise ValueError("the open share accounts check cannot be removed")
    _checks.pop(name, None)


def closure_refusals(session: Session, member_id: int) -> tuple[str, ...]:
    """Every reason the member cannot be closed now (empty when they can)."""
    reasons = (check(session, member_id) for check in list(_checks.values()))
    return tuple(reason for reason in reasons if reason)
