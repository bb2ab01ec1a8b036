"""Which journal entries belong to a sub-ledger, so a generic reversal leaves them alone.

A loan's entries move its own accounts and its own records (transactions, schedule,
status) together; mirroring only the journal lines would leave the loan book saying one
thing and the ledger another. Such an entry is corrected through the loan's operations.
An entry is the loans sub-ledger's when a loan transaction or a loan's disbursement points
at it, or when its kind is one only the loan services post (`loan.*`: the accruals, fees,
provisions). An entry someone else made on a loan's account (a manual journal) is not:
it is the break the reconciliation shows, and reversing it is what mends it.
A payment's entries (`payments.*`) move money to and from clearing, the settlement bank
and suspense in step with the payment's status, so they are the payments sub-ledger's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import Session

from ledger.models import JournalEntry
from loans.models import LoanRow, LoanTransactionRow

LOANS: Final = "loans"
LOAN_KIND_PREFIX: Final = "loan."
PAYMENTS: Final = "payments"
PAYMENT_KIND_PREFIX: Final = "payments."


@dataclass(frozen=True, slots=True)
class SubLedgerOwner:
    sub_ledger: str
    owner_id: int | None  # the loan's id, when one is known
    entry_kind: str

    @property
    def operation(self) -> str:
        """What corrects such an entry instead of a generic reversal."""
        if self.sub_ledger == PAYMENTS:
            return (
                f"the {self.entry_kind} entry belongs to a payment: correct it through the "
                "payment's own operations (cancel it, or the bank's rejection or return)"
            )
        loan = f"loan {self.owner_id}" if self.owner_id is not None else "the loan"
        return (
            f"the {self.entry_kind} entry belongs to {loan}: correct it through the loan's "
            "own servicing (a repayment, the 14-day withdrawal, settlement or write-off)"
        )


def sub_ledger_owner(session: Session, entry_id: uuid.UUID) -> SubLedgerOwner | None:
    """The sub-ledger `entry_id` belongs to, or None if it is the general ledger's alone."""
    kind = session.scalar(select(JournalEntry.kind).where(JournalEntry.id == entry_id))
    if kind is None:
        return None
    if kind.startswith(PAYMENT_KIND_PREFIX):
        return SubLedgerOwner(sub_ledger=PAYMENTS, owner_id=None, entry_kind=kind)
    loan_id = session.scalar(_loan_of(entry_id).limit(1))
    if loan_id is None and not kind.startswith(LOAN_KIND_PREFIX):
        return None
    return SubLedgerOwner(sub_ledger=LOANS, owner_id=loan_id, entry_kind=kind)


def _loan_of(entry_id: uuid.UUID) -> Select[int]:
    by_transaction = select(LoanTransactionRow.loan_id.label("loan_id")).where(
        LoanTransactionRow.journal_entry_id == entry_id
    )
    by_disbursement = select(LoanRow.id).where(LoanRow.disbursement_entry_id == entry_id)
    found = union_all(by_transaction, by_disbursement).subquery()
    return select(found.c.loan_id)
