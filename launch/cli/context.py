"""The command context of a command line: its operator (`--actor`), in staff scope, on the
business date, within the configured budget."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.business_date.service import business_date_or_first
from creditunion.commands import CommandContext, staff_context
from creditunion.platform.settings import get_settings
from launch.cli.operator import current_operator
from ledger.deadline import Deadline


def operator_context(session: Session, *, business_date: dt.date | None = None) -> CommandContext:
    """`business_date`: for commands about a day of their own (sealing one). Otherwise the
    business date; on a new installation, before `creditunion init` set one, the date init
    would start it at (today in the business time zone), since the first admin may come
    first."""
    settings = get_settings()
    if business_date is None:
        business_date = business_date_or_first(session, zone=settings.zone)
    return staff_context(
        current_operator(),
        business_date=business_date,
        deadline=Deadline.after(settings.command_deadline_s),
    )
