"""Sealing a closed day, as a command: the operator who seals is on the seal and in the audit
trail, once per day sealed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, command
from ledger.seal import SealView, seal_day


@command(action="audit.seal", target_type="business_date")
def seal_closed_day(
    session: Session, context: CommandContext, *, day: dt.date
) -> Audited[SealView]:
    seal = seal_day(session, business_date=day, sealed_by=context.actor.label)
    summary = {"entry_count": seal.entry_count, "seal_hash": seal.seal_hash.hex()}
    return Audited(seal, target_id=day.isoformat(), summary=summary)
