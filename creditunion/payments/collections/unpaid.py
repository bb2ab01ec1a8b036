"""A collection the member's bank did not pay: put back, and what happens next.

An unpaid collection still in the bank's hands (sent, not yet collected) moved no money:
it is only marked. One already collected is reversed exactly (the loan owes again what it
met, the instalment is back in arrears, the bank's debit-back leaves the settlement
account), and a failed-payment fee is charged where the product and its rule set allow
it (never on PAL II). Then, by the reason:

* asked for again only where the scheme allows it (Bacs "refer to payer"; ACH R01/R09),
  the member agreed to it, and the attempts allowed are not used up: two unsuccessful
  attempts in the UK (FCA CONC 7.6.14R, applied to every loan), three in the US (NACHA
  lets an entry returned for insufficient funds be re-presented twice);
* otherwise no further attempt is made for the instalment, and the member is told;
* a reason that means the mandate has ended cancels it.

The same unpaid advice told twice (the bank's reference) changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, NotFound, Refused
from creditunion.payments.collections.codes import Action, Reason
from creditunion.payments.collections.mandates import cancel_mandate
from creditunion.payments.collections.models import (
    CancelledBy,
    Collection,
    CollectionMandate,
    CollectionStatus,
    MandateStatus,
    NoticeReason,
)
from creditunion.payments.collections.notices import give_notice
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import Scheme
from ledger.money import Money
from ledger.ownership import STAFF
from loans.services.amounts import Split
from loans.services.external_collection import Collected, reverse_external_collection

FAILED_ATTEMPTS_MAX: Final = {Scheme.UK: 2, Scheme.US: 3}


class CollectionNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no collection of ours is {reference!r}")


class CollectionNeverSent(Conflict):
    def __init__(self, collection_id: int, status: CollectionStatus) -> None:
        super().__init__(
            f"collection {collection_id} is {status.value}: it was never sent, so it cannot "
            "come back unpaid"
        )


class UnpaidAmountDiffers(Refused):
    def __init__(self, collection_id: int, sent: Money, told: Money) -> None:
        super().__init__(
            f"direct debit {collection_id} was for {sent} but the bank's return of it is {told}"
        )


class UnpaidToldTwice(Conflict):
    def __init__(self, collection_id: int) -> None:
        super().__init__(f"collection {collection_id} is already unpaid under another reference")


@dataclass(frozen=True, slots=True)
class UnpaidOutcome:
    collection_id: int
    replayed: bool
    reversed: bool
    represent: bool
    mandate_cancelled: bool
    fee: Money


def lock_collection(
    session: Session, *, end_to_end_id: str | None = None, trace_number: str | None = None
) -> Collection:
    if (end_to_end_id is None) == (trace_number is None):
        raise ValueError("name a collection by its end-to-end id or its trace number")
    column = Collection.end_to_end_id if end_to_end_id is not None else Collection.trace_number
    wanted = end_to_end_id or trace_number or ""
    row = session.scalar(select(Collection).where(column == wanted).with_for_update())
    if row is None:
        raise CollectionNotFound(wanted)
    return row


def record_unpaid(
    session: Session,
    *,
    collection: Collection,
    reason: Reason,
    bank_reference: str,
    business_date: dt.date,
    actor: str,
) -> UnpaidOutcome:
    """`collection` locked by `lock_collection`. Raises `CollectionNeverSent`,
    `UnpaidToldTwice`."""
    if collection.status is CollectionStatus.UNPAID:
        if collection.unpaid_reference != bank_reference:
            raise UnpaidToldTwice(collection.id)
        return UnpaidOutcome(
            collection.id, True, False, collection.represent, False, Money.zero(collection.currency)
        )
    if collection.status not in (CollectionStatus.SENT, CollectionStatus.COLLECTED):
        raise CollectionNeverSent(collection.id, collection.status)
    mandate = session.get(CollectionMandate, collection.mandate_id, with_for_update=True)
    assert mandate is not None
    fee = Money.zero(collection.currency)
    reversed_ = collection.status is CollectionStatus.COLLECTED
    if reversed_:
        fee = _reverse(session, collection, business_date, actor)
        _reinstate_if_loan_reopened(session, mandate, actor)
    failed = 1 + int(
        session.scalar(
            select(func.count()).where(
                Collection.loan_id == collection.loan_id,
                Collection.instalment_number == collection.instalment_number,
                Collection.status == CollectionStatus.UNPAID,
            )
        )
        or 0
    )
    represent = (
        reason.action is Action.REPRESENT
        and mandate.represent_agreed
        and mandate.status is MandateStatus.ACTIVE
        and failed < FAILED_ATTEMPTS_MAX[mandate.scheme]
    )
    collection.status = CollectionStatus.UNPAID
    collection.reason_code = reason.code[:8] or None
    collection.reason_text = f"{reason.scheme_code}: {reason.text}"[:200]
    collection.unpaid_reference = bank_reference
    collection.represent = represent
    collection.updated_on = business_date
    collection.updated_by = actor
    session.flush()
    _tell(session, mandate, collection, reason, represent, fee, business_date)
    cancelled = reason.action is Action.CANCEL and mandate.status is not MandateStatus.CANCELLED
    if cancelled:
        _cancel_by_bank(session, mandate, reason, business_date, actor)
    return UnpaidOutcome(collection.id, False, reversed_, represent, cancelled, fee)


def _reverse(session: Session, row: Collection, business_date: dt.date, actor: str) -> Money:
    currency = row.currency
    assert row.collect_entry_id is not None and row.excess_account_id is not None
    unpaid = reverse_external_collection(
        session,
        collected=Collected(
            loan_id=row.loan_id,
            transaction_id=row.loan_transaction_id,
            entry_id=row.collect_entry_id,
            split=Split(
                Money.from_minor(row.fees_minor, currency),
                Money.from_minor(row.interest_minor, currency),
                Money.from_minor(row.principal_minor, currency),
            ),
            excess=Money.from_minor(row.excess_minor, currency),
            settled=False,
        ),
        excess_account_id=row.excess_account_id,
        to_account_id=payment_accounts(session).settlement_bank,
        instalment_number=row.instalment_number,
        idempotency_key=f"collections:{row.id}:unpaid",
        business_date=business_date,
        actor=actor,
        charge_fee=True,
    )
    row.unpaid_entry_id = unpaid.entry_id
    return unpaid.fee_charged


def _reinstate_if_loan_reopened(session: Session, mandate: CollectionMandate, actor: str) -> None:
    """A mandate ended only because its loan was cleared, by the collection now unpaid:
    the loan owes again, so the member's authority stands again."""
    if mandate.status is not MandateStatus.CANCELLED or mandate.cancelled_by is not (
        CancelledBy.LOAN_ENDED
    ):
        return
    another = session.scalar(
        select(CollectionMandate.id).where(
            CollectionMandate.loan_id == mandate.loan_id,
            CollectionMandate.status != MandateStatus.CANCELLED,
        )
    )
    if another is None:
        mandate.status = MandateStatus.ACTIVE
        mandate.cancelled_on = None
        mandate.cancelled_by = None
        mandate.cancel_reason = None
        mandate.updated_by = actor


