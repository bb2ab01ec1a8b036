"""The day's collection files for the settlement bank: pain.008 (Bacs Direct Debit) or a
NACHA file of PPD debits, each kept byte for byte.

Close of business on day B sends what is to be collected on the day a file submitted on B
settles (Bacs: two business days later; ACH: the next one). A collection goes in exactly
one file: the rows are locked (skipping any another producer holds) and marked sent in the
transaction that stores the file. Nothing moves in the ledger yet: no money has.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.payments.collections.models import (
    Collection,
    CollectionMandate,
    CollectionStatus,
    MandateStatus,
)
from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022.pain008 import (
    FIRST,
    RECURRING,
    DirectDebit,
    DirectDebitBatch,
    SortCodeAccount,
    write_pain008,
)
from creditunion.payments.nacha.file import AchEntry, ServiceClass, TransactionCode
from creditunion.payments.outbound_files import (
    NACHA,
    PaymentFileView,
    file_view,
    nacha_text,
    ppd_file,
    store_outbound,
)
from creditunion.payments.settlement_calendar import Rail, settlement_date

PAIN008: Final = "pain.008.001.08"
FILE_COLLECTIONS_MAX: Final = 100_000
_ACH_DEBIT: Final = {
    "checking": TransactionCode.CHECKING_DEBIT,
    "savings": TransactionCode.SAVINGS_DEBIT,
}

_Due = tuple[Collection, CollectionMandate]


def _due(session: Session, collect_on: dt.date, limit: int) -> list[_Due]:
    rows = session.execute(
        select(Collection, CollectionMandate)
        .join(CollectionMandate, CollectionMandate.id == Collection.mandate_id)
        .where(
            Collection.status == CollectionStatus.SCHEDULED,
            Collection.collection_date <= collect_on,
            CollectionMandate.status == MandateStatus.ACTIVE,
        )
        .order_by(Collection.id)
        .limit(limit)
        .with_for_update(of=Collection, skip_locked=True)
    ).all()
    return [(row[0], row[1]) for row in rows]


def _mandates_collected_before(session: Session, mandate_ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(Collection.mandate_id)
            .where(Collection.mandate_id.in_(mandate_ids), Collection.file_id.is_not(None))
            .distinct()
        )
    )


def _pain008(
    due: Sequence[_Due],
    config: PaymentConfig,
    message_id: str,
    created_at: dt.datetime,
    collect_on: dt.date,
    sequence_type: str,
) -> bytes:
    assert config.service_user_number is not None
    return write_pain008(
        DirectDebitBatch(
            message_id=message_id,
            created_at=created_at,
            initiating_party_name=config.originator_name,
            creditor_name=config.originator_name,
            creditor_account=SortCodeAccount(
                config.settlement_bank_id, config.settlement_account_number
            ),
            creditor_scheme_id=config.service_user_number,
            requested_collection_date=collect_on,
            sequence_type=sequence_type,
            collections=tuple(
                DirectDebit(
                    end_to_end_id=c.end_to_end_id,
                    instruction_id=c.end_to_end_id,
                    amount=c.amount,
                    debtor_name=m.holder_name,
                    debtor_account=SortCodeAccount(m.bank_id, m.account_number),
                    mandate_id=m.reference,
                    mandate_signed_on=m.signed_on,
                    remittance_reference=f"LOAN {c.loan_id} INSTALMENT {c.instalment_number}",
                )
                for c, m in due
            ),
        )
    )


def _nacha(
    due: Sequence[_Due], config: PaymentConfig, created_at: dt.datetime, collect_on: dt.date
) -> bytes:
    """One PPD batch of debits; returns and notifications quote each entry's trace number."""
    assert config.ach is not None
    for collection, _ in due:
        collection.trace_number = f"{config.ach.originating_dfi}{collection.id % 10_000_000:07d}"
    entries = tuple(
        AchEntry(
            transaction_code=_ACH_DEBIT[m.account_kind or "checking"],
            receiving_dfi_routing=m.bank_id,
            dfi_account_number=m.account_number,
            amount=c.amount,
            individual_id=m.reference[:15],
            individual_name=nacha_text(m.holder_name),
            trace_number=c.trace_number or "",
        )
        for c, m in due
    )
    return ppd_file(
        config,
        created_at=created_at,
        effective_on=collect_on,
        service_class=ServiceClass.DEBITS_ONLY,
        entry_description="LOAN PMT",
        file_id_modifier="B",
        entries=entries,
    )


def _store(
    session: Session,
    kind: str,
    message_id: str,
    content: bytes,
    due: Sequence[_Due],
    business_date: dt.date,
    actor: str,
) -> PaymentFileView:
    row = store_outbound(
        session,
        kind=kind,
        message_id=message_id,
        content=content,
        items=len(due),
        business_date=business_date,
        actor=actor,
    )
    for collection, _ in due:
        collection.status = CollectionStatus.SENT
        collection.file_id = row.id
        collection.updated_on = business_date
        collection.updated_by = actor
    session.flush()
    return file_view(row)


def produce_collection_files(
    session: Session,
    *,
    config: PaymentConfig,
    actor: str,
    business_date: dt.date,
    created_at: dt.datetime,
    limit: int = FILE_COLLECTIONS_MAX,
) -> list[PaymentFileView]:
    """The files of what is to be collected on the day a file sent on `business_date`
    settles: none when nothing is; for Bacs one file of first collections under their
    mandates and one of the rest."""
    if not 0 < limit <= FILE_COLLECTIONS_MAX:
        raise ValueError(f"a file holds 1 to {FILE_COLLECTIONS_MAX} collections")
    collect_on = settlement_date(config.collection_rail, business_date)
    due = _due(session, collect_on, limit)
    if not due:
        return []
    # The schedule never leaves a collection due before this date (it reschedules one it
    # missed, with notice): collecting on another day than the notice said is refused here.
    assert all(c.collection_date == collect_on for c, _ in due), "a collection date was missed"
    if config.collection_rail is Rail.ACH:
        message_id = "CU" + uuid.uuid4().hex.upper()
        content = _nacha(due, config, created_at, collect_on)
        return [_store(session, NACHA, message_id, content, due, business_date, actor)]
    files = []
    before = _mandates_collected_before(session, sorted({m.id for _, m in due}))
    first = [d for d in due if d[1].id not in before]
    rest = [d for d in due if d[1].id in before]
    for sequence_type, part in ((FIRST, first), (RECURRING, rest)):
        if part:
            message_id = "CU" + uuid.uuid4().hex.upper()
            content = _pain008(part, config, message_id, created_at, collect_on, sequence_type)
            files.append(_store(session, PAIN008, message_id, content, part, business_date, actor))
    return files
