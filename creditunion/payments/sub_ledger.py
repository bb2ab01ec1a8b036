"""The payments sub-ledger against the general ledger, now: outbound clearing holds exactly
the payments whose money has left members and not reached the bank, and suspense exactly
the credits waiting in the staff work queue, and direct-debit clearing exactly the
collections met on their date that the bank has not yet credited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.payments.collections.models import Collection, CollectionStatus
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import CreditStatus, IncomingCredit, OutboundPayment, PaymentStatus
from ledger.models import LedgerAccount


class PaymentsBroken(RuntimeError):
    """Clearing or suspense disagrees with the payment rows: close of business stops."""

    def __init__(self, report: PaymentsReconciliation) -> None:
        super().__init__(f"the payments sub-ledger does not reconcile: {report}")
        self.report = report


@dataclass(frozen=True, slots=True)
class PaymentsReconciliation:
    clearing_ledger_minor: int
    payments_in_flight_minor: int
    suspense_ledger_minor: int
    credits_unmatched_minor: int
    collection_clearing_ledger_minor: int = 0
    collections_unsettled_minor: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.clearing_ledger_minor == self.payments_in_flight_minor
            and self.suspense_ledger_minor == self.credits_unmatched_minor
            and self.collection_clearing_ledger_minor == self.collections_unsettled_minor
        )


def reconcile_payments(session: Session) -> PaymentsReconciliation:
    """Balances on their normal (credit) side against the sums of the rows, in minor units."""
    accounts = payment_accounts(session)
    balances = dict(
        session.execute(
            select(LedgerAccount.id, -LedgerAccount.balance_minor).where(
                LedgerAccount.id.in_([accounts.outbound_clearing, accounts.suspense])
            )
        ).all()
    )
    # An asset: its normal side is the debit.
    collection_clearing = session.scalar(
        select(LedgerAccount.balance_minor).where(LedgerAccount.id == accounts.collection_clearing)
    )
    unsettled = session.scalar(
        select(func.coalesce(func.sum(Collection.amount_minor), 0)).where(
            Collection.status == CollectionStatus.COLLECTED, Collection.settle_entry_id.is_(None)
        )
    )
    in_flight = session.scalar(
        select(func.coalesce(func.sum(OutboundPayment.amount_minor), 0)).where(
            OutboundPayment.status.in_(PaymentStatus.in_flight())
        )
    )
    unmatched = session.scalar(
        select(func.coalesce(func.sum(IncomingCredit.amount_minor), 0)).where(
            IncomingCredit.status == CreditStatus.UNMATCHED
        )
    )
    return PaymentsReconciliation(
        clearing_ledger_minor=int(balances[accounts.outbound_clearing]),
        payments_in_flight_minor=int(in_flight or 0),
        suspense_ledger_minor=int(balances[accounts.suspense]),
        credits_unmatched_minor=int(unmatched or 0),
        collection_clearing_ledger_minor=int(collection_clearing or 0),
        collections_unsettled_minor=int(unsettled or 0),
    )
