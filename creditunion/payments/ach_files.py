"""Importing the NACHA files the credit union's ODFI sends, and settling ACH credits.

ACH gives no positive confirmation of a credit: an entry settles on its effective date
unless it comes back, so close of business settles the sent credits whose settlement date
has come (`settle_due_ach`), all in one entry. What the ODFI sends is applied once each:
returns (addenda 99) bring the money back; notifications of change (addenda 98) correct
the member's nominated account as the receiving bank asks; returns of our direct debits
(transaction codes 26 and 36) make them unpaid (`collections.unpaid`), and changes on them
correct the mandate; credits addressed to members'
accounts (the credit union as the receiving bank: payroll, benefits) are posted to the
share account they name, or held in suspense.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import BigInteger, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from creditunion.errors import Refused
from creditunion.payments.collections.advices import correct_mandate_account
from creditunion.payments.collections.codes import unpaid_reason
from creditunion.payments.collections.models import Collection, CollectionMandate
from creditunion.payments.collections.unpaid import (
    CollectionNotFound,
    UnpaidAmountDiffers,
    lock_collection,
    record_unpaid,
)
from creditunion.payments.config import PaymentConfig
from creditunion.payments.inbound_files import (
    FileForAnotherAccount,
    hold_import_lock,
    store_inbound,
)
from creditunion.payments.incoming import ReceivedCredit, receive_credits
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import (
    NominatedAccount,
    NominationStatus,
    OutboundPayment,
    PaymentStatus,
    Scheme,
)
from creditunion.payments.nacha.file import (
    AchBatch,
    AchEntry,
    NocAddenda,
    ReturnAddenda,
    TransactionCode,
)
from creditunion.payments.nacha.reader import read_ach_file
from creditunion.payments.nacha.return_codes import describe
from creditunion.payments.outbound_files import NACHA, PaymentFileView, file_view
from creditunion.payments.outcomes import (
    KIND_SETTLED,
    ReturnAmountMismatch,
    UnknownPaymentReference,
    payment_by_trace_number,
    return_settled,
)
from creditunion.shares.ledger_link import post_movement
from ledger.money import Money

SETTLE_BATCH_MAX: Final = 100_000
# Where a notification of change's corrected data puts each field (NACHA's layouts).
_ROUTING: Final = slice(0, 9)
_ACCOUNT_AFTER_ROUTING: Final = slice(12, 29)
_ACCOUNT: Final = slice(0, 17)
_CODE_AFTER_ACCOUNT: Final = slice(20, 22)
_CODE: Final = slice(0, 2)
_ACCOUNT_AFTER_ROUTING_NO_GAP: Final = slice(9, 26)
_CODE_AFTER_ROUTING_AND_ACCOUNT: Final = slice(26, 28)
_ACCOUNT_KINDS: Final = {"2": "checking", "3": "savings"}
# Returns and notifications of change on debits we sent: our direct debits.
_DEBIT_RETURNS: Final = frozenset(
    {TransactionCode.CHECKING_DEBIT_RETURN, TransactionCode.SAVINGS_DEBIT_RETURN}
)


class AchDebitsNotTaken(Refused):
    def __init__(self, trace_number: str) -> None:
        super().__init__(
            f"entry {trace_number} debits a member's account: ACH debits are not taken yet"
        )


@dataclass(slots=True)
class AchImportResult:
    file: PaymentFileView
    returned: int = 0
    corrected: int = 0
    credits_applied: int = 0
    credits_unmatched: int = 0
    unpaid: int = 0
    notices: list[str] = field(default_factory=list)


def _kind(code: str, current: str | None) -> str | None:
    """A transaction code's first digit says the account: 2x checking, 3x savings."""
    return _ACCOUNT_KINDS.get(code[:1], current)


def _corrected(
    nomination: NominatedAccount | CollectionMandate, notice: NocAddenda
) -> tuple[str, str, str | None]:
    """(routing, account, kind) after the receiving bank's correction."""
    data = notice.corrected_data
    routing, account, kind = nomination.bank_id, nomination.account_number, nomination.account_kind
    code = notice.change_code
    if code == "C01":
        account = data[_ACCOUNT].strip()
    elif code == "C02":
        routing = data[_ROUTING]
    elif code == "C03":
        routing, account = data[_ROUTING], data[_ACCOUNT_AFTER_ROUTING].strip()
    elif code == "C05":
        kind = _kind(data[_CODE], kind)
    elif code == "C06":
        account = data[_ACCOUNT].strip()
        kind = _kind(data[_CODE_AFTER_ACCOUNT], kind)
    elif code == "C07":
        routing, account = data[_ROUTING], data[_ACCOUNT_AFTER_ROUTING_NO_GAP].strip()
        kind = _kind(data[_CODE_AFTER_ROUTING_AND_ACCOUNT], kind)
    return routing, account, kind


