"""Bodies of the loan endpoints: a loan with what it owes, its schedule, payments, journal."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.domain import ID_MAX
from api.loans.application_schemas import apr_text
from api.loans.product_schemas import RateOut
from api.loans.text import free_text
from api.money import MoneyOut, PositiveMoney
from api.out import OutModel
from creditunion.auth.who_acted import ActorKind, WhoActed
from ledger.money import Money
from loans.daycount import DayCount
from loans.frequency import Frequency
from loans.models import LoanStatus, PaymentSource, TransactionKind
from loans.services.queries import (
    LoanEntry,
    LoanView,
    TransactionView,
)
from loans.services.repayments import RepaymentResult
from loans.services.withdrawal import WithdrawalNotice, WithdrawalResult

WITHDRAWAL_DAYS = 14
ShareAccountId = Annotated[StrictInt, Field(ge=1, le=ID_MAX, examples=[1])]


class FromSharesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_account_id: ShareAccountId = Field(description="One of your share accounts.")


ReduceBalance = Annotated[
    StrictBool,
    Field(
        description="What is left after the instalments due reduces the balance (the term "
        "shortens, the instalment stays) instead of paying the next instalment in advance."
    ),
]


class SharesRepaymentIn(FromSharesIn):
    amount: PositiveMoney
    reduce_balance: ReduceBalance = False


class StaffRepaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoney
    reduce_balance: ReduceBalance = False


class MandateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share_account_id: ShareAccountId | None = Field(
        description="Collect instalments from this share account of yours; null stops it."
    )


class WriteOffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, free_text(2_000)] = Field(
        min_length=1, max_length=2_000, examples=["no contact for 200 days"]
    )


class RecoveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoney
    source: Literal["cash", "external"] = Field(
        description="`cash` at the till, or `external` (received by bank)."
    )

    @property
    def payment_source(self) -> PaymentSource:
        return PaymentSource(self.source)


class OutstandingOut(BaseModel):
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut
    total: MoneyOut


class ArrearsOut(BaseModel):
    days_past_due: int
    bucket: str = Field(examples=["1-30"])
    amount: MoneyOut


class NextPaymentOut(OutModel):
    number: int
    due_date: dt.date
    amount: MoneyOut = Field(description="The last instalment: all the loan will owe then.")


class WithdrawalNoticeStatusOut(BaseModel):
    """Notice of withdrawal was given: the credit and interest are due by `repay_by`."""

    given_on: dt.date
    repay_by: dt.date = Field(
        description="The 30th day after the notice (CCA s.66A(9)); unpaid after it, the debt "
        "is in arrears, still with interest only and no fee."
    )


class SettlementOut(OutModel):
    """What clears the loan on `on`: interest to that day only, no early-repayment charge."""

    loan_id: int
    on: dt.date
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut
    total: MoneyOut


class LoanOut(BaseModel):
    id: int
    member_id: int
    application_id: int
    product_code: str
    rule_set: str
    status: LoanStatus
    amount: MoneyOut = Field(description="The amount lent.")
    principal: MoneyOut = Field(description="Scheduled at disbursement: amount + financed fees.")
    credit: MoneyOut = Field(description="The credit provided (the APR's advance).")
    fees_charged: MoneyOut
    apr: str
    above_exempt_threshold: bool = Field(
        description="GB/NI: made above 42.6% APR, so a regulated agreement, not an exempt "
        "credit-union one (FCA PERG 2.7.19I G(1))."
    )
    rate: RateOut
    day_count: DayCount
    frequency: Frequency
    instalment: MoneyOut
    disbursed_on: dt.date
    maturity_date: dt.date
    withdrawal_until: dt.date = Field(description="The last day of the 14-day right to withdraw.")
    withdrawal_notice: WithdrawalNoticeStatusOut | None = Field(
        description="Withdrawal pending: notice given, repayment due by `repay_by` (null if "
        "no notice was given)."
    )
    outstanding: OutstandingOut
    accrued_through: dt.date
    arrears: ArrearsOut
    next_payment: NextPaymentOut | None
    settled_on: dt.date | None
    withdrawn_on: dt.date | None
    written_off_on: dt.date | None
    written_off: MoneyOut
    recovered: MoneyOut
    paid_into_account_id: int | None = Field(description="The share account the loan paid into.")
    collection_account_id: int | None = Field(
        description="The share account instalments are collected from (the mandate), if any."
    )

    @classmethod
    def of(cls, view: LoanView, share_accounts: Mapping[int, int]) -> LoanOut:
        """`share_accounts`: share account id by ledger account id (see lending.accounts)."""
        collection = view.collection_account_id
        return cls(
            id=view.id,
            member_id=view.member_id,
            application_id=view.application_id,
            product_code=view.product_code,
            rule_set=view.rule_set,
            status=view.status,
            amount=MoneyOut.of(view.amount),
            principal=MoneyOut.of(view.principal),
            credit=MoneyOut.of(view.credit),
            fees_charged=MoneyOut.of(view.fees_charged),
            apr=apr_text(view.apr),
            above_exempt_threshold=view.above_exempt_threshold,
            rate=RateOut.of(view.rate),
            day_count=view.day_count,
            frequency=view.frequency,
            instalment=MoneyOut.of(view.instalment),
            disbursed_on=view.disbursed_on,
            maturity_date=view.maturity_date,
            withdrawal_until=view.disbursed_on + dt.timedelta(days=WITHDRAWAL_DAYS),
            withdrawal_notice=None
            if view.withdrawal_notice_on is None or view.withdrawal_repay_by is None
            else WithdrawalNoticeStatusOut(
                given_on=view.withdrawal_notice_on, repay_by=view.withdrawal_repay_by
            ),
            outstanding=OutstandingOut(
                principal=MoneyOut.of(view.principal_outstanding),
                interest=MoneyOut.of(view.interest_receivable),
                fees=MoneyOut.of(view.fees_receivable),
                total=MoneyOut.of(view.outstanding),
            ),
            accrued_through=view.accrued_through,
            arrears=ArrearsOut(
                days_past_due=view.days_past_due,
                bucket=view.arrears_bucket,
                amount=MoneyOut.of(view.arrears),
            ),
            next_payment=None
            if view.next_payment is None
            else NextPaymentOut.of(view.next_payment),
            settled_on=view.settled_on,
            withdrawn_on=view.withdrawn_on,
            written_off_on=view.written_off_on,
            written_off=MoneyOut.of(view.written_off),
            recovered=MoneyOut.of(view.recovered),
            paid_into_account_id=share_accounts.get(view.disbursement_account_id),
            collection_account_id=None if collection is None else share_accounts.get(collection),
        )


class LoanDetailOut(LoanOut):
    settlement_today: SettlementOut | None = Field(
        description="What clears the loan today (null once it is closed)."
    )


class InstalmentOut(OutModel):
    number: int
    due_date: dt.date
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut = Field(description="Late and failed-payment fees added to it.")
    amount: MoneyOut
    paid: MoneyOut
    paid_on: dt.date | None
    late_fee_charged: bool


class AllocationOut(BaseModel):
    """An amount in parts by what the loan owes; the three parts sum to the amount."""

    fees: MoneyOut
    interest: MoneyOut
    principal: MoneyOut


# The kinds whose amount is split over the loan's own balances: paid off by a payment,
# added by a fee, cleared by a write-off.
ALLOCATED_KINDS = frozenset(
    {
        TransactionKind.REPAYMENT,
        TransactionKind.COLLECTION,
        TransactionKind.LATE_FEE,
        TransactionKind.NSF_FEE,
        TransactionKind.WRITE_OFF,
    }
)


class MoneyAccountOut(BaseModel):
    """Where money came from or went to."""

    kind: Literal["share_account", "cash", "external"] = Field(
        description="`share_account`: one of the member's share accounts; `cash`: at the "
        "till; `external`: received by bank."
    )
    share_account_id: int | None = Field(description="The share account, for `share_account`.")


class ActorOut(OutModel):
    """Who did it, named the same way whoever it was and however it was recorded."""

    kind: ActorKind = Field(
        description="`member`: the member (in the app, or accepting an offer); `staff`: a "
        "staff user; `system`: close of business, another job or a command-line operator "
        "(`recorded_as` says which)."
    )
    id: int | None = Field(
        description="The member's id for a member, the user's id for staff, null for the system."
    )
    recorded_as: str = Field(
        description="The label as recorded, as the journal entry's `posted_by` carries it.",
        examples=["user:7", "member:1", "system:cob"],
    )


class AppliedOut(BaseModel):
    """How a payment met the schedule; the three parts sum to the payment's amount."""

    due: MoneyOut = Field(
        description="Met what was due by today: instalments due and, when the payment "
        "settles the loan, all it owed."
    )
    in_advance: MoneyOut = Field(
        description="Paid the next instalment before its due date: the collection on that "
        "date takes only what is left of it."
    )
    balance_reduction: MoneyOut = Field(
        description="Reduced the balance beyond that: the term shortens, the instalment stays."
    )

    @classmethod
    def of(cls, amount: Money, *, in_advance: Money, balance_reduction: Money) -> AppliedOut:
        """The split of `amount`: what is not in advance or a reduction met what was due."""
        return cls(
            due=MoneyOut.of(amount - in_advance - balance_reduction),
            in_advance=MoneyOut.of(in_advance),
            balance_reduction=MoneyOut.of(balance_reduction),
        )


