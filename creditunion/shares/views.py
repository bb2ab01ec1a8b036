"""What the share services return: plain dataclasses with money as `Money`."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from creditunion.shares.models import (
    PostingFrequency,
    ProductKind,
    ReturnBasis,
    ShareAccountStatus,
    ShareProduct,
)
from creditunion.shares.products import WithdrawalWindow, parse_windows
from ledger.money import Money
from loans.daycount import DayCount


@dataclass(frozen=True, slots=True)
class ShareProductView:
    id: int
    code: str
    name: str
    kind: ProductKind
    currency: str
    minimum_balance: Money
    maximum_balance: Money | None
    withdrawal_windows: tuple[WithdrawalWindow, ...] | None
    maximum_age_years: int | None
    return_basis: ReturnBasis
    annual_rate: Decimal | None
    day_count: DayCount
    posting_frequency: PostingFrequency
    active: bool

    @classmethod
    def of(cls, row: ShareProduct) -> ShareProductView:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            kind=row.kind,
            currency=row.currency,
            minimum_balance=row.minimum_balance,
            maximum_balance=row.maximum_balance,
            withdrawal_windows=parse_windows(row.withdrawal_windows),
            maximum_age_years=row.maximum_age_years,
            return_basis=row.return_basis,
            annual_rate=row.annual_rate,
            day_count=row.day_count,
            posting_frequency=row.posting_frequency,
            active=row.active,
        )


@dataclass(frozen=True, slots=True)
class ShareAccountView:
    """A share account with its balances.

    `balance` is the ledger balance. `floor` is what must stay in the account (the
    product minimum once reached, else zero). `pending_withdrawals` are withdrawals
    awaiting approval. `available` = balance - pending withdrawals - floor, never below
    zero: what can be withdrawn or transferred out now.
    """

    id: int
    account_number: str
    member_id: int
    product_code: str
    product_kind: ProductKind
    currency: str
    status: ShareAccountStatus
    opened_on: dt.date
    closed_on: dt.date | None
    repayment_mandate: bool
    minimum_reached_on: dt.date | None
    balance: Money
    floor: Money
    pending_withdrawals: Money
    available: Money
    ledger_account_id: int


@dataclass(frozen=True, slots=True)
class Movement:
    """A posted money movement; `replayed` when the idempotency key had already posted it."""

    entry_id: uuid.UUID
    sequence_no: int
    business_date: dt.date
    posted_at: dt.datetime
    replayed: bool
    kind: str
    amount: Money
    from_account_number: str | None
    to_account_number: str | None
    balance_after: Money  # of the account acted on: the target of a deposit, else the source
