"""What the loan decision needs to know about a member and the credit union, from the tables.

Membership starts when the member first became active, i.e. first held the minimum share
(`activated_on`): registering is applying for membership, holding a share is being a
member, and that is what a product's minimum membership period counts from. A member
never activated (pending) counts from registration; such a member cannot borrow anyway.

Net worth (the NCUA PAL portfolio limit, 12 CFR 701.21(c)(7)(iii)(A)(9)) is what the books
carry as reserves: the general reserve plus the retained surplus, in the books' currency.
Until anything has been posted to those accounts (a credit union moving onto this system,
whose reserves have not been brought over yet), the `CREDITUNION_LOAN_NET_WORTH` setting
stands in. Once the books carry reserves they are used whatever their sign: a credit
union whose reserves are at or below zero has no net worth to lend PALs against, and a
configured figure must not hide that (every PAL is then refused on the portfolio limit).
With neither, net worth is zero, which is the safe side too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from creditunion.members.models import Member
from creditunion.members.service import MemberNotFound
from ledger.chart import GENERAL_RESERVE, RETAINED_SURPLUS
from ledger.models import LedgerAccount, Posting
from ledger.money import Money
from loans.decision import MemberFacts
from loans.services.accounts import chart


def membership_start(member: Member) -> dt.date:
    return member.activated_on or member.joined_on


def member_facts(session: Session, *, member_id: int, net_worth: Money | None) -> MemberFacts:
    """The member's facts as a `loans.decision.MemberFacts`. Raises `MemberNotFound`."""
    member = session.get(Member, member_id, populate_existing=True)
    if member is None:
        raise MemberNotFound(member_id)
    return MemberFacts(
        member_id=member.id,
        status=member.status.value,
        membership_start=membership_start(member),
        date_of_birth=member.date_of_birth,
        net_worth=net_worth,
    )


def net_worth(session: Session, *, configured: str | None) -> Money:
    """General reserve + retained surplus once anything is posted to them, whatever the
    sign; until then the configured figure (zero without one)."""
    currency = chart(session).currency
    reserves = session.execute(
        select(LedgerAccount.id, LedgerAccount.balance_minor).where(
            LedgerAccount.code.in_((GENERAL_RESERVE, RETAINED_SURPLUS))
        )
    ).all()
    # Equity accounts are credit-normal: a reserve of 100 is a balance of -100.
    on_the_books = Money.from_minor(-sum(int(r.balance_minor) for r in reserves), currency)
    ids = [int(r.id) for r in reserves]
    carried = bool(session.scalar(select(exists().where(Posting.account_id.in_(ids)))))
    if carried or configured is None:
        return on_the_books
    return Money(configured, currency)
