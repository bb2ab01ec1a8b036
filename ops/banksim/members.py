"""The members a payer could be paying, read from the credit union's database."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.members.models import Member, MemberStatus
from creditunion.shares.models import ShareAccount, ShareAccountStatus
from ops.banksim.uk_bank import Payee

PAYEES_MAX: Final = 2_000


def payees(session: Session, *, limit: int = PAYEES_MAX) -> list[Payee]:
    """Active members' open share accounts, the first `limit` (1 to PAYEES_MAX) by id."""
    if not 0 < limit <= PAYEES_MAX:
        raise ValueError(f"1 to {PAYEES_MAX} payees")
    rows = session.execute(
        select(
            Member.membership_number,
            ShareAccount.account_number,
            Member.given_name,
            Member.family_name,
        )
        .join(ShareAccount, ShareAccount.member_id == Member.id)
        .where(Member.status == MemberStatus.ACTIVE, ShareAccount.status == ShareAccountStatus.OPEN)
        .order_by(ShareAccount.id)
        .limit(limit)
    ).all()
    return [Payee(number, account, f"{given} {family}") for number, account, given, family in rows]
