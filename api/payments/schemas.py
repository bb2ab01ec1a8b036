"""Bodies of the payment endpoints: nominated accounts, payouts, files, credits, breaks."""

from __future__ import annotations

import datetime as dt
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from api.domain import ID_MAX
from api.money import MoneyOut, PositiveMoney
from api.out import OutModel
from api.problems import InvalidField, RequestInvalid
from creditunion.payments.bank_accounts import UsAccountKind
from creditunion.payments.incoming import NOTE_LENGTH_MAX
from creditunion.payments.models import (
    CreditStatus,
    FileDirection,
    LineStatus,
    NominationStatus,
    PaymentPurpose,
    PaymentStatus,
    Scheme,
)
from creditunion.payments.nominations import HOLDER_NAME_LENGTH_MAX, BankDetails, NominationView
from creditunion.payments.outbound import REFERENCE_LENGTH_MAX

# What a person may type around the digits (spaces, hyphens); the services check the digits.
SORT_CODE_TYPED_MAX: Final = 16
ROUTING_NUMBER_TYPED_MAX: Final = 22
ACCOUNT_NUMBER_TYPED_MAX: Final = 34
REASON_LENGTH_MAX: Final = 200
# The fields of the rail a credit union is not on: refused rather than silently dropped.
_OTHER_RAIL_FIELDS: Final = {
    Scheme.UK: ("routing_number", "account_kind"),
    Scheme.US: ("sort_code",),
}


class NominationIn(BaseModel):
    """The external bank account payouts go to, as the rail the credit union is on
    identifies it: a UK sort code and 8-digit account number (Faster Payments, Bacs), or a
    US ABA routing number, account number and kind (ACH)."""

    model_config = ConfigDict(extra="forbid")

    holder_name: str = Field(
        min_length=1, max_length=HOLDER_NAME_LENGTH_MAX, examples=["Ann Member"]
    )
    account_number: str = Field(
        min_length=1,
        max_length=ACCOUNT_NUMBER_TYPED_MAX,
        description="UK: 8 digits; US: 1 to 17 letters or digits. Spaces and hyphens are ignored.",
        examples=["55779911"],
    )
    sort_code: str | None = Field(
        default=None,
        max_length=SORT_CODE_TYPED_MAX,
        description="UK rails: 6 digits, such as 20-00-00.",
        examples=["20-00-00"],
    )
    routing_number: str | None = Field(
        default=None,
        max_length=ROUTING_NUMBER_TYPED_MAX,
        description="ACH: the 9-digit ABA routing number.",
        examples=["011000015"],
    )
    account_kind: UsAccountKind | None = Field(default=None, description="ACH: the account's kind.")

    def details(self, scheme: Scheme) -> BankDetails:
        """What the services check; a field of the other rail is a 422 naming it."""
        given = [name for name in _OTHER_RAIL_FIELDS[scheme] if getattr(self, name) is not None]
        if given:
            raise RequestInvalid(
                *(InvalidField("body", name, "is not used on this payment rail") for name in given)
            )
        return BankDetails(
            holder_name=self.holder_name,
            account_number=self.account_number,
            sort_code=self.sort_code,
            routing_number=self.routing_number,
            account_kind=None if self.account_kind is None else self.account_kind.value,
        )


class NominatedAccountOut(OutModel):
    """A member's nominated account; the account number is masked."""

    id: int
    member_id: int
    scheme: Scheme
    holder_name: str
    bank_id: str = Field(description="The sort code (6 digits) or routing number (9 digits).")
    account_number_masked: str = Field(examples=["****9911"])
    account_kind: str | None
    status: NominationStatus
    nominated_on: dt.date
    usable_on: dt.date = Field(
        description="Payouts to it are held until this business date (the cooling-off period "
        "after a member nominates or replaces an account)."
    )

    @model_validator(mode="before")
    @classmethod
    def _with_destination(cls, value: object) -> object:
        if not isinstance(value, NominationView):
            return value
        destination = value.destination
        return {
            "id": value.id,
            "member_id": value.member_id,
            "scheme": destination.scheme,
            "holder_name": destination.holder_name,
            "bank_id": destination.bank_id,
            "account_number_masked": destination.masked_account_number,
            "account_kind": destination.account_kind,
            "status": value.status,
            "nominated_on": value.nominated_on,
            "usable_on": value.usable_on,
        }


class PayoutIn(BaseModel):
    """Pay out of a share account to its member's nominated account."""

    model_config = ConfigDict(extra="forbid")

    from_account_id: StrictInt = Field(
        ge=1, le=ID_MAX, description="The share account paid out of.", examples=[1]
    )
    amount: PositiveMoney
    reference: str | None = Field(
        default=None,
        max_length=REFERENCE_LENGTH_MAX,
        description="What the payee's bank shows; the share account number when left out.",
    )


class PaymentOut(OutModel):
    """A payment out. Its money left the share account when it was made; a rejected,
    returned or cancelled payment has had it posted back."""

    id: int
    end_to_end_id: str
    purpose: PaymentPurpose
    status: PaymentStatus
    member_id: int | None
    share_account_id: int | None
    amount: MoneyOut
    creditor_name: str
    bank_id: str
    account_number_masked: str
    reference: str
    created_on: dt.date
    not_before: dt.date = Field(description="Not sent before this business date.")
    settlement_date: dt.date | None
    approval_id: int | None = Field(description="Above the limit: the approval it waits for.")
    file_id: int | None
    reason_code: str | None
    reason_text: str | None


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=REASON_LENGTH_MAX)


class PaymentFileOut(OutModel):
    """A file given to the bank or received from it, kept byte for byte."""

    id: int
    direction: FileDirection
    kind: str = Field(examples=["pain.001.001.09"])
    message_id: str
    sha256: str
    business_date: dt.date
    item_count: int
    created_by: str


class StatementOut(OutModel):
    """A statement matched line by line: the breaks are listed until resolved."""

    statement_id: str
    lines: int
    matched: int
    breaks: int
    already_recorded: int
    closing_balance: MoneyOut
    ledger_balance: MoneyOut
    balance_difference: MoneyOut


class BankFileOut(OutModel):
    """What an imported file did; counts that do not apply to its kind are 0."""

    file: PaymentFileOut
    settled: int
    rejected: int
    returned: int
    corrected: int
    credits_applied: int
    credits_unmatched: int
    unpaid: int = Field(description="Direct debits the members' banks did not pay.")
    statement: StatementOut | None
    notices: list[str]


class IncomingCreditOut(OutModel):
    id: int
    bank_reference: str
    status: CreditStatus
    amount: MoneyOut
    booking_date: dt.date
    payer_name: str | None
    reference: str | None
    member_id: int | None
    share_account_id: int | None
    resolved_by: str | None
    resolution_note: str | None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=NOTE_LENGTH_MAX)


class AssignIn(NoteIn):
    account_id: StrictInt = Field(
        ge=1, le=ID_MAX, description="The share account the credit was meant for.", examples=[1]
    )


class StatementLineOut(OutModel):
    """A line of the settlement bank's statement: `amount` is signed as the bank sees the
    credit union's account (credits positive)."""

    id: int
    statement_id: str
    bank_reference: str
    booking_date: dt.date
    amount: MoneyOut
    end_to_end_id: str | None
    status: LineStatus
    outbound_payment_id: int | None
    incoming_credit_id: int | None
    collection_id: int | None = Field(
        description="The direct debit the bank credited, or debited back unpaid."
    )
    resolved_by: str | None
    resolution_note: str | None
