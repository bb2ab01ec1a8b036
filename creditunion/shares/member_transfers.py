"""A member moving their own money from the app: to another of their own accounts, or to
another member named by membership number.

Paying another member tells the payer nothing about the recipient beyond that the payment
went through: every refusal about the recipient is one of two, told in words that name no
account and no balance.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.errors import Conflict, NotFound
from creditunion.members.service import MemberNotFound
from creditunion.shares.movement_rules import AboveMaximumBalance
from creditunion.shares.movements import (
    NoAccountToReceive,
    transfer_between_own_accounts,
    transfer_to_member,
)
from creditunion.shares.service import ShareAccountClosed, get_share_account
from creditunion.shares.views import Movement
from ledger.money import Money
from ledger.ownership import MemberScope


class RecipientNotFound(NotFound):
    """A member paying someone by membership number named no one who can receive.

    Whether the number is unknown, closed or has no open account is not told apart, so a
    member cannot learn more about other members than that a payment went through.
    """

    def __init__(self) -> None:
        super().__init__("no member with that membership number can receive a payment")


class RecipientCannotReceive(Conflict):
    """The recipient's account refused the credit (its maximum balance, for instance).

    The share service's own message names the account and its balance after the credit,
    which a member must not learn about another member's account.
    """

    def __init__(self) -> None:
        super().__init__("the recipient's account cannot accept this payment")


def transfer_from_own_account(
    session: Session,
    *,
    scope: MemberScope,
    from_share_account_id: int,
    amount: Money,
    actor: str,
    idempotency_key: str,
    business_date: dt.date,
    to_share_account_id: int | None,
    to_membership_number: str | None,
    reference: str | None,
) -> Movement:
    """Move money from one of the member's accounts to another of theirs
    (`to_share_account_id`) or to another member (`to_membership_number`).

    Raises as `transfer_between_own_accounts` and `transfer_to_member`, except that a
    refusal about another member's account is `RecipientNotFound` or
    `RecipientCannotReceive`.
    """
    if to_share_account_id is not None:
        return transfer_between_own_accounts(
            session,
            member_id=scope.member_id,
            from_share_account_id=from_share_account_id,
            to_share_account_id=to_share_account_id,
            amount=amount,
            actor=actor,
            idempotency_key=idempotency_key,
            business_date=business_date,
            reference=reference,
        )
    # The source is checked first, so a refusal about the recipient is only ever reached
    # with one of the member's own accounts.
    source = get_share_account(session, share_account_id=from_share_account_id, scope=scope)
    try:
        return transfer_to_member(
            session,
            from_share_account_id=source.id,
            amount=amount,
            actor=actor,
            idempotency_key=idempotency_key,
            business_date=business_date,
            scope=scope,
            to_membership_number=to_membership_number,
            reference=reference,
        )
    except (MemberNotFound, NoAccountToReceive):
        raise RecipientNotFound() from None
    except (AboveMaximumBalance, ShareAccountClosed) as exc:
        if exc.account_number == source.account_number:
            raise
        raise RecipientCannotReceive() from None
