"""The command context of a command line: its operator, in staff scope, on the business
date, within the configured budget."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.business_date.service import current_business_date
from creditunion.commands import CommandContext, staff_context
from creditunion.platform.settings import get_settings
from launch.cli.operator import current_operator
from ledger.deadline import Deadline


def operator_context(session: Session, *, business_date: dt.date | None = None) -> CommandContext:
    """`business_date`: for commands about a day of their own (sealing one), else today's."""
    return staff_context(
        current_operator(),
        business_date=business_date or current_business_date(session),
        deadline=Deadline.after(get_settings().command_deadline_s),
    )