def _apply_change(
    session: Session, payment: OutboundPayment, notice: NocAddenda, actor: str, day: dt.date
) -> bool:
    """Correct the member's nominated account if it is still the one the payment went to;
    a member who has nominated another since keeps theirs. True if corrected."""
    if payment.nominated_account_id is None:
        return False
    nomination = session.get(NominatedAccount, payment.nominated_account_id, with_for_update=True)
    if nomination is None or nomination.status is not NominationStatus.ACTIVE:
        return False
    routing, account, kind = _corrected(nomination, notice)
    if (routing, account, kind) == (
        nomination.bank_id,
        nomination.account_number,
        nomination.account_kind,
    ):
        return False
    nomination.status = NominationStatus.REPLACED
    nomination.replaced_at = func.now()
    session.flush()
    session.add(
        NominatedAccount(
            member_id=nomination.member_id,
            scheme=Scheme.US,
            holder_name=nomination.holder_name,
            bank_id=routing,
            account_number=account,
            account_kind=kind,
            status=NominationStatus.ACTIVE,
            nominated_on=day,
            usable_on=day,  # the member's own bank corrected it: no cooling-off
            nominated_by=f"{actor} ({notice.change_code})",
        )
    )
    session.flush()
    return True


def _credit(batch: AchBatch, entry: AchEntry) -> ReceivedCredit:
    return ReceivedCredit(
        bank_reference=f"ACH{batch.effective_entry_date:%y%m%d}{entry.trace_number}",
        amount=entry.amount,
        booking_date=batch.effective_entry_date,
        scheme=Scheme.US,
        payer_name=batch.company_name,
        payer_bank_id=None,
        payer_account_number=None,
        reference=f"{entry.dfi_account_number} {entry.individual_id}",
    )


def _collection(
    session: Session, entry: AchEntry, addenda: ReturnAddenda | NocAddenda
) -> Collection:
    try:
        collection = lock_collection(session, trace_number=addenda.original_trace_number)
    except CollectionNotFound:
        raise UnknownPaymentReference(addenda.original_trace_number) from None
    if isinstance(addenda, ReturnAddenda) and entry.amount != collection.amount:
        raise UnpaidAmountDiffers(collection.id, collection.amount, entry.amount)
    return collection


def _apply_to_collection(
    session: Session,
    collection: Collection,
    entry: AchEntry,
    addenda: ReturnAddenda | NocAddenda,
    result: AchImportResult,
    actor: str,
    business_date: dt.date,
) -> None:
    if isinstance(addenda, ReturnAddenda):
        reason = unpaid_reason(us=True, code=addenda.return_reason_code)
        outcome = record_unpaid(
            session,
            collection=collection,
            reason=reason,
            bank_reference=f"ACHR{entry.trace_number}",
            business_date=business_date,
            actor=actor,
        )
        result.unpaid += not outcome.replayed
        then = "asked for again" if outcome.represent else "not asked for again"
        result.notices.append(f"{entry.trace_number}: unpaid, {reason.code} {reason.text}; {then}")
        return
    mandate = session.get(CollectionMandate, collection.mandate_id, with_for_update=True)
    assert mandate is not None
    routing, account, kind = _corrected(mandate, addenda)
    if (routing, account, kind) != (mandate.bank_id, mandate.account_number, mandate.account_kind):
        correct_mandate_account(
            session,
            mandate_id=mandate.id,
            bank_id=routing,
            account_number=account,
            account_kind=kind,
            actor=f"{actor} ({addenda.change_code})",
        )
        result.corrected += 1
    result.notices.append(f"{entry.trace_number}: {describe(addenda.change_code)} (mandate)")


