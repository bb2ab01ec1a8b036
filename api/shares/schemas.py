"""Bodies of the share product and share account endpoints, staff's and members' alike."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.money import MoneyOut
from creditunion.shares.models import (
    PostingFrequency,
    ProductKind,
    ReturnBasis,
    ShareAccountStatus,
)
from creditunion.shares.products import WithdrawalWindow
from creditunion.shares.statements import TransactionLine, TransactionPage
from creditunion.shares.views import ShareAccountView, ShareProductView

PRODUCT_CODE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{1,31}$"


class WithdrawalWindowOut(BaseModel):
    """Inclusive month-days; a start after the end wraps the year end."""

    model_config = ConfigDict(populate_by_name=True)

    start: str = Field(alias="from", examples=["11-01"])
    end: str = Field(alias="to", examples=["12-31"])

    @classmethod
    def of(cls, window: WithdrawalWindow) -> WithdrawalWindowOut:
        return cls(start=str(window.start), end=str(window.end))


class ShareProductOut(BaseModel):
    code: str = Field(examples=["INSTANT"])
    name: str
    kind: ProductKind
    currency: str
    minimum_balance: MoneyOut = Field(description="The share a member must keep once reached.")
    maximum_balance: MoneyOut | None
    withdrawal_windows: list[WithdrawalWindowOut] | None = Field(
        description="When withdrawals are allowed; null means at any time."
    )
    maximum_age_years: int | None = Field(description="Only for members younger than this.")
    return_basis: ReturnBasis
    annual_rate: str | None = Field(
        description="Interest rate as a decimal fraction (0.01 is 1%), for the interest basis."
    )
    day_count: str
    posting_frequency: PostingFrequency
    active: bool

    @classmethod
    def of(cls, view: ShareProductView) -> ShareProductOut:
        return cls(
            code=view.code,
            name=view.name,
            kind=view.kind,
            currency=view.currency,
            minimum_balance=MoneyOut.of(view.minimum_balance),
            maximum_balance=None
            if view.maximum_balance is None
            else MoneyOut.of(view.maximum_balance),
            withdrawal_windows=None
            if view.withdrawal_windows is None
            else [WithdrawalWindowOut.of(w) for w in view.withdrawal_windows],
            maximum_age_years=view.maximum_age_years,
            return_basis=view.return_basis,
            annual_rate=None
            if view.annual_rate is None
            else format(view.annual_rate.normalize(), "f"),
            day_count=str(view.day_count.value),
            posting_frequency=view.posting_frequency,
            active=view.active,
        )


class ShareAccountOpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: StrictInt = Field(ge=1, le=2**63 - 1, examples=[1])
    product_code: str = Field(pattern=PRODUCT_CODE_PATTERN, examples=["INSTANT"])
    repayment_mandate: StrictBool = Field(
        default=False, description="The member allows loan repayments to be collected from it."
    )


class RepaymentMandateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given: StrictBool = Field(description="True: the member gave the mandate; false: withdrew it.")


class ShareAccountOut(BaseModel):
    """`balance` is the ledger balance; `available` what can leave now: the balance less the
    floor (the minimum share once reached) and withdrawals awaiting approval."""

    id: int
    account_number: str = Field(examples=["00000018"])
    member_id: int
    product_code: str
    product_kind: ProductKind
    currency: str
    status: ShareAccountStatus
    opened_on: dt.date
    closed_on: dt.date | None
    repayment_mandate: bool
    minimum_reached_on: dt.date | None
    balance: MoneyOut
    floor: MoneyOut
    pending_withdrawals: MoneyOut
    available: MoneyOut

    @classmethod
    def of(cls, view: ShareAccountView) -> ShareAccountOut:
        return cls(
            id=view.id,
            account_number=view.account_number,
            member_id=view.member_id,
            product_code=view.product_code,
            product_kind=view.product_kind,
            currency=view.currency,
            status=view.status,
            opened_on=view.opened_on,
            closed_on=view.closed_on,
            repayment_mandate=view.repayment_mandate,
            minimum_reached_on=view.minimum_reached_on,
            balance=MoneyOut.of(view.balance),
            floor=MoneyOut.of(view.floor),
            pending_withdrawals=MoneyOut.of(view.pending_withdrawals),
            available=MoneyOut.of(view.available),
        )


class TransactionLineOut(BaseModel):
    entry_id: uuid.UUID = Field(description="The journal entry (what a reversal names).")
    business_date: dt.date
    posted_at: dt.datetime
    kind: str
    description: str
    reference: str | None
    amount: MoneyOut = Field(description="Positive paid in, negative paid out.")
    running_balance: MoneyOut

    @classmethod
    def of(cls, line: TransactionLine) -> TransactionLineOut:
        return cls(
            entry_id=line.entry_id,
            business_date=line.business_date,
            posted_at=line.posted_at,
            kind=line.kind,
            description=line.description,
            reference=line.reference,
            amount=MoneyOut.of(line.amount),
            running_balance=MoneyOut.of(line.running_balance),
        )


class TransactionsPage(BaseModel):
    """A page of an account's transactions, oldest first, with a running balance."""

    account_number: str
    from_date: dt.date
    to_date: dt.date
    opening_balance: MoneyOut = Field(description="At the start of from_date.")
    closing_balance: MoneyOut = Field(description="At the end of to_date.")
    items: list[TransactionLineOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )

    @classmethod
    def of(cls, page: TransactionPage, next_cursor: str | None) -> TransactionsPage:
        return cls(
            account_number=page.account_number,
            from_date=page.from_date,
            to_date=page.to_date,
            opening_balance=MoneyOut.of(page.opening_balance),
            closing_balance=MoneyOut.of(page.closing_balance),
            items=[TransactionLineOut.of(line) for line in page.lines],
            next_cursor=next_cursor,
        )
