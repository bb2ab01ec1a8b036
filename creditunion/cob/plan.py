"""The close-of-business plan: which steps run, in which order, for which dates.

For business date D: cut-off (the online date moves to D + 1), savings accrual, savings
posting at period ends, dividends due, interest and dividends owed, loan accrual, direct
debits falling due on D collected, loan collection from shares, deferred loan fees earned,
arrears, non-accrual, the loan-loss provision at month ends, lapsed loan offers, expiry of
cash withdrawals left unapproved, ACH credits whose settlement date is D settled, direct
debits scheduled (with notice) and the file of those to collect sent, then the ledger
closes D and seals it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from creditunion.actors import COB_ACTOR
from creditunion.approvals.service import expire_stale_approvals
from creditunion.audit.money_settings import SETTINGS_ACTOR, record_money_settings
from creditunion.business_date.service import advance_business_date, current_business_date
from creditunion.cob.collection_steps import collect_direct_debits, send_direct_debits
from creditunion.cob.leader import leadership
from creditunion.cob.loan_steps import (
    accrue_loan_interest,
    age_loan_arrears,
    collect_loan_instalments,
    lapse_loan_offers,
    provide_for_loan_losses,
    recognise_loan_fees,
    suspend_non_accrual_interest,
)
from creditunion.cob.runner import OnProgress, StepReport, run_steps_for_date
from creditunion.cob.steps import Progress, Step, StepOutcome
from creditunion.errors import Conflict, Refused
from creditunion.payments.ach_files import settle_due_ach
from creditunion.payments.ledger_accounts import PaymentAccountsMissing
from creditunion.payments.sub_ledger import PaymentsBroken, reconcile_payments
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import get_settings
from creditunion.reconciliation import ReconciliationBroken, reconcile
from creditunion.savings.cob_steps import (
    accrue_savings_interest,
    pay_dividends,
    post_savings_interest,
)
from creditunion.savings.payable import accrue_interest_payable
from ledger.periods import close_business_date, closed_through
from ledger.seal import seal_through

CATCH_UP_DAYS_MAX: Final = 3_660
CLOSED_BY: Final = COB_ACTOR


class BusinessDateAhead(Conflict, RuntimeError):
    """The stored business date is not where close of business expects it."""


class BeyondCalendarDate(Refused, RuntimeError):
    """Closing a business day the calendar has not reached: it takes an explicit option."""

    def __init__(self, business_date: dt.date, not_after: dt.date) -> None:
        super().__init__(
            f"refusing to close {business_date}: it is after today's calendar date "
            f"{not_after} in the business time zone (--beyond-today closes it anyway)"
        )
        self.business_date = business_date
        self.not_after = not_after


def cut_off(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
    current = current_business_date(session)
    if current == business_date:
        advance_business_date(session, from_date=business_date)
    elif current != business_date + dt.timedelta(days=1):
        raise BusinessDateAhead(f"closing {business_date} but the business date is {current}")
    progress(1, 1)
    return StepOutcome(items=1, totals={"online_date": str(business_date + dt.timedelta(1))})


def expire_approvals(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
    expired = expire_stale_approvals(session, business_date=business_date + dt.timedelta(days=1))
    progress(expired, expired)
    return StepOutcome(items=expired)


def settle_ach_payments(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    """ACH credits sent whose settlement date is the day: the rail confirms none, so they
    settle unless they come back (a return after this is brought back as any return)."""
    settled = settle_due_ach(session, business_date=business_date, actor=COB_ACTOR)
    progress(settled, settled)
    return StepOutcome(items=settled)


def reconcile_sub_ledgers(
    session: Session, business_date: dt.date, progress: Progress
) -> StepOutcome:
    """Loan book and members' shares against the ledger as at the day, and payments'
    clearing and suspense against the payment rows; a break stops the close of business
    here, so the day is not closed on books that disagree."""
    report = reconcile(session, as_of=business_date)
    if not report.ok:
        raise ReconciliationBroken(report)
    try:
        payments = reconcile_payments(session)
    except PaymentAccountsMissing:
        # An installation from before payments, not yet `creditunion init`ed again: it has
        # no payment accounts, so nothing can have moved through them.
        progress(1, 1)
        return StepOutcome(items=0, totals={"breaks": "0", "payments": "not set up"})
    if not payments.ok:
        raise PaymentsBroken(payments)
    progress(1, 1)
    return StepOutcome(items=0, totals={"breaks": "0"})


def close_and_seal(session: Session, business_date: dt.date, progress: Progress) -> StepOutcome:
    close_business_date(session, business_date=business_date, closed_by=CLOSED_BY)
    # Normally one seal, for this day. A ledger with history from before its first close of
    # business (a migration from another system, say) has its earlier days sealed first, in
    # order, so the chain starts at the journal's first date.
    seals = seal_through(session, business_date=business_date, sealed_by=CLOSED_BY)
    assert seals and seals[-1].business_date == business_date, "the closed day was sealed"
    entries = sum(seal.entry_count for seal in seals)
    progress(entries, entries)
    return StepOutcome(
        items=entries,
        totals={"seal": seals[-1].seal_hash.hex(), "days_sealed": str(len(seals))},
    )


STEPS: Final[tuple[Step, ...]] = (
    Step("cut_off", cut_off),
    Step("savings_accrual", accrue_savings_interest),
    Step("savings_posting", post_savings_interest),
    Step("dividends", pay_dividends),
    Step("savings_payable", accrue_interest_payable),
    Step("loan_accrual", accrue_loan_interest),
    Step("direct_debit_collection", collect_direct_debits),
    Step("loan_collection", collect_loan_instalments),
    Step("loan_fee_recognition", recognise_loan_fees),
    Step("loan_arrears", age_loan_arrears),
    Step("loan_non_accrual", suspend_non_accrual_interest),
    Step("loan_provision", provide_for_loan_losses),
    Step("loan_offer_expiry", lapse_loan_offers),
    Step("approvals_expiry", expire_approvals),
    Step("ach_settlement", settle_ach_payments),
    Step("direct_debit_files", send_direct_debits),
    Step("reconciliation", reconcile_sub_ledgers),
    Step("close_and_seal", close_and_seal),
)


def dates_to_close(engine: Engine, *, until: dt.date | None) -> list[dt.date]:
    """The days to close, in order: an unfinished one first, then up to `until`.

    Without `until`: finish an interrupted close of business if there is one, otherwise
    close the current business date.
    """
    with unit_of_work(engine) as session:
        business = current_business_date(session)
        closed = closed_through(session)
        first = closed + dt.timedelta(days=1) if closed else _first_cut_off(session) or business
    last = (
        until
        if until is not None
        else (business - dt.timedelta(1) if first < business else business)
    )
    if last < first:
        return []
    days = (last - first).days + 1
    if days > CATCH_UP_DAYS_MAX:
        raise ValueError(f"{days} days to close: at most {CATCH_UP_DAYS_MAX} in one run")
    return [first + dt.timedelta(days=n) for n in range(days)]


def _first_cut_off(session: Session) -> dt.date | None:
    value = session.scalar(
        text("SELECT min(business_date) FROM cob_step_runs WHERE step = 'cut_off'")
    )
    assert value is None or isinstance(value, dt.date)
    return value


def run_close_of_business(
    engine: Engine,
    *,
    until: dt.date | None = None,
    wait: bool = False,
    steps: Sequence[Step] = STEPS,
    on_progress: OnProgress | None = None,
    not_after: dt.date | None = None,
) -> list[StepReport]:
    """Close each day due, every step in order, as the deployment's only runner.

    With `not_after` (the calendar date in the business zone, from the edge), a day after
    it is refused with `BeyondCalendarDate` before anything runs.
    """
    reports: list[StepReport] = []
    settings = get_settings()
    with leadership(engine, wait=wait):
        # A changed write-off threshold or limit is on the audit trail before it is used.
        with unit_of_work(engine) as session:
            record_money_settings(session, settings=settings, actor=SETTINGS_ACTOR)
        days = dates_to_close(engine, until=until)
        if not_after is not None and days and days[-1] > not_after:
            raise BeyondCalendarDate(max(days[0], not_after + dt.timedelta(days=1)), not_after)
        for business_date in days:
            reports += run_steps_for_date(
                engine,
                steps=steps,
                business_date=business_date,
                step_budget_s=settings.cob_step_deadline_s,
                on_progress=on_progress,
            )
    return reports
