"""What the member's bank tells us about a mandate outside a collection: a Bacs ADDACS
advice that an instruction has ended, or an ACH notification of change correcting the
account a debit goes to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, NotFound
from creditunion.payments.collections.codes import ADDACS
from creditunion.payments.collections.mandates import cancel_mandate
from creditunion.payments.collections.models import CancelledBy, CollectionMandate
from creditunion.payments.collections.views import MandateView, mandate_view
from ledger.ownership import STAFF


class UnknownMandate(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no mandate of ours has the reference {reference!r}")


class AdviceNotApplied(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"ADDACS code {code!r} is not applied automatically: staff act on it "
            f"(codes applied: {', '.join(sorted(ADDACS))})"
        )


@dataclass(frozen=True, slots=True)
class MandateAdvice:
    reference: str
    code: str


def apply_addacs(
    session: Session, *, advice: MandateAdvice, actor: str, business_date: dt.date
) -> MandateView:
    """Cancel the mandate the advice names. Raises `UnknownMandate`, `AdviceNotApplied`.
    An advice on a mandate already cancelled changes nothing."""
    reason = ADDACS.get(advice.code)
    if reason is None:
        raise AdviceNotApplied(advice.code)
    mandate_id = session.scalar(
        select(CollectionMandate.id).where(CollectionMandate.reference == advice.reference)
    )
    if mandate_id is None:
        raise UnknownMandate(advice.reference)
    return cancel_mandate(
        session,
        mandate_id=mandate_id,
        scope=STAFF,
        by=CancelledBy.BANK,
        reason=f"your bank told us: {reason.text} (ADDACS {reason.code})",
        actor=actor,
        business_date=business_date,
    )


def correct_mandate_account(
    session: Session,
    *,
    mandate_id: int,
    bank_id: str,
    account_number: str,
    account_kind: str | None,
    actor: str,
) -> MandateView:
    """An ACH notification of change on a debit: later debits go to the corrected account
    (NACHA has the originator apply it before the next entry, within six banking days)."""
    row = session.get(CollectionMandate, mandate_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no collection mandate {mandate_id}")
    row.bank_id = bank_id
    row.account_number = account_number
    row.account_kind = account_kind
    row.updated_by = actor
    session.flush()
    return mandate_view(row)
