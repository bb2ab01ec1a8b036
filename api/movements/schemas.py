"""Bodies of the endpoints that move money: cash at a till, transfers, a member's transfers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from api.approvals.schemas import ApprovalOut
from api.money import MoneyOut, PositiveMoney
from api.out import OutModel
from ledger.entry import REFERENCE_LENGTH_MAX

ID_MAX = 2**63 - 1
AccountNumber = Annotated[
    str,
    Field(
        min_length=8,
        max_length=20,
        pattern=r"^[0-9][0-9 -]*[0-9]$",
        description="8 digits; spaces and hyphens between them are ignored.",
        examples=["00000018"],
    ),
]
MembershipNumber = Annotated[
    str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9 ]+$", examples=["M00000042"])
]


class _MovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoney
    reference: str | None = Field(
        default=None,
        max_length=REFERENCE_LENGTH_MAX,
        description="Shown on the statement (e.g. a receipt number).",
    )


class DepositIn(_MovementIn):
    account_id: StrictInt = Field(
        ge=1, le=ID_MAX, description="The share account paid into.", examples=[1]
    )


class WithdrawalIn(_MovementIn):
    account_id: StrictInt = Field(
        ge=1, le=ID_MAX, description="The share account paid out of.", examples=[1]
    )
    final: StrictBool = Field(
        default=False,
        description="Pay out the whole balance, minimum share included, so the account can be "
        "closed; `amount` must equal the balance.",
    )


class TransferIn(_MovementIn):
    """Staff move money from one member's account to another's, named by account number or
    (its oldest open instant-access account receiving) by membership number."""

    from_account_id: StrictInt = Field(ge=1, le=ID_MAX, examples=[1])
    to_account_number: AccountNumber | None = None
    to_membership_number: MembershipNumber | None = None

    @model_validator(mode="after")
    def _one_recipient(self) -> Self:
        if (self.to_account_number is None) == (self.to_membership_number is None):
            raise ValueError("give exactly one of to_account_number and to_membership_number")
        return self


class MovementOut(OutModel):
    """A posted movement. `balance_after` is the balance of the account acted on: the one
    paid into for a deposit, else the one paid out of."""

    entry_id: uuid.UUID
    sequence_no: int
    business_date: dt.date
    posted_at: dt.datetime
    kind: str = Field(examples=["shares.cash_deposit"])
    amount: MoneyOut
    from_account_number: str | None
    to_account_number: str | None = Field(
        description="Not shown when the recipient was named by membership number."
    )
    balance_after: MoneyOut


class WithdrawalOut(OutModel):
    """Posted (201, `movement`) or, above the approval limit, awaiting a manager (202,
    `approval`; the amount is reserved meanwhile)."""

    status: Literal["posted", "pending_approval"]
    movement: MovementOut | None
    approval: ApprovalOut | None


class MyTransferIn(_MovementIn):
    """A member moves money from one of their accounts: to another of their own
    (`to_account_id`) or to another member (`to_membership_number`)."""

    from_account_id: StrictInt = Field(ge=1, le=ID_MAX, examples=[1])
    to_account_id: StrictInt | None = Field(default=None, ge=1, le=ID_MAX, examples=[2])
    to_membership_number: MembershipNumber | None = None

    @model_validator(mode="after")
    def _one_recipient(self) -> Self:
        if (self.to_account_id is None) == (self.to_membership_number is None):
            raise ValueError("give exactly one of to_account_id and to_membership_number")
        return self
