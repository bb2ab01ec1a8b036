"""Member status transitions in the database, with the closure checks."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creditunion.lending.closure import MEMBER_CLOSURE_CHECKS
from creditunion.members.closure import ClosureCheck, MemberClosureRefused
from creditunion.members.models import MemberStatus
from creditunion.members.service import change_member_status, get_member
from creditunion.members.status import StatusTransitionRefused
from creditunion.members.views import MemberView
from creditunion.platform.database import unit_of_work
from creditunion.shares.service import close_share_account
from ledger import ownership
from tests.factories import STAFF, TODAY, MemberFactory, ShareAccountFactory
from tests.share_account_helpers import deposit

S = MemberStatus


def _move(
    engine: Engine,
    member: MemberView,
    status: MemberStatus,
    checks: Sequence[ClosureCheck] = MEMBER_CLOSURE_CHECKS,
) -> MemberView:
    with unit_of_work(engine) as s:
        return change_member_status(
            s,
            member_id=member.id,
            status=status,
            actor=STAFF,
            business_date=TODAY,
            closure_checks=checks,
        )


def test_pending_member_cannot_be_activated_without_the_minimum_share(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "0.50")  # below the £1 minimum share
        member = get_member(s, member_id=account.member_id)
    assert member.status is S.PENDING
    with pytest.raises(StatusTransitionRefused, match="minimum share"):
        _move(books, member, S.ACTIVE)


def test_the_deposit_reaching_the_minimum_activates_the_member(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "0.50")
        deposit(s, account.id, "0.50")
        member = get_member(s, member_id=account.member_id)
    assert member.status is S.ACTIVE
    assert member.activated_on == TODAY


def test_dormant_and_back(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "10.00")
        member = get_member(s, member_id=account.member_id)
    assert _move(books, member, S.DORMANT).status is S.DORMANT
    assert _move(books, member, S.ACTIVE).status is S.ACTIVE
    with pytest.raises(StatusTransitionRefused, match="already active"):
        _move(books, member, S.ACTIVE)
    with pytest.raises(StatusTransitionRefused):
        _move(books, member, S.PENDING)


def test_member_with_an_open_account_cannot_be_closed(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        member = get_member(s, member_id=account.member_id)
    with pytest.raises(MemberClosureRefused, match="open share account") as caught:
        _move(books, member, S.CLOSED)
    assert caught.value.reasons
    with unit_of_work(books) as s:
        close_share_account(
            s, share_account_id=account.id, actor=STAFF, business_date=TODAY, scope=ownership.STAFF
        )
    closed = _move(books, member, S.CLOSED)
    assert closed.status is S.CLOSED and closed.closed_on == TODAY
    for target in S:
        with pytest.raises(StatusTransitionRefused):
            _move(books, member, target)


def test_the_closure_checks_passed_refuse_closure(books: Engine) -> None:
    def outstanding_loan(session: Session, member_id: int) -> str | None:
        assert session.in_transaction()
        return "the member has an outstanding loan" if member_id == target.id else None

    with unit_of_work(books) as s:
        target = MemberFactory.create(session=s)
        bystander = MemberFactory.create(session=s)
    with pytest.raises(MemberClosureRefused, match="outstanding loan"):
        _move(books, target, S.CLOSED, [outstanding_loan])
    assert _move(books, bystander, S.CLOSED, [outstanding_loan]).status is S.CLOSED
    # Only the checks passed run (besides the open share accounts): none is left behind
    # by an earlier caller.
    assert _move(books, target, S.CLOSED).status is S.CLOSED


def test_the_open_share_accounts_check_runs_whatever_checks_are_passed(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        member = get_member(s, member_id=account.member_id)
    with pytest.raises(MemberClosureRefused, match="open share account"):
        _move(books, member, S.CLOSED, ())
