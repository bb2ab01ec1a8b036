"""What must be true before a member can be closed.

The members' own check refuses while the member has an open share account; it always
runs. Packages built on members have checks of their own (loans: "a loan still owed"),
which the caller passes explicitly (`closure_checks=`, the application's list being
`creditunion.lending.closure.MEMBER_CLOSURE_CHECKS`): nothing is added by importing a
module, so a caller cannot close a member with a loan by not having imported lending.
Each check returns a reason to refuse, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict
from creditunion.shares.models import ShareAccount, ShareAccountStatus

ClosureCheck = Callable[[Session, int], str | None]


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


def closure_refusals(
    session: Session, member_id: int, checks: Sequence[ClosureCheck]
) -> tuple[str, ...]:
    """Every reason the member cannot be closed now (empty when they can): the open share
    accounts, then each of `checks`."""
    reasons = (check(session, member_id) for check in (_open_share_accounts, *checks))
    return tuple(reason for reason in reasons if reason)
