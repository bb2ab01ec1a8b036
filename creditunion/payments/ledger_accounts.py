"""The chart accounts payments move money through, found once per command."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.errors import Unavailable
from ledger.chart import (
    DIRECT_DEBITS_CLEARING,
    OUTBOUND_PAYMENTS_CLEARING,
    SETTLEMENT_BANK,
    UNAPPLIED_RECEIPTS,
)
from ledger.models import LedgerAccount

_CODES = (SETTLEMENT_BANK, OUTBOUND_PAYMENTS_CLEARING, UNAPPLIED_RECEIPTS, DIRECT_DEBITS_CLEARING)


class PaymentAccountsMissing(Unavailable):
    def __init__(self) -> None:
        super().__init__(
            "the payment accounts are not in the chart: run `creditunion init` again "
            "(it opens only what is missing)"
        )


@dataclass(frozen=True, slots=True)
class PaymentAccounts:
    settlement_bank: int
    outbound_clearing: int
    suspense: int
    collection_clearing: int


def payment_accounts(session: Session) -> PaymentAccounts:
    found = dict(
        session.execute(
            select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(_CODES))
        ).all()
    )
    if len(found) != len(_CODES):
        raise PaymentAccountsMissing()
    return PaymentAccounts(
        settlement_bank=found[SETTLEMENT_BANK],
        outbound_clearing=found[OUTBOUND_PAYMENTS_CLEARING],
        suspense=found[UNAPPLIED_RECEIPTS],
        collection_clearing=found[DIRECT_DEBITS_CLEARING],
    )
