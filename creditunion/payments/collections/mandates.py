"""Setting up, suspending, resuming and cancelling a member's collection mandate.

A mandate collects one loan's instalments from the member's nominated bank account as it
was when the member signed (a later nomination changes nothing: the member signs again).
Setting one up gives the first advance notice at once, so the app can show the schedule.
A loan may also keep its share-account mandate: what a direct debit leaves unpaid is then
taken from shares by close of business, as before.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import FieldProblem, ValidationProblem
from creditunion.payments.collections.models import (
    CancelledBy,
    Collection,
    CollectionMandate,
    CollectionStatus,
    MandateStatus,
    NoticeReason,
)
from creditunion.payments.collections.notices import give_notice
from creditunion.payments.collections.schedule import schedule_collections
from creditunion.payments.collections.views import MandateView, mandate_view
from creditunion.payments.config import PaymentConfig, PaymentsNotConfigured
from creditunion.payments.nominations import nomination_row
from creditunion.payments.settlement_calendar import Rail
from ledger.ownership import Scope
from loans.models import LoanRow, LoanStatus

CHANNELS: Final = frozenset({"app", "branch"})
REASON_LENGTH_MAX: Final = 200


class MandateNotFound(NotFound):
    def __init__(self, mandate_id: int) -> None:
        super().__init__(f"no collection mandate {mandate_id}")


class LoanNotCollectable(Conflict):
    def __init__(self, loan_id: int, why: str) -> None:
        super().__init__(f"loan {loan_id} cannot be collected by direct debit: {why}")


class MandateExists(Conflict):
    def __init__(self, loan_id: int, mandate_id: int) -> None:
        super().__init__(f"loan {loan_id} already has mandate {mandate_id}; cancel it first")


class MandateNotChangeable(Conflict):
    def __init__(self, mandate_id: int, status: MandateStatus, wanted: str) -> None:
        super().__init__(f"mandate {mandate_id} is {status.value}: it cannot be {wanted}")


@dataclass(frozen=True, slots=True)
class MandateRequest:
    loan_id: int
    represent_agreed: bool
    channel: str


def _require_configured(config: PaymentConfig) -> None:
    if config.collection_rail is Rail.BACS and config.service_user_number is None:
        raise PaymentsNotConfigured("CREDITUNION_BACS_SERVICE_USER_NUMBER")


def _loan(session: Session, loan_id: int, scope: Scope) -> LoanRow:
    loan = session.get(LoanRow, loan_id, with_for_update=True)
    if loan is None or (scope.member_id is not None and loan.member_id != scope.member_id):
        raise NotFound(f"no loan {loan_id}")
    return loan


def set_up_mandate(
    session: Session,
    *,
    request: MandateRequest,
    scope: Scope,
    config: PaymentConfig,
    actor: str,
    business_date: dt.date,
) -> MandateView:
    """The member's authority to collect `request.loan_id` from their nominated account.

    Raises `PaymentsNotConfigured`, `ValidationProblem`, `NotFound` (the loan, in the
    member's scope), `LoanNotCollectable`, `NoNominatedAccount`, `MandateExists`.
    """
    _require_configured(config)
    if request.channel not in CHANNELS:
        raise ValidationProblem([FieldProblem("channel", f"one of {sorted(CHANNELS)}")])
    loan = _loan(session, request.loan_id, scope)
    if loan.status is not LoanStatus.ACTIVE:
        raise LoanNotCollectable(loan.id, f"it is {loan.status.value}")
    if loan.currency != config.currency:
        raise LoanNotCollectable(
            loan.id, f"it is in {loan.currency}, the rail in {config.currency}"
        )
    existing = session.scalar(
        select(CollectionMandate.id).where(
            CollectionMandate.loan_id == loan.id,
            CollectionMandate.status != MandateStatus.CANCELLED,
        )
    )
    if existing is not None:
        raise MandateExists(loan.id, existing)
    nomination = nomination_row(session, loan.member_id)
    if nomination.scheme is not config.scheme:
        raise LoanNotCollectable(loan.id, "the nominated account is not on this rail")
    row = CollectionMandate(
        reference="CU" + uuid.uuid4().hex[:14].upper(),
        member_id=loan.member_id,
        loan_id=loan.id,
        nominated_account_id=nomination.id,
        scheme=nomination.scheme,
        holder_name=nomination.holder_name,
        bank_id=nomination.bank_id,
        account_number=nomination.account_number,
        account_kind=nomination.account_kind,
        status=MandateStatus.ACTIVE,
        represent_agreed=request.represent_agreed,
        signed_on=business_date,
        channel=request.channel,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    schedule_collections(
        session, config=config, business_date=business_date, actor=actor, mandate_id=row.id
    )
    return mandate_view(row)


def lock_mandate(session: Session, mandate_id: int, *, scope: Scope) -> CollectionMandate:
    row = session.get(CollectionMandate, mandate_id, with_for_update=True)
    if row is None or (scope.member_id is not None and row.member_id != scope.member_id):
        raise MandateNotFound(mandate_id)
    return row


def _cancel_scheduled(
    session: Session, mandate_id: int, business_date: dt.date, actor: str
) -> None:
    session.execute(
        update(Collection)
        .where(
            Collection.mandate_id == mandate_id,
            Collection.status == CollectionStatus.SCHEDULED,
        )
        .values(status=CollectionStatus.CANCELLED, updated_on=business_date, updated_by=actor)
        .execution_options(synchronize_session=False)
    )


def _reason(raw: str) -> str:
    reason = " ".join(raw.split())
    if not reason or len(reason) > REASON_LENGTH_MAX:
        raise ValidationProblem([FieldProblem("reason", f"1 to {REASON_LENGTH_MAX} characters")])
    return reason


def cancel_mandate(
    session: Session,
    *,
    mandate_id: int,
    scope: Scope,
    by: CancelledBy,
    reason: str,
    actor: str,
    business_date: dt.date,
) -> MandateView:
    """Nothing more is collected; collections already sent are left to the bank (one it
    refuses comes back unpaid). Cancelling a cancelled mandate changes nothing."""
    row = lock_mandate(session, mandate_id, scope=scope)
    if row.status is MandateStatus.CANCELLED:
        return mandate_view(row)
    row.status = MandateStatus.CANCELLED
    row.cancelled_on = business_date
    row.cancelled_by = by
    row.cancel_reason = _reason(reason)
    row.updated_by = actor
    _cancel_scheduled(session, row.id, business_date, actor)
    give_notice(
        session,
        mandate=row,
        reason=NoticeReason.CANCELLED,
        business_date=business_date,
        text=f"Your Direct Debit {row.reference} for loan {row.loan_id} was cancelled "
        f"({row.cancel_reason}). Nothing more will be collected under it.",
    )
    session.flush()
    return mandate_view(row)


def suspend_mandate(
    session: Session, *, mandate_id: int, actor: str, business_date: dt.date, scope: Scope
) -> MandateView:
    """Staff stop collecting for now; what was scheduled is cancelled and, on resuming,
    given notice of again."""
    row = lock_mandate(session, mandate_id, scope=scope)
    if row.status is not MandateStatus.ACTIVE:
        raise MandateNotChangeable(row.id, row.status, "suspended")
    row.status = MandateStatus.SUSPENDED
    row.suspended_on = business_date
    row.updated_by = actor
    _cancel_scheduled(session, row.id, business_date, actor)
    session.flush()
    return mandate_view(row)


def resume_mandate(
    session: Session,
    *,
    mandate_id: int,
    config: PaymentConfig,
    actor: str,
    business_date: dt.date,
    scope: Scope,
) -> MandateView:
    row = lock_mandate(session, mandate_id, scope=scope)
    if row.status is not MandateStatus.SUSPENDED:
        raise MandateNotChangeable(row.id, row.status, "resumed")
    row.status = MandateStatus.ACTIVE
    row.suspended_on = None
    row.updated_by = actor
    session.flush()
    schedule_collections(
        session, config=config, business_date=business_date, actor=actor, mandate_id=row.id
    )
    return mandate_view(row)
