"""The record of close of business: one row per (step, business date)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base
from ledger.models import string_enum


class StepStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class CobStepRun(Base):
    __tablename__ = "cob_step_runs"

    step: Mapped[str] = mapped_column(String(40), primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[StepStatus] = mapped_column(string_enum(StepStatus, "cob_step_status"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    runner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    progress_done: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    progress_total: Mapped[int | None] = mapped_column(BigInteger)
    items: Mapped[int | None] = mapped_column(BigInteger)
    totals: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    error: Mapped[str | None] = mapped_column(Text)
