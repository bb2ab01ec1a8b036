"""Bodies of the share product and share account endpoints, staff's and members' alike."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)

from api.money import MoneyOut
from api.out import DecimalText, EnumValueText, OutModel
from creditunion.shares.models import (
    PostingFrequency,
    ProductKind,
    ReturnBasis,
    ShareAccountStatus,
)

PRODUCT_CODE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{1,31}$"


class WithdrawalWindowOut(OutModel):
    """Inclusive month-days; a start after the end wraps the year end."""

    model_config = ConfigDict(populate_by_name=True)

    start: Annotated[str, BeforeValidator(str)] = Field(alias="from", examples=["11-01"])
    end: Annotated[str, BeforeValidator(str)] = Field(alias="to", examples=["12-31"])


class ShareProductOut(OutModel):
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
    annual_rate: DecimalText | None = Field(
        description="Interest rate as a decimal fraction (0.01 is 1%), for the interest basis."
    )
    day_count: EnumValueText
    posting_frequency: PostingFrequency
    active: bool


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


class ShareAccountOut(OutModel):
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


class TransactionLineOut(OutModel):
    entry_id: uuid.UUID = Field(description="The journal entry (what a reversal names).")
    business_date: dt.date
    posted_at: dt.datetime
    kind: str
    description: str
    reference: str | None
    amount: MoneyOut = Field(description="Positive paid in, negative paid out.")
    running_balance: MoneyOut


class TransactionsPage(OutModel):
    """A page of an account's transactions, oldest first, with a running balance."""

    account_number: str
    from_date: dt.date
    to_date: dt.date
    opening_balance: MoneyOut = Field(description="At the start of from_date.")
    closing_balance: MoneyOut = Field(description="At the end of to_date.")
    items: list[TransactionLineOut] = Field(validation_alias=AliasChoices("items", "lines"))
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
