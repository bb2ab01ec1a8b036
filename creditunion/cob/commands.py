"""A close-of-business step as a command: close of business acts as its named system actor,
under the step's deadline, and each completed step leaves one audit record (`cob.step`)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy.orm import Session

from creditunion.auth.actor import Actor
from creditunion.cob.steps import Progress, Step, StepOutcome
from creditunion.commands import Audited, CommandContext, command, staff_context
from ledger.actors import COB_ACTOR
from ledger.deadline import Deadline

COB_SYSTEM: Final = Actor(user_id=None, username=COB_ACTOR, role=None)


def cob_context(business_date: dt.date, *, budget_s: float) -> CommandContext:
    return staff_context(COB_SYSTEM, business_date=business_date, deadline=Deadline.after(budget_s))


@command(action="cob.step", target_type="cob_step")
def run_cob_step(
    session: Session, context: CommandContext, *, step: Step, progress: Progress
) -> Audited[StepOutcome]:
    outcome = step.run(session, context.business_date, progress)
    summary = {"step": step.name, "items": outcome.items, "totals": dict(outcome.totals)}
    return Audited(outcome, target_id=step.name, summary=summary)