class LoanTransactionOut(BaseModel):
    id: int
    kind: TransactionKind
    business_date: dt.date
    amount: MoneyOut = Field(
        description="What moved: lent (`disbursement`), paid (`repayment`, `collection`, "
        "`recovery`), charged (`late_fee`, `nsf_fee`), written off (`write_off`), or given "
        "back to the member's shares on a notice of withdrawal (`withdrawal`)."
    )
    allocation: AllocationOut | None = Field(
        description="How `amount` splits over the loan's fees, interest and principal (the "
        "parts sum to it): paid off, charged or written off. Null for a disbursement (the "
        "loan's `principal` and `fees_charged` say what it lent), a recovery (income on a "
        "loan already written off) and a withdrawal (see `note`)."
    )
    applied: AppliedOut | None = Field(
        description="How a repayment or a collection met the schedule (the parts sum to "
        "`amount`; a collection takes only what is due). Null for other kinds and for "
        "repayments recorded before this was kept."
    )
    paid_to: MoneyAccountOut | None = Field(
        description="Where the money went: the share account a disbursement paid into, or a "
        "withdrawal refunded an upfront fee to."
    )
    paid_from: MoneyAccountOut | None = Field(
        description="Where a payment came from: a share account, cash or by bank."
    )
    journal_entry_id: uuid.UUID | None
    actor: ActorOut
    note: str | None

    @classmethod
    def of(
        cls, t: TransactionView, share_accounts: Mapping[int, int], actors: Mapping[str, WhoActed]
    ) -> LoanTransactionOut:
        """`share_accounts`: share account id by ledger account id; `actors`: by label."""
        account = None
        if t.source is not None:
            share_account = None if t.account_id is None else share_accounts.get(t.account_id)
            account = MoneyAccountOut(
                kind="share_account" if t.source is PaymentSource.SHARES else t.source.value,
                share_account_id=share_account if t.source is PaymentSource.SHARES else None,
            )
        outgoing = t.kind in {TransactionKind.DISBURSEMENT, TransactionKind.WITHDRAWAL}
        return cls(
            id=t.id,
            kind=t.kind,
            business_date=t.business_date,
            amount=MoneyOut.of(t.amount),
            allocation=AllocationOut(
                fees=MoneyOut.of(t.fees),
                interest=MoneyOut.of(t.interest),
                principal=MoneyOut.of(t.principal),
            )
            if t.kind in ALLOCATED_KINDS
            else None,
            applied=_applied(t),
            paid_to=account if outgoing else None,
            paid_from=None if outgoing else account,
            journal_entry_id=t.journal_entry_id,
            actor=ActorOut.of(actors[t.actor]),
            note=t.note,
        )


