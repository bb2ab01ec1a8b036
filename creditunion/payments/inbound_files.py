"""Keeping a file the bank sent, once: the same bytes or the same message id again is
refused, so a file imported twice posts nothing twice.

Imports of the bank's files run one at a time (`hold_import_lock`): they are a few a day,
and two at once could each find a file, credit or statement line not yet recorded and
both record it (seen: the loser's unique-key error instead of a clean refusal or replay)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, Refused
from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.models import FileDirection, PaymentFile

# The 64-bit key of the advisory lock every import of a bank file holds until it commits.
IMPORT_LOCK_KEY: Final = 0x5041_594D_494D_5054


def hold_import_lock(session: Session) -> None:
    """Wait for any other import of a bank file to end; call before reading what an import
    decides on. Released when the transaction ends."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK_KEY})


class FileAlreadyImported(Conflict):
    def __init__(self, what: str) -> None:
        super().__init__(f"this file was already imported ({what}): nothing was posted again")


class FileForAnotherAccount(Refused):
    def __init__(self, account: str) -> None:
        super().__init__(
            f"the file is for account {account}, not this credit union's settlement account"
        )


def require_our_account(account: SortCodeAccount, config: PaymentConfig) -> None:
    ours = (config.settlement_bank_id, config.settlement_account_number)
    if (account.sort_code, account.account_number) != ours:
        raise FileForAnotherAccount(f"{account.sort_code} ****{account.account_number[-4:]}")


def store_inbound(
    session: Session,
    *,
    content: bytes,
    kind: str,
    message_id: str,
    count: int,
    actor: str,
    business_date: dt.date,
) -> PaymentFile:
    digest = hashlib.sha256(content).hexdigest()
    if session.scalar(select(PaymentFile.id).where(PaymentFile.sha256 == digest)) is not None:
        raise FileAlreadyImported(f"sha256 {digest[:12]}")
    same_id = session.scalar(
        select(PaymentFile.id).where(
            PaymentFile.direction == FileDirection.INBOUND,
            PaymentFile.kind == kind,
            PaymentFile.message_id == message_id,
        )
    )
    if same_id is not None:
        raise FileAlreadyImported(f"message id {message_id!r}")
    row = PaymentFile(
        direction=FileDirection.INBOUND,
        kind=kind,
        message_id=message_id,
        sha256=digest,
        content=content,
        business_date=business_date,
        item_count=count,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row