def _tell(
    session: Session,
    mandate: CollectionMandate,
    row: Collection,
    reason: Reason,
    represent: bool,
    fee: Money,
    business_date: dt.date,
) -> None:
    what = (
        f"Your bank did not pay the Direct Debit of {row.amount.amount} {row.currency} "
        f"due on {row.collection_date.isoformat()} for instalment {row.instalment_number} "
        f"of loan {row.loan_id} ({reason.text})."
    )
    charged = f" A failed payment fee of {fee.amount} {fee.currency} applies." if fee else ""
    if represent:
        next_step = " We will tell you before we ask your bank for it again."
        reason_ = NoticeReason.FAILED
    else:
        next_step = (
            " We will not ask your bank for it again: please pay it from your share account "
            "or contact us to agree how to pay."
        )
        reason_ = NoticeReason.STOPPED
    give_notice(
        session,
        mandate=mandate,
        reason=reason_,
        business_date=business_date,
        text=what + charged + next_step,
    )


def _cancel_by_bank(
    session: Session,
    mandate: CollectionMandate,
    reason: Reason,
    business_date: dt.date,
    actor: str,
) -> None:
    cancel_mandate(
        session,
        mandate_id=mandate.id,
        scope=STAFF,
        by=CancelledBy.BANK,
        reason=f"your bank told us: {reason.text} ({reason.scheme_code})",
        actor=actor,
        business_date=business_date,
    )
