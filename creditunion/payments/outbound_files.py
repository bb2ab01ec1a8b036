"""Putting the payments due into one file for the settlement bank, kept byte for byte.

A payment goes in exactly one file: the rows are locked (skipping any another producer
holds) and marked sent in the same transaction as the file is stored, so two producers
running at once make two files with no payment in both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from creditunion.errors import Conflict
from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022.pain001 import (
    CreditTransfer,
    CreditTransferBatch,
    SortCodeAccount,
    write_pain001,
)
from creditunion.payments.models import (
    FileDirection,
    OutboundPayment,
    PaymentFile,
    PaymentStatus,
)
from creditunion.payments.nacha.file import (
    AchBatch,
    AchEntry,
    AchFile,
    SecCode,
    ServiceClass,
    TransactionCode,
)
from creditunion.payments.nacha.writer import write_ach_file
from creditunion.payments.settlement_calendar import Rail, settlement_date

FILE_PAYMENTS_MAX: Final = 100_000
# NACHA files carry a local creation time with no zone: the Federal Reserve's.
NACHA_ZONE: Final = ZoneInfo("America/New_York")
PAIN001: Final = "pain.001.001.09"
NACHA: Final = "nacha"
# NACHA transaction codes of a credit to a checking or a savings account.
_ACH_CREDIT: Final = {
    "checking": TransactionCode.CHECKING_CREDIT,
    "savings": TransactionCode.SAVINGS_CREDIT,
}


class NothingToSend(Conflict):
    def __init__(self, business_date: dt.date) -> None:
        super().__init__(f"no payment is due to be sent on {business_date}")


@dataclass(frozen=True, slots=True)
class PaymentFileView:
    id: int
    direction: FileDirection
    kind: str
    message_id: str
    sha256: str
    business_date: dt.date
    item_count: int
    created_by: str


def file_view(row: PaymentFile) -> PaymentFileView:
    return PaymentFileView(
        id=row.id,
        direction=row.direction,
        kind=row.kind,
        message_id=row.message_id,
        sha256=row.sha256,
        business_date=row.business_date,
        item_count=row.item_count,
        created_by=row.created_by,
    )


def _due(session: Session, business_date: dt.date, limit: int) -> list[OutboundPayment]:
    return list(
        session.scalars(
            select(OutboundPayment)
            .where(
                OutboundPayment.status == PaymentStatus.PENDING,
                OutboundPayment.not_before <= business_date,
            )
            .order_by(OutboundPayment.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def _pain001(
    payments: list[OutboundPayment],
    config: PaymentConfig,
    message_id: str,
    created_at: dt.datetime,
    settles_on: dt.date,
) -> bytes:
    return write_pain001(
        CreditTransferBatch(
            message_id=message_id,
            created_at=created_at,
            initiating_party_name=config.originator_name,
            debtor_name=config.originator_name,
            debtor_account=SortCodeAccount(
                config.settlement_bank_id, config.settlement_account_number
            ),
            requested_execution_date=settles_on,
            payments=tuple(
                CreditTransfer(
                    end_to_end_id=p.end_to_end_id,
                    instruction_id=p.end_to_end_id,
                    amount=p.amount,
                    creditor_name=p.creditor_name,
                    creditor_account=SortCodeAccount(p.bank_id, p.account_number),
                    remittance_reference=p.reference,
                )
                for p in payments
            ),
        )
    )


def nacha_text(text: str) -> str:
    """NACHA's fields take ASCII only: accents dropped (Zoë -> ZOE), anything else removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = decomposed.encode("ascii", "ignore").decode()
    return "".join(c for c in kept if c.isprintable()).upper().strip() or "UNKNOWN"


def _trace_numbers(payments: list[OutboundPayment], originating_dfi: str) -> None:
    # The ODFI's 8 digits and 7 of the payment's id: unique until ten million payments
    # (the column's unique index refuses a file that would reuse one), rising in id order
    # as NACHA asks within a batch.
    for payment in payments:
        payment.trace_number = f"{originating_dfi}{payment.id % 10_000_000:07d}"


