"""Share products as data, and opening, reading and closing share accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from creditunion.field_problems import ValidationProblem
from creditunion.lending.closure import MEMBER_CLOSURE_CHECKS
from creditunion.members.models import MemberStatus
from creditunion.members.service import change_member_status
from creditunion.platform.database import unit_of_work
from creditunion.shares.account_number import normalise_account_number
from creditunion.shares.models import ProductKind, ShareAccountStatus
from creditunion.shares.movements import withdraw_cash
from creditunion.shares.product_service import (
    ProductCodeTaken,
    ProductNotFound,
    get_share_product,
    install_standard_products,
    list_share_products,
    set_share_product_active,
)
from creditunion.shares.service import (
    MemberNotEligible,
    ProductNotOffered,
    ShareAccountClosed,
    ShareAccountNotEmpty,
    ShareAccountNotFound,
    close_share_account,
    get_share_account,
    get_share_account_by_number,
    list_member_share_accounts,
    open_share_account,
    set_repayment_mandate,
)
from ledger import ownership
from ledger.accounts import get_account, get_account_by_code
from ledger.chart import MEMBERS_SHARES
from ledger.models import AccountStatus, AccountType
from tests.factories import STAFF, TODAY, MemberFactory, ShareAccountFactory, ShareProductFactory
from tests.share_account_helpers import LIMIT, assert_invariants, deposit, gbp, key


def test_standard_products_are_seeded_once(books: Engine) -> None:
    with unit_of_work(books) as s:
        assert install_standard_products(s, currency="GBP") == 0
        codes = {p.code for p in list_share_products(s)}
        xmas = get_share_product(s, code="xmas")
    assert {"INSTANT", "XMAS", "JUNIOR"} <= codes
    assert xmas.kind is ProductKind.CHRISTMAS_SAVER
    assert [(str(w.start), str(w.end)) for w in xmas.withdrawal_windows or ()] == [
        ("11-01", "12-31")
    ]


def test_defining_and_retiring_a_product(books: Engine) -> None:
    with unit_of_work(books) as s:
        product = ShareProductFactory.create(session=s, minimum_balance="5.00")
        with pytest.raises(ProductCodeTaken):
            ShareProductFactory.create(session=s, code=product.code.lower())
        with pytest.raises(ValidationProblem, match="currency"):
            ShareProductFactory.create(session=s, currency="EUR")
        set_share_product_active(s, code=product.code, active=False, actor="user:manager-1")
        assert product.code not in {p.code for p in list_share_products(s)}
        assert product.code in {p.code for p in list_share_products(s, include_inactive=True)}
        member = MemberFactory.create(session=s)
        with pytest.raises(ProductNotOffered):
            open_share_account(
                s, member_id=member.id, product_code=product.code, actor=STAFF, business_date=TODAY
            )
        with pytest.raises(ProductNotFound):
            get_share_product(s, code="NOPE")


def test_opening_an_account_opens_a_member_ledger_account(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s, repayment_mandate=True)
        ledger = get_account(s, account.ledger_account_id)
        control = get_account_by_code(s, MEMBERS_SHARES)
    assert normalise_account_number(account.account_number) == account.account_number
    assert account.status is ShareAccountStatus.OPEN and account.opened_on == TODAY
    assert account.repayment_mandate is True
    assert account.balance == gbp("0.00") == account.available
    assert ledger.type is AccountType.LIABILITY
    assert ledger.parent_id == control.id
    assert ledger.floor == gbp("0.00")
    assert ledger.code == f"SH{account.account_number}"
    # No personal data in the general ledger.
    assert ledger.name == f"Member shares {account.account_number} (INSTANT)"


def test_junior_saver_only_for_members_under_18(books: Engine) -> None:
    with unit_of_work(books) as s:
        child = MemberFactory.create(session=s, date_of_birth="2008-11-26")  # 17 today
        adult = MemberFactory.create(session=s, date_of_birth="2008-11-25")  # 18 today
        account = open_share_account(
            s, member_id=child.id, product_code="JUNIOR", actor=STAFF, business_date=TODAY
        )
        assert account.product_kind is ProductKind.JUNIOR_SAVER
        with pytest.raises(MemberNotEligible, match="under 18"):
            open_share_account(
                s, member_id=adult.id, product_code="JUNIOR", actor=STAFF, business_date=TODAY
            )
        # The child turns 18 tomorrow: too old to open another one then.
        with pytest.raises(MemberNotEligible):
            open_share_account(
                s,
                member_id=child.id,
                product_code="JUNIOR",
                actor=STAFF,
                business_date=dt.date(2026, 11, 26),
            )


def test_dormant_or_closed_members_open_nothing(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "5.00")
        change_member_status(
            s,
            member_id=account.member_id,
            status=MemberStatus.DORMANT,
            actor=STAFF,
            business_date=TODAY,
            closure_checks=MEMBER_CLOSURE_CHECKS,
        )
        with pytest.raises(MemberNotEligible, match="dormant"):
            open_share_account(
                s,
                member_id=account.member_id,
                product_code="XMAS",
                actor=STAFF,
                business_date=TODAY,
            )


def test_another_members_account_is_not_found(books: Engine) -> None:
    with unit_of_work(books) as s:
        mine = ShareAccountFactory.create(session=s)
        theirs = ShareAccountFactory.create(session=s)
        assert (
            get_share_account(
                s, share_account_id=mine.id, scope=ownership.MemberScope(mine.member_id)
            ).id
            == mine.id
        )
        with pytest.raises(ShareAccountNotFound):
            get_share_account(
                s, share_account_id=theirs.id, scope=ownership.MemberScope(mine.member_id)
            )
        with pytest.raises(ShareAccountNotFound):
            get_share_account_by_number(
                s, account_number=theirs.account_number, scope=ownership.MemberScope(mine.member_id)
            )
        with pytest.raises(ShareAccountNotFound):
            get_share_account(s, share_account_id=10**12, scope=ownership.STAFF)
        with pytest.raises(ShareAccountNotFound):
            set_repayment_mandate(
                s,
                share_account_id=theirs.id,
                given=True,
                actor="member:1",
                member_id=mine.member_id,
            )
        with pytest.raises(ShareAccountNotFound):
            close_share_account(
                s,
                share_account_id=theirs.id,
                actor="x",
                business_date=TODAY,
                scope=ownership.MemberScope(mine.member_id),
            )
        assert [a.id for a in list_member_share_accounts(s, member_id=mine.member_id)] == [mine.id]


def test_mandate_can_be_given_and_withdrawn(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        given = set_repayment_mandate(
            s, share_account_id=account.id, given=True, actor=STAFF, member_id=account.member_id
        )
        withdrawn = set_repayment_mandate(
            s, share_account_id=account.id, given=False, actor=STAFF, member_id=None
        )
    assert (given.repayment_mandate, withdrawn.repayment_mandate) == (True, False)


def test_closing_needs_a_zero_balance(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "25.00")
    with unit_of_work(books) as s, pytest.raises(ShareAccountNotEmpty) as caught:
        close_share_account(
            s, share_account_id=account.id, actor=STAFF, business_date=TODAY, scope=ownership.STAFF
        )
    assert caught.value.balance == gbp("25.00")
    with unit_of_work(books) as s:
        # The minimum share keeps £1 in; a final withdrawal empties it.
        result = withdraw_cash(
            s,
            share_account_id=account.id,
            amount=gbp("25.00"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            approval_limit=LIMIT,
            final=True,
        )
        assert result.movement is not None and result.movement.balance_after == gbp("0.00")
        closed = close_share_account(
            s, share_account_id=account.id, actor=STAFF, business_date=TODAY, scope=ownership.STAFF
        )
        ledger = get_account(s, account.ledger_account_id)
    assert closed.status is ShareAccountStatus.CLOSED and closed.closed_on == TODAY
    assert ledger.status is AccountStatus.CLOSED
    with unit_of_work(books) as s, pytest.raises(ShareAccountClosed):
        close_share_account(
            s, share_account_id=account.id, actor=STAFF, business_date=TODAY, scope=ownership.STAFF
        )
    assert_invariants(books)