def _applied(t: TransactionView) -> AppliedOut | None:
    zero = Money.zero(t.amount.currency)
    if t.kind is TransactionKind.COLLECTION:
        return AppliedOut.of(t.amount, in_advance=zero, balance_reduction=zero)
    if t.kind is TransactionKind.REPAYMENT and t.in_advance is not None:
        reduction = zero if t.balance_reduction is None else t.balance_reduction
        return AppliedOut.of(t.amount, in_advance=t.in_advance, balance_reduction=reduction)
    return None


class EntryLineOut(BaseModel):
    account_id: int
    role: str = Field(description="principal, interest, fees (the loan's accounts) or other.")
    amount: MoneyOut = Field(description="Positive: a debit; negative: a credit.")


class LoanEntryOut(BaseModel):
    id: uuid.UUID
    sequence_no: int
    business_date: dt.date
    kind: str
    description: str
    lines: list[EntryLineOut]

    @classmethod
    def of(cls, entry: LoanEntry) -> LoanEntryOut:
        return cls(
            id=entry.id,
            sequence_no=entry.sequence_no,
            business_date=entry.business_date,
            kind=entry.kind,
            description=entry.description,
            lines=[
                EntryLineOut(
                    account_id=line.account_id, role=line.role, amount=MoneyOut.of(line.amount)
                )
                for line in entry.lines
            ],
        )