def ppd_file(
    config: PaymentConfig,
    *,
    created_at: dt.datetime,
    effective_on: dt.date,
    service_class: ServiceClass,
    entry_description: str,
    file_id_modifier: str,
    entries: tuple[AchEntry, ...],
) -> bytes:
    """One PPD batch from the credit union's ODFI settings: our credits, or our debits."""
    ach = config.ach
    assert ach is not None
    local = created_at.astimezone(NACHA_ZONE).replace(tzinfo=None, second=0, microsecond=0)
    return write_ach_file(
        AchFile(
            immediate_destination=config.settlement_bank_id,
            immediate_origin=ach.immediate_origin,
            immediate_destination_name="SETTLEMENT BANK",
            immediate_origin_name=nacha_text(config.originator_name),
            created_at=local,
            file_id_modifier=file_id_modifier,
            batches=(
                AchBatch(
                    service_class_code=service_class,
                    company_name=nacha_text(config.originator_name),
                    company_id=ach.company_id,
                    sec_code=SecCode.PPD,
                    entry_description=entry_description,
                    effective_entry_date=effective_on,
                    originating_dfi=ach.originating_dfi,
                    batch_number=1,
                    entries=entries,
                ),
            ),
        )
    )


def _nacha(
    payments: list[OutboundPayment],
    config: PaymentConfig,
    created_at: dt.datetime,
    settles_on: dt.date,
) -> bytes:
    """One PPD batch of credits; names as NACHA's fields hold them (cut to length)."""
    assert config.ach is not None
    _trace_numbers(payments, config.ach.originating_dfi)
    entries = tuple(
        AchEntry(
            transaction_code=_ACH_CREDIT[p.account_kind or "checking"],
            receiving_dfi_routing=p.bank_id,
            dfi_account_number=p.account_number,
            amount=p.amount,
            individual_id=nacha_text(p.reference)[:15].strip(),
            individual_name=nacha_text(p.creditor_name),
            trace_number=p.trace_number or "",
        )
        for p in payments
    )
    return ppd_file(
        config,
        created_at=created_at,
        effective_on=settles_on,
        service_class=ServiceClass.CREDITS_ONLY,
        entry_description="PAYMENT",
        file_id_modifier="A",
        entries=entries,
    )


def store_outbound(
    session: Session,
    *,
    kind: str,
    message_id: str,
    content: bytes,
    items: int,
    business_date: dt.date,
    actor: str,
) -> PaymentFile:
    """A file we give the bank, kept byte for byte with its SHA-256."""
    row = PaymentFile(
        direction=FileDirection.OUTBOUND,
        kind=kind,
        message_id=message_id,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        business_date=business_date,
        item_count=items,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def produce_outbound_file(
    session: Session,
    *,
    config: PaymentConfig,
    actor: str,
    business_date: dt.date,
    created_at: dt.datetime,
    limit: int = FILE_PAYMENTS_MAX,
) -> PaymentFileView:
    """One file of the payments due (at most `limit`), each then `sent`.

    Raises `NothingToSend` when none is due.
    """
    if not 0 < limit <= FILE_PAYMENTS_MAX:
        raise ValueError(f"a file holds 1 to {FILE_PAYMENTS_MAX} payments")
    payments = _due(session, business_date, limit)
    if not payments:
        raise NothingToSend(business_date)
    settles_on = settlement_date(config.rail, business_date)
    message_id = "CU" + uuid.uuid4().hex.upper()
    if config.rail is Rail.ACH:
        kind, content = NACHA, _nacha(payments, config, created_at, settles_on)
    else:
        kind, content = PAIN001, _pain001(payments, config, message_id, created_at, settles_on)
    row = store_outbound(
        session,
        kind=kind,
        message_id=message_id,
        content=content,
        items=len(payments),
        business_date=business_date,
        actor=actor,
    )
    # One statement for the whole file; an array parameter, as a file can hold more
    # payments than a statement can take parameters.
    session.execute(
        update(OutboundPayment)
        .where(OutboundPayment.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
        .values(
            status=PaymentStatus.SENT,
            file_id=row.id,
            settlement_date=settles_on,
            updated_on=business_date,
            updated_by=actor,
        )
        .execution_options(synchronize_session=False),
        {"ids": [p.id for p in payments]},
    )
    for payment in payments:
        session.expire(payment)
    return file_view(row)
