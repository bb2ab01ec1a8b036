"""Stored responses of requests that carried an `Idempotency-Key`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base


class HttpIdempotency(Base):
    """One key of one user: the request it was first used for and the answer given.

    The row is inserted when the request starts and completed in the same database
    transaction as the operation, so no other transaction ever sees it half done: a
    concurrent duplicate waits on the unique key, then finds the answer.
    """

    __tablename__ = "http_idempotency"
    __table_args__ = (
        UniqueConstraint("actor_user_id", "key"),
        CheckConstraint("octet_length(request_hash) = 32", name="hash_length"),
        CheckConstraint("length(key) BETWEEN 1 AND 200", name="key_length"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    actor_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[bytes] = mapped_column(LargeBinary)
    # NULL only inside the transaction that claimed the key; committed rows carry both.
    response_status: Mapped[int | None] = mapped_column(SmallInteger)
    response_body: Mapped[Any | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
