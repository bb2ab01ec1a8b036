"""Direct-debit mandates as commands: each runs in the caller's transaction and is audited
once from its result (see `creditunion.commands`).

None of them moves money: a mandate only authorises the collections close of business
makes, so none needs an idempotency key (a second mandate on a loan is refused instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, command
from creditunion.field_problems import ValidationProblem
from creditunion.payments.collections import advices as mandate_advices
from creditunion.payments.collections import mandates
from creditunion.payments.collections.advices import MandateAdvice
from creditunion.payments.collections.mandates import MandateRequest
from creditunion.payments.collections.models import CancelledBy
from creditunion.payments.collections.views import MandateView
from creditunion.payments.config import PaymentConfig

# The advices of one request, applied together; their audit summary stays within its size.
ADVICES_MAX: Final = 500


def _summary(view: MandateView) -> dict[str, object]:
    return {
        "reference": view.reference,
        "member_id": view.member_id,
        "loan_id": view.loan_id,
        "status": view.status.value,
    }


@command(action="collection_mandate.set_up", target_type="collection_mandate")
def set_up_mandate(
    session: Session, context: CommandContext, *, request: MandateRequest, config: PaymentConfig
) -> Audited[MandateView]:
    view = mandates.set_up_mandate(
        session,
        request=request,
        scope=context.scope,
        config=config,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    summary = {
        **_summary(view),
        "channel": view.channel,
        "represent_agreed": view.represent_agreed,
    }
    return Audited(view, target_id=view.id, summary=summary)


@command(action="collection_mandate.cancel", target_type="collection_mandate")
def cancel_mandate(
    session: Session, context: CommandContext, *, mandate_id: int, reason: str
) -> Audited[MandateView]:
    """By the member in their own scope, else by staff."""
    view = mandates.cancel_mandate(
        session,
        mandate_id=mandate_id,
        scope=context.scope,
        by=CancelledBy.MEMBER if context.actor.is_member else CancelledBy.STAFF,
        reason=reason,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    summary = {**_summary(view), "cancelled_by": view.cancelled_by, "reason": view.cancel_reason}
    return Audited(view, target_id=mandate_id, summary=summary)


@command(action="collection_mandate.suspend", target_type="collection_mandate")
def suspend_mandate(
    session: Session, context: CommandContext, *, mandate_id: int
) -> Audited[MandateView]:
    view = mandates.suspend_mandate(
        session,
        mandate_id=mandate_id,
        actor=context.actor_ref,
        business_date=context.business_date,
        scope=context.scope,
    )
    return Audited(view, target_id=mandate_id, summary=_summary(view))


@command(action="collection_mandate.resume", target_type="collection_mandate")
def resume_mandate(
    session: Session, context: CommandContext, *, mandate_id: int, config: PaymentConfig
) -> Audited[MandateView]:
    view = mandates.resume_mandate(
        session,
        mandate_id=mandate_id,
        config=config,
        actor=context.actor_ref,
        business_date=context.business_date,
        scope=context.scope,
    )
    return Audited(view, target_id=mandate_id, summary=_summary(view))


@command(action="collection_mandate.apply_addacs", target_type="collection_mandate")
def apply_advices(
    session: Session, context: CommandContext, *, given: Sequence[MandateAdvice]
) -> Audited[list[MandateView]]:
    """Apply the member's banks' ADDACS advices in order, all or none: the first refused
    (`UnknownMandate`, `AdviceNotApplied`) raises, and the caller's transaction rolls back
    what the others did. One audit record for them all."""
    if not 0 < len(given) <= ADVICES_MAX:
        raise ValidationProblem.single("advices", f"1 to {ADVICES_MAX} advices")
    views = [
        mandate_advices.apply_addacs(
            session, advice=advice, actor=context.actor_ref, business_date=context.business_date
        )
        for advice in given
    ]
    summary = {
        "advices": len(views),
        "codes": dict(sorted(Counter(advice.code for advice in given).items())),
        "mandate_ids": [view.id for view in views],
    }
    return Audited(views, target_id=None, summary=summary)
