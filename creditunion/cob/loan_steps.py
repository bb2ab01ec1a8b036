"""Close-of-business steps for loans: accrue, collect, fees, arrears, non-accrual, provision.

The loans package does the work set-based; these steps only adapt it to the runner and
read the credit union's settings.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy.orm import Session

from creditunion.actors import COB_ACTOR
from creditunion.cob.steps import Progress, StepOutcome
from creditunion.platform.settings import get_settings
from ledger.money import Money
from loans.calendar import is_month_end
from loans.services.applications import expire_offers
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import LOANS_PER_ENTRY_MAX, accrue_interest
from loans.services.collection import collect_due_instalments
from loans.services.fee_recognition import recognise_fees
from loans.services.non_accrual import apply_non_accrual
from loans.services.provisioning import provide_for_losses

ACTOR: Final = COB_ACTOR
OFFERS_EXPIRED_MAX: Final = 100_000


def _money_totals(by_currency: dict[str, int]) -> dict[str, str]:
    return {c: str(Money.from_minor(v, c).amount) for c, v in sorted(by_currency.items())}


def accrue_loan_interest(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    # Grouped entries (one debit per loan, one credit to income) post the same lines on
    # every account as one entry per loan, several times faster.
    run = accrue_interest(
        session, business_date=business_date, loans_per_entry=LOANS_PER_ENTRY_MAX, actor=ACTOR
    )
    progress(run.loans, run.loans)
    return StepOutcome(
        items=run.loans,
        totals=_money_totals(run.posted)
        | {"entries": str(run.entries), "caught_up": str(run.caught_up)},
    )


def collect_loan_instalments(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    run = collect_due_instalments(session, business_date=business_date, actor=ACTOR)
    progress(run.loans_due, run.loans_due)
    return StepOutcome(
        items=run.loans_due,
        totals=_money_totals(run.collected)
        | {
            "in_full": str(run.collected_in_full),
            "in_part": str(run.collected_in_part),
            "not_collected": str(run.not_collected),
            "settled": str(run.settled),
        },
    )


def age_loan_arrears(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
    settings = get_settings()
    run = age_arrears(
        session,
        business_date=business_date,
        write_off_after_days=settings.loan_write_off_after_days,
        late_fee_grace_days=settings.loan_late_fee_grace_days,
        actor=ACTOR,
    )
    progress(run.changed, run.changed)
    return StepOutcome(
        items=run.changed,
        totals={f"bucket_{name}": str(count) for name, count in sorted(run.buckets.items())}
        | {f"late_fees_{c}": v for c, v in _money_totals(run.late_fees_charged).items()}
        | {"write_off_candidates": str(run.write_off_candidates)},
    )


def recognise_loan_fees(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    run = recognise_fees(session, business_date=business_date, actor=ACTOR)
    progress(run.loans, run.loans)
    return StepOutcome(
        items=run.loans,
        totals={f"earned_{c}": v for c, v in _money_totals(run.earned).items()}
        | {f"given_back_{c}": v for c, v in _money_totals(run.given_back).items()},
    )


def suspend_non_accrual_interest(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    run = apply_non_accrual(session, business_date=business_date, actor=ACTOR)
    progress(run.changed, run.changed)
    return StepOutcome(
        items=run.changed,
        totals={f"suspended_{c}": v for c, v in _money_totals(run.suspended).items()}
        | {f"recognised_{c}": v for c, v in _money_totals(run.recognised).items()}
        | {"entered": str(run.entered), "restored": str(run.restored)},
    )


def provide_for_loan_losses(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    # The allowance moves at each month end (the reporting date); other days do nothing.
    if not is_month_end(business_date):
        progress(0, 0)
        return StepOutcome(items=0, totals={"month_end": "false"})
    run = provide_for_losses(session, business_date=business_date, actor=ACTOR)
    progress(run.changed, run.changed)
    return StepOutcome(
        items=run.changed,
        totals={f"required_{c}": v for c, v in _money_totals(run.required).items()}
        | {f"movement_{code}_minor": str(v) for code, v in sorted(run.movement.items())}
        | {"unassigned_minor": str(run.unassigned)},
    )


def lapse_loan_offers(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
    # An offer whose last day was the business date being closed lapses now.
    expired = expire_offers(
        session,
        business_date=business_date + dt.timedelta(days=1),
        limit=OFFERS_EXPIRED_MAX,
        actor=ACTOR,
    )
    progress(expired, expired)
    return StepOutcome(items=expired)
