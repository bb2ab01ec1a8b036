"""Full business days between the credit union (its database, through its own commands) and
the simulated settlement bank, every file exchanged left in a directory.

A day: staff pay some members out to their nominated accounts; a member takes a loan to
theirs (when the database has a lending product); the credit union produces its file and
the bank answers it; the bank receives credits for members (some that match nobody) and
gets some of the day's payments back; the credit union imports each file; staff work the
suspense queue; the bank's statement is imported and reconciled; the ledger's invariants
are checked; close of business closes the day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from creditunion.cob.runner import StepFailed
from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.settlement_calendar import Rail
from creditunion.platform.settings import Settings
from ops.banksim.book import SettlementBook
from ops.banksim.book_file import load_book, save_book
from ops.banksim.credit_union import CreditUnion, FileRefused, at
from ops.banksim.uk_bank import SettlementBank, check_share

DAYS_MAX: Final = 366
PAYMENTS_PER_DAY_MAX: Final = 10_000
CREDITS_PER_DAY_MAX: Final = 10_000


class CycleRefused(ValueError):
    """The cycle cannot run as asked; nothing was done."""


@dataclass(frozen=True, slots=True)
class CyclePlan:
    days: int
    seed: int
    payments_per_day: int = 10
    credits_per_day: int = 8
    reject_share: float = 0.1
    return_share: float = 0.1
    unmatched_share: float = 0.25

    def __post_init__(self) -> None:
        if not 1 <= self.days <= DAYS_MAX:
            raise CycleRefused(f"1 to {DAYS_MAX} days, not {self.days}")
        if not 0 <= self.payments_per_day <= PAYMENTS_PER_DAY_MAX:
            raise CycleRefused(f"0 to {PAYMENTS_PER_DAY_MAX} payments a day")
        if not 0 <= self.credits_per_day <= CREDITS_PER_DAY_MAX:
            raise CycleRefused(f"0 to {CREDITS_PER_DAY_MAX} credits a day")
        check_share(self.reject_share, "the reject share")
        check_share(self.return_share, "the return share")
        check_share(self.unmatched_share, "the unmatched share")


@dataclass(slots=True)
class DayFigures:
    business_date: dt.date
    payouts_made: int = 0
    payouts_refused: int = 0
    nominations_made: int = 0
    loan: str = ""
    loans_disbursed: int = 0
    payments_sent: int = 0
    payments_settled: int = 0
    payments_rejected: int = 0
    payments_returned: int = 0
    credits_received: int = 0
    credits_matchable: int = 0
    credits_applied: int = 0
    credits_unmatched: int = 0
    credits_assigned: int = 0
    credits_returned: int = 0
    credits_left: int = 0
    statement_lines: int = 0
    statement_matched: int = 0
    statement_breaks: int = 0
    balance_difference: str = ""
    payments_sub_ledger_ok: bool = False
    invariants_ok: bool = False
    closed: bool = False
    files: list[str] = field(default_factory=list)


class FileDrop:
    """Writes each file of a day as `dayNN-DATE-SS-KIND.EXT`, SS its order in the day."""

    def __init__(self, out: Path, index: int, day: dt.date, figures: DayFigures) -> None:
        self.out, self.index, self.day, self.figures = out, index, day, figures

    def put(self, kind: str, content: bytes, suffix: str = ".xml") -> None:
        name = f"day{self.index:02d}-{self.day}-{len(self.figures.files) + 1:02d}-{kind}{suffix}"
        (self.out / name).write_bytes(content)
        self.figures.files.append(name)


def _business_day(
    cu: CreditUnion,
    bank: SettlementBank,
    plan: CyclePlan,
    drop: FileDrop,
    meant_for: dict[str, str | None],
) -> None:
    day, f, settings = drop.day, drop.figures, cu.settings
    rng = random.Random(f"{plan.seed}/credit-union/{day}")
    key = f"{plan.seed}:{day}"
    if plan.payments_per_day:
        payouts = cu.pay_out(rng, count=plan.payments_per_day, key_prefix=key)
        f.payouts_made, f.payouts_refused = payouts.made, payouts.refused
        f.nominations_made = payouts.nominated
        loan = cu.disburse_loan(rng, payouts.members, key_prefix=key)
        f.loan, f.loans_disbursed = loan.said, int(loan.payment_id is not None)
    produced = cu.produce(at(day, 15, 0, settings))
    if produced is not None:
        view, content = produced
        drop.put("pain001", content)
        answer = bank.respond(
            content, day=day, at=at(day, 15, 5, settings), reject_share=plan.reject_share
        )
        drop.put("pain002", answer.content)
        report = cu.import_file(answer.content, "pain.002")
        f.payments_sent = view.item_count
        f.payments_settled, f.payments_rejected = report.settled, report.rejected
    if plan.credits_per_day:
        credits = bank.pay_in(
            cu.payees(),
            day=day,
            at=at(day, 16, 0, settings),
            count=plan.credits_per_day,
            unmatched_share=plan.unmatched_share,
        )
        meant_for.update({c.reference: c.meant_for for c in credits.credits})
        drop.put("camt054-credits", credits.content)
        received = cu.import_file(credits.content, "camt.054 of credits")
        f.credits_received = len(credits.credits)
        f.credits_matchable = sum(c.matchable for c in credits.credits)
        f.credits_applied, f.credits_unmatched = (
            received.credits_applied,
            received.credits_unmatched,
        )
    returns = bank.send_back(day=day, at=at(day, 16, 30, settings), return_share=plan.return_share)
    if returns is not None:
        drop.put("camt054-returns", returns.content)
        f.payments_returned = cu.import_file(returns.content, "camt.054 of returns").returned
    work = cu.work_suspense(meant_for)
    f.credits_assigned, f.credits_returned, f.credits_left = work.assigned, work.returned, work.left
    statement = bank.statement(day=day, at=at(day, 18, 0, settings))
    drop.put("camt053", statement.content)
    reconciled = cu.import_file(statement.content, "camt.053").statement
    assert reconciled is not None, "a camt.053 imports as a statement"
    f.statement_lines, f.statement_matched = reconciled.lines, reconciled.matched
    f.statement_breaks = reconciled.breaks
    f.balance_difference = str(reconciled.balance_difference.amount)
    f.payments_sub_ledger_ok = cu.payments_reconcile()
    f.invariants_ok = cu.invariants_ok()


def _summary(plan: CyclePlan, days: list[DayFigures], stopped: str | None) -> dict[str, Any]:
    def total(name: str) -> int:
        return sum(int(getattr(d, name)) for d in days)

    return {
        "seed": plan.seed,
        "days_closed": sum(d.closed for d in days),
        "stopped": stopped,
        "business_dates": [str(d.business_date) for d in days],
        "payments": {
            "sent": total("payments_sent"),
            "settled": total("payments_settled"),
            "rejected": total("payments_rejected"),
            "returned": total("payments_returned"),
        },
        "payouts": {"made": total("payouts_made"), "refused": total("payouts_refused")},
        "loans_disbursed": total("loans_disbursed"),
        "credits": {
            "received": total("credits_received"),
            "applied": total("credits_applied"),
            "unmatched": total("credits_unmatched"),
            "assigned": total("credits_assigned"),
            "returned": total("credits_returned"),
            "left_in_suspense": total("credits_left"),
        },
        "statement_breaks_per_day": [d.statement_breaks for d in days],
        "balance_difference_per_day": [d.balance_difference for d in days],
        "payments_sub_ledger_ok": all(d.payments_sub_ledger_ok for d in days),
        "invariants_ok": all(d.invariants_ok for d in days),
        "files": sum(len(d.files) for d in days),
        "per_day": [asdict(d) | {"business_date": str(d.business_date)} for d in days],
    }


def run_cycle(
    engine: Engine,
    *,
    settings: Settings,
    config: PaymentConfig,
    out: Path,
    plan: CyclePlan,
    echo: Callable[[str], object],
) -> dict[str, Any]:
    """`plan.days` business days from the database's business date, each closed; the
    figures as a JSON-ready summary. The run stops at the first file the credit union
    refuses or day close of business will not close (`stopped` says why; the days before
    stay done). Raises `CycleRefused` before doing anything for an ACH credit union or a
    directory that already holds a bank's book."""
    if config.rail is Rail.ACH:
        raise CycleRefused(
            "the cycle plays a UK settlement bank (its statement is a camt.053 of a sort code"
            " account); on ACH use `respond` and `credits`"
        )
    out.mkdir(parents=True, exist_ok=True)
    if load_book(out) is not None:
        raise CycleRefused(f"{out} already holds a bank's book: give the cycle a new directory")
    cu = CreditUnion(engine, settings, config)
    book = SettlementBook(
        account=SortCodeAccount(config.settlement_bank_id, config.settlement_account_number),
        currency=config.currency,
        # The bank agrees with the books when the cycle starts, as after a reconciled day.
        opening_balance=cu.settlement_balance(),
        seed=plan.seed,
    )
    bank = SettlementBank(book)
    meant_for: dict[str, str | None] = {}
    days: list[DayFigures] = []
    stopped = None
    for index in range(1, plan.days + 1):
        figures = DayFigures(cu.business_date())
        days.append(figures)
        try:
            drop = FileDrop(out, index, figures.business_date, figures)
            _business_day(cu, bank, plan, drop, meant_for)
            cu.close_day()
            figures.closed = True
        except (FileRefused, StepFailed) as exc:
            # What the simulation is for: the figures so far say where it stopped, and why.
            stopped = str(exc)
        finally:
            save_book(book, out)
        echo(_said(figures, stopped))
        if stopped is not None:
            break
    return _summary(plan, days, stopped)


def _said(f: DayFigures, stopped: str | None) -> str:
    return (
        f"{f.business_date}: {f.payments_sent} payments sent ({f.payments_settled} settled, "
        f"{f.payments_rejected} rejected, {f.payments_returned} returned), "
        f"{f.credits_received} credits ({f.credits_applied} applied, {f.credits_unmatched} to "
        f"suspense), statement: {f.statement_breaks} breaks, difference "
        f"{f.balance_difference or '-'}; {f.loan or 'no payouts asked'}; "
        + ("day closed" if f.closed else f"stopped: {stopped}")
    )