class RepaymentOut(BaseModel):
    """A payment in two views of the same amount: what it paid off (`allocation`: fees,
    then interest, then principal) and how it met the schedule (`applied`)."""

    transaction_id: int
    loan_id: int
    amount: MoneyOut
    allocation: AllocationOut
    applied: AppliedOut
    settled: bool
    entry_id: uuid.UUID | None
    loan: LoanDetailOut

    @classmethod
    def of(cls, result: RepaymentResult, loan: LoanDetailOut) -> RepaymentOut:
        return cls(
            transaction_id=result.transaction_id,
            loan_id=result.loan_id,
            amount=MoneyOut.of(result.amount),
            allocation=AllocationOut(
                fees=MoneyOut.of(result.fees),
                interest=MoneyOut.of(result.interest),
                principal=MoneyOut.of(result.principal),
            ),
            applied=AppliedOut.of(
                result.amount, in_advance=result.in_advance, balance_reduction=result.overpayment
            ),
            settled=result.settled,
            entry_id=result.entry_id,
            loan=loan,
        )


class WithdrawalNoticeOut(BaseModel):
    """Notice of withdrawal given: every fee refunded or reversed now, the credit and the
    interest on it to the day of repayment due by `repay_by`."""

    loan_id: int
    given_on: dt.date
    repay_by: dt.date
    fees_refunded: MoneyOut = Field(description="Every fee charged, refunded or reversed.")
    interest_given_back: MoneyOut = Field(description="Interest that had accrued on the fees.")
    entry_id: uuid.UUID | None
    loan: LoanDetailOut = Field(
        description="`settlement_today` is what completes the withdrawal if repaid today."
    )

    @classmethod
    def of(cls, notice: WithdrawalNotice, loan: LoanDetailOut) -> WithdrawalNoticeOut:
        return cls(
            loan_id=notice.loan_id,
            given_on=notice.given_on,
            repay_by=notice.repay_by,
            fees_refunded=MoneyOut.of(notice.fees_refunded),
            interest_given_back=MoneyOut.of(notice.interest_given_back),
            entry_id=notice.entry_id,
            loan=loan,
        )


class WithdrawalOut(BaseModel):
    """The withdrawal completed: the credit and interest on it to the day repaid, every fee
    refunded (at the notice)."""

    loan_id: int
    paid: MoneyOut = Field(description="Taken from your shares now.")
    credit: MoneyOut
    interest: MoneyOut
    fees_refunded: MoneyOut
    entry_id: uuid.UUID | None
    loan: LoanDetailOut

    @classmethod
    def of(cls, result: WithdrawalResult, loan: LoanDetailOut) -> WithdrawalOut:
        return cls(
            loan_id=result.loan_id,
            paid=MoneyOut.of(result.paid),
            credit=MoneyOut.of(result.credit),
            interest=MoneyOut.of(result.interest),
            fees_refunded=MoneyOut.of(result.fees_refunded),
            entry_id=result.entry_id,
            loan=loan,
        )


class RecoveryOut(OutModel):
    transaction_id: int
    loan_id: int
    amount: MoneyOut
    recovered_to_date: MoneyOut
    entry_id: uuid.UUID | None


class WriteOffCandidateOut(OutModel):
    loan_id: int
    member_id: int
    days_past_due: int
    arrears: MoneyOut
    outstanding: MoneyOut
