"""Opening a share account, its loan repayment mandate and closing it, as commands: each
runs in the caller's transaction and is audited once from its result."""

from __future__ import annotations

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, command
from creditunion.shares import service
from creditunion.shares.views import ShareAccountView


@command(action="share_account.open", target_type="share_account")
def open_share_account(
    session: Session,
    context: CommandContext,
    *,
    member_id: int,
    product_code: str,
    repayment_mandate: bool,
) -> Audited[ShareAccountView]:
    account = service.open_share_account(
        session,
        member_id=member_id,
        product_code=product_code,
        actor=context.actor_ref,
        business_date=context.business_date,
        repayment_mandate=repayment_mandate,
    )
    summary = {
        "account_number": account.account_number,
        "member_id": account.member_id,
        "product_code": account.product_code,
        "repayment_mandate": account.repayment_mandate,
    }
    return Audited(account, target_id=account.id, summary=summary)


@command(action="share_account.mandate", target_type="share_account")
def set_repayment_mandate(
    session: Session, context: CommandContext, *, share_account_id: int, given: bool
) -> Audited[ShareAccountView]:
    account = service.set_repayment_mandate(
        session,
        share_account_id=share_account_id,
        given=given,
        actor=context.actor_ref,
        member_id=context.scope.member_id,
    )
    summary = {"repayment_mandate": account.repayment_mandate}
    return Audited(account, target_id=share_account_id, summary=summary)


@command(action="share_account.close", target_type="share_account")
def close_share_account(
    session: Session, context: CommandContext, *, share_account_id: int
) -> Audited[ShareAccountView]:
    account = service.close_share_account(
        session,
        share_account_id=share_account_id,
        actor=context.actor_ref,
        business_date=context.business_date,
        scope=context.scope,
    )
    return Audited(
        account, target_id=share_account_id, summary={"account_number": account.account_number}
    )