def import_ach_file(
    session: Session, *, content: bytes, config: PaymentConfig, actor: str, business_date: dt.date
) -> AchImportResult:
    """A file addressed to another institution than this credit union (its immediate
    destination is not our receiving routing number) is refused. Raises `NachaInvalid`,
    `FileForAnotherAccount`, `FileAlreadyImported`, `UnknownPaymentReference`,
    `ReturnAmountMismatch`, `AchDebitsNotTaken`; any of them writes nothing."""
    ach = read_ach_file(content)
    hold_import_lock(session)
    ours = config.ach.receiving_routing if config.ach is not None else None
    if ach.immediate_destination != ours:
        raise FileForAnotherAccount(f"immediate destination {ach.immediate_destination.strip()}")
    entries = [(batch, entry) for batch in ach.batches for entry in batch.entries]
    named: dict[str, OutboundPayment] = {}
    debits: dict[str, Collection] = {}
    for _, entry in entries:
        addenda = entry.addenda
        if addenda is not None and entry.transaction_code in _DEBIT_RETURNS:
            debits[entry.trace_number] = _collection(session, entry, addenda)
        elif addenda is not None:
            payment = payment_by_trace_number(session, addenda.original_trace_number)
            if isinstance(addenda, ReturnAddenda) and entry.amount != payment.amount:
                raise ReturnAmountMismatch(payment.id, payment.amount, entry.amount)
            named[entry.trace_number] = payment
        elif not entry.transaction_code.is_credit:
            raise AchDebitsNotTaken(entry.trace_number)
    message_id = f"{ach.created_at:%y%m%d%H%M}{ach.file_id_modifier}{ach.immediate_origin.strip()}"
    row = store_inbound(
        session,
        content=content,
        kind=NACHA,
        message_id=message_id[:35],
        count=len(entries),
        actor=actor,
        business_date=business_date,
    )
    result = AchImportResult(file_view(row))
    arriving: list[tuple[str, ReceivedCredit]] = []
    for batch, entry in entries:
        addenda = entry.addenda
        if entry.trace_number in debits:
            assert addenda is not None
            _apply_to_collection(
                session, debits[entry.trace_number], entry, addenda, result, actor, business_date
            )
        elif isinstance(addenda, ReturnAddenda):
            return_settled(
                session,
                named[entry.trace_number],
                amount=entry.amount,
                bank_reference=f"ACHR{entry.trace_number}",
                code=addenda.return_reason_code,
                file_id=row.id,
                actor=actor,
                business_date=business_date,
            )
            result.returned += 1
            result.notices.append(f"{entry.trace_number}: {describe(addenda.return_reason_code)}")
        elif isinstance(addenda, NocAddenda):
            corrected = _apply_change(
                session, named[entry.trace_number], addenda, actor, business_date
            )
            result.corrected += corrected
            result.notices.append(f"{entry.trace_number}: {describe(addenda.change_code)}")
        else:
            arriving.append((entry.trace_number, _credit(batch, entry)))
    received = receive_credits(
        session,
        credits=[credit for _, credit in arriving],
        file_id=row.id,
        actor=actor,
        business_date=business_date,
    )
    for (trace_number, _), credit in zip(arriving, received, strict=True):
        if credit.replayed:
            result.notices.append(f"{trace_number}: received before, posted once")
            continue
        result.credits_applied += credit.share_account_id is not None
        result.credits_unmatched += credit.share_account_id is None
    return result


def settle_due_ach(session: Session, *, business_date: dt.date, actor: str) -> int:
    """Settle the ACH credits sent whose settlement date has come: outbound clearing ->
    settlement bank in one entry, each payment pointing at it. Returns how many."""
    due = session.execute(
        select(OutboundPayment.id, OutboundPayment.amount_minor, OutboundPayment.currency)
        .where(
            OutboundPayment.status == PaymentStatus.SENT,
            OutboundPayment.trace_number.is_not(None),
            OutboundPayment.settlement_date <= business_date,
        )
        .order_by(OutboundPayment.id)
        .limit(SETTLE_BATCH_MAX)
        .with_for_update(skip_locked=True)
    ).all()
    if not due:
        return 0
    currencies = {currency for _, _, currency in due}
    if len(currencies) != 1:
        raise ValueError(f"ACH settles one currency, not {sorted(currencies)}")
    accounts = payment_accounts(session)
    entry = post_movement(
        session,
        key=f"payments:ach-settle:{business_date}:{due[0][0]}",
        business_date=business_date,
        debit=accounts.outbound_clearing,
        credit=accounts.settlement_bank,
        amount=Money.from_minor(sum(amount for _, amount, _ in due), currencies.pop()),
        description=f"{len(due)} ACH credits settled",
        kind=KIND_SETTLED,
        actor=actor,
        reference=None,
        metadata={"payments": len(due)},
    )
    session.execute(
        update(OutboundPayment)
        .where(OutboundPayment.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
        .values(
            status=PaymentStatus.SETTLED,
            settle_entry_id=entry.id,
            updated_on=business_date,
            updated_by=actor,
        )
        .execution_options(synchronize_session=False),
        {"ids": [payment_id for payment_id, _, _ in due]},
    )
    return len(due)
