"""Close-of-business steps for loan instalments collected from members' banks.

Each does nothing where payments are not configured: a credit union without a settlement
bank has no mandates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.actors import COB_ACTOR
from creditunion.cob.steps import Progress, StepOutcome
from creditunion.payments.collections.collect import collect_due
from creditunion.payments.collections.files import produce_collection_files
from creditunion.payments.collections.schedule import schedule_collections
from creditunion.payments.config import PaymentConfig, PaymentsNotConfigured, payment_config
from creditunion.platform.settings import get_settings


def _config() -> PaymentConfig | None:
    try:
        return payment_config(get_settings())
    except PaymentsNotConfigured:
        return None


def collect_direct_debits(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    """The collections falling due on the day meet their loans; the bank credits them."""
    if _config() is None:
        progress(0, 0)
        return StepOutcome(items=0, totals={"payments": "not set up"})
    collected = collect_due(session, business_date=business_date, actor=COB_ACTOR)
    progress(collected, collected)
    return StepOutcome(items=collected)


def send_direct_debits(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
    """Schedule (with notice) what is due to be collected, then the file of what is to be
    collected on the day a file sent today settles."""
    config = _config()
    if config is None:
        progress(0, 0)
        return StepOutcome(items=0, totals={"payments": "not set up"})
    scheduled = schedule_collections(
        session, config=config, business_date=business_date, actor=COB_ACTOR
    )
    # The file's creation time is the moment it is made: this step is the edge.
    files = produce_collection_files(
        session,
        config=config,
        actor=COB_ACTOR,
        business_date=business_date,
        created_at=dt.datetime.now(dt.UTC),
    )
    sent = sum(f.item_count for f in files)
    progress(sent, sent)
    return StepOutcome(
        items=sent,
        totals={"scheduled": str(scheduled), "files": ",".join(str(f.id) for f in files)},
    )
