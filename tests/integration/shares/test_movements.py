"""Cash at the till and transfers: every happy path and every refusal, against the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from creditunion.field_problems import ValidationProblem
from creditunion.lending.closure import MEMBER_CLOSURE_CHECKS
from creditunion.members.models import MemberStatus
from creditunion.members.service import change_member_status, get_member
from creditunion.platform.database import unit_of_work
from creditunion.shares.movement_rules import (
    AboveMaximumBalance,
    FinalWithdrawalMismatch,
    InsufficientAvailableBalance,
    MemberCannotWithdraw,
    OutsideWithdrawalWindow,
    WrongCurrency,
)
from creditunion.shares.movements import (
    NoAccountToReceive,
    deposit_cash,
    transfer_between_own_accounts,
    transfer_to_member,
    withdraw_cash,
)
from creditunion.shares.service import (
    ShareAccountClosed,
    ShareAccountNotFound,
    close_share_account,
    get_share_account,
    open_share_account,
)
from creditunion.shares.views import ShareAccountView
from ledger import ownership
from ledger.accounts import get_account, get_account_by_code
from ledger.chart import CASH_IN_TILLS
from ledger.checks import InsufficientFunds
from ledger.models import JournalEntry
from ledger.money import Money
from ledger.posting import IdempotencyConflict
from tests.factories import STAFF, TODAY, MemberFactory, ShareAccountFactory, ShareProductFactory
from tests.share_account_helpers import LIMIT, assert_invariants, deposit, gbp, key

SUMMER = dt.date(2026, 6, 15)


def _funded(engine: Engine, amount: str = "100.00", product: str = "INSTANT") -> ShareAccountView:
    with unit_of_work(engine) as s:
        account = ShareAccountFactory.create(session=s, product_code=product)
        deposit(s, account.id, amount)
        return get_share_account(s, share_account_id=account.id, scope=ownership.STAFF)


def _withdraw(engine: Engine, account_id: int, amount: str, **kwargs: object) -> object:
    options: dict[str, object] = {
        "actor": STAFF,
        "idempotency_key": key(),
        "business_date": TODAY,
        "approval_limit": LIMIT,
    } | kwargs
    with unit_of_work(engine) as s:
        return withdraw_cash(s, share_account_id=account_id, amount=gbp(amount), **options)  # type: ignore[arg-type]


def test_deposit_credits_the_member_and_debits_the_till(books: Engine) -> None:
    with unit_of_work(books) as s:
        till_before = get_account_by_code(s, CASH_IN_TILLS).balance
        account = ShareAccountFactory.create(session=s)
        movement = deposit_cash(
            s,
            share_account_id=account.id,
            amount=gbp("250.00"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            reference="Birthday money",
        )
        till_after = get_account_by_code(s, CASH_IN_TILLS).balance
        entry = s.get(JournalEntry, movement.entry_id)
        view = get_share_account(
            s, share_account_id=account.id, scope=ownership.MemberScope(account.member_id)
        )
    assert movement.balance_after == gbp("250.00") == view.balance
    assert movement.kind == "shares.cash_deposit" and not movement.replayed
    assert movement.to_account_number == account.account_number
    assert till_after - till_before == gbp("250.00")
    assert entry is not None and entry.reference == "Birthday money" and entry.posted_by == STAFF
    # The minimum share was reached: the floor rose to it and the member became active.
    assert view.floor == gbp("1.00") and view.available == gbp("249.00")
    assert view.minimum_reached_on == TODAY


def test_deposit_replayed_with_the_same_key_posts_once(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
    same_key = key()

    def pay_in(amount: str = "40.00") -> object:
        with unit_of_work(books) as s:
            return deposit_cash(
                s,
                share_account_id=account.id,
                amount=gbp(amount),
                actor=STAFF,
                idempotency_key=same_key,
                business_date=TODAY,
            )

    first, second = pay_in(), pay_in()
    assert first.replayed is False and second.replayed is True  # type: ignore[attr-defined]
    assert first.entry_id == second.entry_id  # type: ignore[attr-defined]
    with unit_of_work(books) as s:
        assert get_share_account(
            s, share_account_id=account.id, scope=ownership.STAFF
        ).balance == gbp("40.00")
        count = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.idempotency_key == same_key)
        )
    assert count == 1
    with pytest.raises(IdempotencyConflict):
        pay_in("41.00")


def test_replay_is_answered_even_when_the_deposit_would_now_be_refused(books: Engine) -> None:
    """The product maximum would refuse a second £4,000, but a retry is not a second one."""
    with unit_of_work(books) as s:
        product = ShareProductFactory.create(session=s, maximum_balance="5000.00")
        account = ShareAccountFactory.create(session=s, product_code=product.code)
    same_key = key()
    for _ in range(2):
        with unit_of_work(books) as s:
            deposit_cash(
                s,
                share_account_id=account.id,
                amount=gbp("4000.00"),
                actor=STAFF,
                idempotency_key=same_key,
                business_date=TODAY,
            )
    with unit_of_work(books) as s:
        assert get_share_account(
            s, share_account_id=account.id, scope=ownership.STAFF
        ).balance == gbp("4000.00")


def test_deposit_above_the_product_maximum_is_refused(books: Engine) -> None:
    with unit_of_work(books) as s:
        product = ShareProductFactory.create(session=s, maximum_balance="500.00")
        account = ShareAccountFactory.create(session=s, product_code=product.code)
        deposit(s, account.id, "499.99")
    with unit_of_work(books) as s, pytest.raises(AboveMaximumBalance) as caught:
        deposit(s, account.id, "0.02")
    assert caught.value.balance_after == gbp("500.01")
    with unit_of_work(books) as s:
        assert deposit(s, account.id, "0.01").balance_after == gbp("500.00")


def test_wrong_currency_is_refused(books: Engine) -> None:
    account = _funded(books)
    with unit_of_work(books) as s, pytest.raises(WrongCurrency) as caught:
        deposit_cash(
            s,
            share_account_id=account.id,
            amount=Money("10.00", "EUR"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
        )
    assert caught.value.problems[0].field == "amount"
    with unit_of_work(books) as s, pytest.raises(WrongCurrency):
        withdraw_cash(
            s,
            share_account_id=account.id,
            amount=Money("10", "JPY"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            approval_limit=LIMIT,
        )


@pytest.mark.parametrize(
    ("amount", "idempotency_key", "reference", "fields"),
    [
        (Money("0.00", "GBP"), "k", None, {"amount"}),
        (Money("-5.00", "GBP"), "k", None, {"amount"}),
        ("5.00", "k", None, {"amount"}),
        (Money("5.00", "GBP"), "", None, {"idempotency_key"}),
        (Money("5.00", "GBP"), "k" * 201, None, {"idempotency_key"}),
        (Money("5.00", "GBP"), "bad\nkey", "x" * 201, {"idempotency_key", "reference"}),
    ],
)
def test_malformed_requests(
    books: Engine, amount: object, idempotency_key: str, reference: str | None, fields: set[str]
) -> None:
    account = _funded(books)
    with unit_of_work(books) as s, pytest.raises(ValidationProblem) as caught:
        deposit_cash(
            s,
            share_account_id=account.id,
            amount=amount,  # type: ignore[arg-type]
            actor=STAFF,
            idempotency_key=idempotency_key,
            business_date=TODAY,
            reference=reference,
        )
    assert {p.field for p in caught.value.problems} == fields


def test_withdrawal_pays_out_down_to_the_minimum_share_and_no_further(books: Engine) -> None:
    account = _funded(books, "100.00")
    result = _withdraw(books, account.id, "99.00")
    assert result.status == "posted"  # type: ignore[attr-defined]
    assert result.movement.balance_after == gbp("1.00")  # type: ignore[attr-defined]
    with pytest.raises(InsufficientAvailableBalance) as caught:
        _withdraw(books, account.id, "0.01")
    assert caught.value.available == gbp("0.00")


def test_the_ledger_floor_holds_the_minimum_share_by_itself(books: Engine) -> None:
    """Bypassing the share service, the ledger still refuses to dip into the minimum."""
    from ledger.entry import EntryRequest, Line
    from ledger.posting import post_entry

    account = _funded(books, "10.00")
    with unit_of_work(books) as s, pytest.raises(InsufficientFunds):
        till = get_account_by_code(s, CASH_IN_TILLS).id
        post_entry(
            s,
            EntryRequest(
                idempotency_key=key(),
                business_date=TODAY,
                lines=(
                    Line.debit(account.ledger_account_id, gbp("9.01")),
                    Line.credit(till, gbp("9.01")),
                ),
                description="raw withdrawal",
                posted_by="test",
            ),
        )


def test_withdrawal_from_a_closed_account(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        close_share_account(
            s, share_account_id=account.id, actor=STAFF, business_date=TODAY, scope=ownership.STAFF
        )
    with pytest.raises(ShareAccountClosed):
        _withdraw(books, account.id, "1.00")
    with unit_of_work(books) as s, pytest.raises(ShareAccountClosed):
        deposit(s, account.id, "1.00")


def test_christmas_saver_pays_out_only_in_its_window(books: Engine) -> None:
    with unit_of_work(books) as s:
        member = MemberFactory.create(session=s)
        instant = open_share_account(
            s, member_id=member.id, product_code="INSTANT", actor=STAFF, business_date=SUMMER
        )
        xmas = open_share_account(
            s, member_id=member.id, product_code="XMAS", actor=STAFF, business_date=SUMMER
        )
        deposit(s, instant.id, "5.00", business_date=SUMMER)
        deposit(s, xmas.id, "60.00", business_date=SUMMER)  # deposits are fine any time
    with pytest.raises(OutsideWithdrawalWindow):
        _withdraw(books, xmas.id, "10.00", business_date=SUMMER)
    with pytest.raises(OutsideWithdrawalWindow), unit_of_work(books) as s:
        transfer_between_own_accounts(
            s,
            member_id=member.id,
            from_share_account_id=xmas.id,
            to_share_account_id=instant.id,
            amount=gbp("10.00"),
            actor="member:x",
            idempotency_key=key(),
            business_date=dt.date(2026, 10, 31),
        )
    inside = _withdraw(books, xmas.id, "10.00", business_date=dt.date(2026, 11, 1))
    assert inside.movement.balance_after == gbp("50.00")  # type: ignore[attr-defined]
    last_day = _withdraw(books, xmas.id, "10.00", business_date=dt.date(2026, 12, 31))
    assert last_day.status == "posted"  # type: ignore[attr-defined]
    with pytest.raises(OutsideWithdrawalWindow):
        _withdraw(books, xmas.id, "10.00", business_date=dt.date(2027, 1, 1))


def test_dormant_members_money_stays_until_reactivated(books: Engine) -> None:
    account = _funded(books, "50.00")
    with unit_of_work(books) as s:
        change_member_status(
            s,
            member_id=account.member_id,
            status=MemberStatus.DORMANT,
            actor=STAFF,
            business_date=TODAY,
            closure_checks=MEMBER_CLOSURE_CHECKS,
        )
    with pytest.raises(MemberCannotWithdraw):
        _withdraw(books, account.id, "5.00")
    with unit_of_work(books) as s:
        deposit(s, account.id, "5.00")  # paying in is still fine


def test_pending_member_may_only_take_back_a_deposit_in_full(books: Engine) -> None:
    with unit_of_work(books) as s:
        account = ShareAccountFactory.create(session=s)
        deposit(s, account.id, "0.40")  # below the minimum share: still pending
    with pytest.raises(MemberCannotWithdraw):
        _withdraw(books, account.id, "0.10")
    with pytest.raises(FinalWithdrawalMismatch):
        _withdraw(books, account.id, "0.30", final=True)
    result = _withdraw(books, account.id, "0.40", final=True)
    assert result.movement.balance_after == gbp("0.00")  # type: ignore[attr-defined]


def test_a_refused_final_withdrawal_leaves_the_floor_in_place(books: Engine) -> None:
    account = _funded(books, "20.00")
    with unit_of_work(books) as s, pytest.raises(FinalWithdrawalMismatch):
        withdraw_cash(
            s,
            share_account_id=account.id,
            amount=gbp("19.00"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            approval_limit=LIMIT,
            final=True,
        )
    with unit_of_work(books) as s:
        assert get_account(s, account.ledger_account_id).floor == gbp("1.00")


def test_transfer_between_own_accounts(books: Engine) -> None:
    with unit_of_work(books) as s:
        member = MemberFactory.create(session=s)
        a = open_share_account(
            s, member_id=member.id, product_code="INSTANT", actor=STAFF, business_date=TODAY
        )
        b = open_share_account(
            s, member_id=member.id, product_code="XMAS", actor=STAFF, business_date=TODAY
        )
        deposit(s, a.id, "80.00")
        movement = transfer_between_own_accounts(
            s,
            member_id=member.id,
            from_share_account_id=a.id,
            to_share_account_id=b.id,
            amount=gbp("30.00"),
            actor=f"member:{member.id}",
            idempotency_key=key(),
            business_date=TODAY,
        )
        after_b = get_share_account(
            s, share_account_id=b.id, scope=ownership.MemberScope(member.id)
        )
    assert movement.balance_after == gbp("50.00")
    assert after_b.balance == gbp("30.00")
    assert (movement.from_account_number, movement.to_account_number) == (
        a.account_number,
        b.account_number,
    )


def test_own_transfer_refuses_someone_elses_account_and_the_same_account(books: Engine) -> None:
    mine = _funded(books)
    theirs = _funded(books)
    for source, target in [(mine.id, theirs.id), (theirs.id, mine.id)]:
        with unit_of_work(books) as s, pytest.raises(ShareAccountNotFound):
            transfer_between_own_accounts(
                s,
                member_id=mine.member_id,
                from_share_account_id=source,
                to_share_account_id=target,
                amount=gbp("1.00"),
                actor="member:x",
                idempotency_key=key(),
                business_date=TODAY,
            )
    with unit_of_work(books) as s, pytest.raises(ValidationProblem):
        transfer_between_own_accounts(
            s,
            member_id=mine.member_id,
            from_share_account_id=mine.id,
            to_share_account_id=mine.id,
            amount=gbp("1.00"),
            actor="member:x",
            idempotency_key=key(),
            business_date=TODAY,
        )


def test_transfer_to_another_member_by_membership_number(books: Engine) -> None:
    payer = _funded(books, "100.00")
    with unit_of_work(books) as s:
        payee = MemberFactory.create(session=s)
        xmas = open_share_account(
            s, member_id=payee.id, product_code="XMAS", actor=STAFF, business_date=TODAY
        )
        instant = open_share_account(
            s, member_id=payee.id, product_code="INSTANT", actor=STAFF, business_date=TODAY
        )
        movement = transfer_to_member(
            s,
            from_share_account_id=payer.id,
            amount=gbp("25.00"),
            actor=f"member:{payer.member_id}",
            idempotency_key=key(),
            business_date=TODAY,
            scope=ownership.MemberScope(payer.member_id),
            to_membership_number=payee.membership_number.lower(),
        )
        received = get_share_account(s, share_account_id=instant.id, scope=ownership.STAFF)
        untouched = get_share_account(s, share_account_id=xmas.id, scope=ownership.STAFF)
        payee_now = get_member(s, member_id=payee.id)
    # The instant-access account receives even though the saver is older.
    assert received.balance == gbp("25.00") and untouched.balance == gbp("0.00")
    assert movement.to_account_number is None  # not revealed to the payer
    assert movement.balance_after == gbp("75.00")
    assert payee_now.status is MemberStatus.ACTIVE  # the minimum share arrived by transfer


def test_transfer_to_another_member_by_account_number(books: Engine) -> None:
    payer = _funded(books, "100.00")
    payee = _funded(books, "1.00")
    with unit_of_work(books) as s:
        movement = transfer_to_member(
            s,
            from_share_account_id=payer.id,
            amount=gbp("10.00"),
            actor=STAFF,
            idempotency_key=key(),
            business_date=TODAY,
            scope=ownership.STAFF,
            to_account_number=f"{payee.account_number[:4]} {payee.account_number[4:]}",
        )
    assert movement.to_account_number == payee.account_number


def test_transfer_refusals(books: Engine) -> None:
    payer = _funded(books, "100.00")
    other = _funded(books, "100.00")
    with unit_of_work(books) as s:
        lonely = MemberFactory.create(session=s)
        capped_product = ShareProductFactory.create(session=s, maximum_balance="20.00")
        capped = ShareAccountFactory.create(session=s, product_code=capped_product.code)
        deposit(s, capped.id, "15.00")

    def send(**target: object) -> None:
        with unit_of_work(books) as s:
            transfer_to_member(
                s,
                from_share_account_id=payer.id,
                amount=gbp(str(target.pop("amount", "10.00"))),
                actor=STAFF,
                idempotency_key=key(),
                business_date=TODAY,
                scope=target.pop("scope", ownership.STAFF),  # type: ignore[arg-type]
                **target,  # type: ignore[arg-type]
            )

    with pytest.raises(ValidationProblem, match="one of them"):
        send()
    with pytest.raises(ValidationProblem, match="one of them"):
        send(to_membership_number="M1", to_account_number="00000018")
    bad_check = payer.account_number[:-1] + str((int(payer.account_number[-1]) + 1) % 10)
    with pytest.raises(ValidationProblem, match="check digit"):
        send(to_account_number=bad_check)
    with pytest.raises(NoAccountToReceive):
        send(to_membership_number=lonely.membership_number)
    with pytest.raises(AboveMaximumBalance):
        send(to_account_number=capped.account_number)
    with pytest.raises(InsufficientAvailableBalance):
        send(to_account_number=other.account_number, amount="99.01")
    with pytest.raises(ShareAccountNotFound):  # a member paying from someone else's account
        send(to_account_number=other.account_number, scope=ownership.MemberScope(other.member_id))
    assert_invariants(books)
