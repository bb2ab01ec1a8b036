"""Full business days between the credit union (its database, through its own commands) and
the simulated settlement bank, every file exchanged left in a directory.

A day: staff pay some members out to their nominated accounts; a member takes a loan to
theirs (when the database has a lending product) and, most often, sets up a direct debit
for it in the app; the credit union produces its file of payments and the bank takes it;
the bank receives credits for members (some that match nobody), sends some payments back
and reports the direct debits the members' banks left unpaid; the credit union imports
each file; staff work the suspense queue; close of business closes the day, collecting the
day's direct debits and writing the file of those to collect next, which the bank takes;
then the bank's statement of the day is imported and reconciled (the lines of direct
debits collected on the day need close of business to have collected them), and the
ledger's invariants are checked.

On the UK rails the bank answers a pain.001 with a pain.002 and sends payments back by
camt.054; on ACH the ODFI settles our credits on their effective date and returns some the
day after, and sends no statement the credit union can take (its camt.053 names sort code
accounts): the ODFI's closing balance is set against the ledger's instead.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from creditunion.cob.runner import StepFailed
from creditunion.payments.config import PaymentConfig, PaymentsNotConfigured, payment_config
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.outbound_files import NACHA_ZONE
from creditunion.payments.settlement_calendar import Rail
from creditunion.platform.settings import Settings, get_settings
from ops.banksim.ach_bank import Odfi
from ops.banksim.book import Kind, RoutingAccount, SettlementBook
from ops.banksim.book_file import load_book, save_book
from ops.banksim.credit_union import CreditUnion, FileRefused, at
from ops.banksim.uk_bank import SettlementBank, check_share

DAYS_MAX: Final = 366
PAYMENTS_PER_DAY_MAX: Final = 10_000
CREDITS_PER_DAY_MAX: Final = 10_000
# Most members agree that a collection their bank leaves unpaid may be asked for again.
REPRESENT_AGREED_SHARE: Final = 0.8
# Of the direct debits left unpaid, the share the UK bank credits on the collection date
# and debits back the day after (the others it reports on the date, never credited).
LATE_UNPAID_SHARE: Final = 0.5


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
    # Direct debits the members' banks leave unpaid, and loans given a mandate.
    unpaid_share: float = 0.1
    mandate_share: float = 0.8

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
        check_share(self.unpaid_share, "the unpaid share")
        check_share(self.mandate_share, "the mandate share")


@dataclass(slots=True)
class DayFigures:
    business_date: dt.date
    payouts_made: int = 0
    payouts_refused: int = 0
    nominations_made: int = 0
    loan: str = ""
    loans_disbursed: int = 0
    mandate: str = ""
    mandates_set_up: int = 0
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
    direct_debits_sent: int = 0  # in the files close of business wrote
    direct_debits_credited: int = 0  # by the bank, on their collection date
    direct_debits_unpaid: int = 0  # made unpaid by the bank's reports imported
    statement_lines: int = 0
    # None on ACH: no statement is imported, so nothing is matched.
    statement_matched: int | None = None
    statement_breaks: int | None = None
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


@dataclass(slots=True)
class _Run:
    """What a cycle carries from day to day."""

    cu: CreditUnion
    plan: CyclePlan
    # Why no mandate is set up, or None when they are.
    no_mandates: str | None
    meant_for: dict[str, str | None] = field(default_factory=dict)


def _nacha_time(moment: dt.datetime) -> dt.datetime:
    """A NACHA file's creation time: local to the Federal Reserve, at a whole minute."""
    return moment.astimezone(NACHA_ZONE).replace(tzinfo=None, second=0, microsecond=0)


def _lend(run: _Run, rng: random.Random, f: DayFigures, key: str) -> None:
    """Payouts, a loan to a member just paid out, and their mandate for it."""
    cu, plan = run.cu, run.plan
    payouts = cu.pay_out(rng, count=plan.payments_per_day, key_prefix=key)
    f.payouts_made, f.payouts_refused = payouts.made, payouts.refused
    f.nominations_made = payouts.nominated
    loan = cu.disburse_loan(rng, payouts.members, key_prefix=key)
    f.loan, f.loans_disbursed = loan.said, int(loan.payment_id is not None)
    if loan.loan_id is None or loan.member_id is None:
        return
    if run.no_mandates is not None:
        f.mandate = run.no_mandates
    elif rng.random() < plan.mandate_share:
        agreed = rng.random() < REPRESENT_AGREED_SHARE
        f.mandate = cu.set_up_mandate(loan.loan_id, loan.member_id, represent_agreed=agreed)
        f.mandates_set_up = int(f.mandate.startswith("mandate "))


def _work_suspense(run: _Run, f: DayFigures) -> None:
    work = run.cu.work_suspense(run.meant_for)
    f.credits_assigned, f.credits_returned, f.credits_left = work.assigned, work.returned, work.left


def _check(run: _Run, f: DayFigures) -> None:
    f.payments_sub_ledger_ok = run.cu.payments_reconcile()
    f.invariants_ok = run.cu.invariants_ok()


def _uk_day(run: _Run, bank: SettlementBank, drop: FileDrop) -> None:
    """The day up to close of business on the UK rails."""
    cu, plan = run.cu, run.plan
    day, f, settings = drop.day, drop.figures, cu.settings
    rng = random.Random(f"{plan.seed}/credit-union/{day}")
    if plan.payments_per_day:
        _lend(run, rng, f, f"{plan.seed}:{day}")
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
        run.meant_for.update({c.reference: c.meant_for for c in credits.credits})
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
    for unpaid in bank.unpaid_reports(day=day, at=at(day, 17, 0, settings)):
        drop.put("pain002-unpaid", unpaid.content)
        f.direct_debits_unpaid += cu.import_file(unpaid.content, "pain.002 of unpaid").unpaid
    _work_suspense(run, f)


def _uk_closed(run: _Run, bank: SettlementBank, drop: FileDrop) -> None:
    """After close of business: the bank takes the direct debit files, then the day's
    statement is imported and reconciled."""
    cu, day, f = run.cu, drop.day, drop.figures
    for content in cu.collection_files(day):
        drop.put("pain008", content)
        taken = bank.take_direct_debits(
            content, unpaid_share=run.plan.unpaid_share, late_share=LATE_UNPAID_SHARE
        )
        f.direct_debits_sent += taken.count
    f.direct_debits_credited = sum(b.kind is Kind.DIRECT_DEBIT for b in bank.book.on(day))
    next_morning = at(day + dt.timedelta(days=1), 6, 0, cu.settings)
    statement = bank.statement(day=day, at=next_morning)
    drop.put("camt053", statement.content)
    reconciled = cu.import_file(statement.content, "camt.053").statement
    assert reconciled is not None, "a camt.053 imports as a statement"
    f.statement_lines, f.statement_matched = reconciled.lines, reconciled.matched
    f.statement_breaks = reconciled.breaks
    f.balance_difference = str(reconciled.balance_difference.amount)
    _check(run, f)


def _us_day(run: _Run, odfi: Odfi, drop: FileDrop) -> None:
    """The day up to close of business on ACH."""
    cu, plan = run.cu, run.plan
    day, f, settings = drop.day, drop.figures, cu.settings
    rng = random.Random(f"{plan.seed}/credit-union/{day}")
    if plan.payments_per_day:
        _lend(run, rng, f, f"{plan.seed}:{day}")
    produced = cu.produce(at(day, 15, 0, settings))
    if produced is not None:
        view, content = produced
        drop.put("ach-payments", content, ".ach")
        taken = odfi.take(content, return_share=plan.return_share, unpaid_share=0.0)
        f.payments_sent, f.payments_settled = view.item_count, len(taken.settled)
    if plan.credits_per_day:
        credits = odfi.pay_in(
            cu.payees(),
            day=day,
            created_at=_nacha_time(at(day, 16, 0, settings)),
            count=plan.credits_per_day,
            unmatched_share=plan.unmatched_share,
        )
        run.meant_for.update({c.reference: c.meant_for for c in credits.credits})
        drop.put("ach-credits", credits.content, ".ach")
        received = cu.import_file(credits.content, "NACHA credits")
        f.credits_received = len(credits.credits)
        f.credits_matchable = sum(c.matchable for c in credits.credits)
        f.credits_applied, f.credits_unmatched = (
            received.credits_applied,
            received.credits_unmatched,
        )
    returns = odfi.returns(day=day, created_at=_nacha_time(at(day, 16, 30, settings)))
    if returns is not None and returns.content is not None:
        drop.put("ach-returns", returns.content, ".ach")
        imported = cu.import_file(returns.content, "NACHA returns")
        f.payments_returned, f.direct_debits_unpaid = imported.returned, imported.unpaid
    _work_suspense(run, f)


def _us_closed(run: _Run, odfi: Odfi, drop: FileDrop) -> None:
    """After close of business: the ODFI takes the debit file, and its closing balance is
    set against the ledger's."""
    cu, day, f = run.cu, drop.day, drop.figures
    for content in cu.collection_files(day):
        drop.put("ach-debits", content, ".ach")
        taken = odfi.take(content, return_share=0.0, unpaid_share=run.plan.unpaid_share)
        f.direct_debits_sent += len(taken.settled)
    bookings = odfi.book.on(day)
    f.direct_debits_credited = sum(b.kind is Kind.DIRECT_DEBIT for b in bookings)
    f.statement_lines = len(bookings)
    f.balance_difference = str((odfi.closing(day) - cu.settlement_balance(day)).amount)
    _check(run, f)


def _summary(
    plan: CyclePlan, cu: CreditUnion, days: list[DayFigures], stopped: str | None
) -> dict[str, Any]:
    def total(name: str) -> int:
        return sum(int(getattr(d, name)) for d in days)

    collections = cu.collection_figures()
    return {
        "seed": plan.seed,
        "rail": cu.config.rail.value,
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
            # What the last day's work left: the queue carries it from day to day.
            "left_in_suspense": days[-1].credits_left if days else 0,
        },
        "direct_debits": {
            "mandates_set_up": total("mandates_set_up"),
            "sent": total("direct_debits_sent"),
            "credited": total("direct_debits_credited"),
            "unpaid": total("direct_debits_unpaid"),
            "represented": collections.represented,
            "stopped": collections.stopped,
            "unpaid_by_reason": collections.unpaid_by_reason,
            "collections_by_status": collections.collections,
            "mandates_by_status": collections.mandates,
        },
        "statement_breaks_per_day": [d.statement_breaks for d in days],
        "balance_difference_per_day": [d.balance_difference for d in days],
        "payments_sub_ledger_ok": all(d.payments_sub_ledger_ok for d in days),
        "invariants_ok": all(d.invariants_ok for d in days),
        "files": sum(len(d.files) for d in days),
        "per_day": [asdict(d) | {"business_date": str(d.business_date)} for d in days],
    }


def _no_mandates(config: PaymentConfig, plan: CyclePlan) -> str | None:
    """Why the cycle sets up no mandate, or None. Raises `CycleRefused` when close of
    business (which reads the payment settings from the environment) would not collect
    under the cycle's settings."""
    if plan.mandate_share == 0:
        return "no mandates asked for"
    if config.collection_rail is Rail.BACS and config.service_user_number is None:
        return "no mandate: CREDITUNION_BACS_SERVICE_USER_NUMBER is not set"
    try:
        closing = payment_config(get_settings())
    except PaymentsNotConfigured:
        closing = None
    if closing != config:
        raise CycleRefused(
            "close of business reads the payment settings from the environment, and they are"
            " not the cycle's: it would not collect the direct debits the cycle sets up"
        )
    return None


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
    stay done). Raises `CycleRefused` before doing anything for a directory that already
    holds a bank's book, or settings close of business would not collect under."""
    no_mandates = _no_mandates(config, plan)
    out.mkdir(parents=True, exist_ok=True)
    if load_book(out) is not None:
        raise CycleRefused(f"{out} already holds a bank's book: give the cycle a new directory")
    cu = CreditUnion(engine, settings, config)
    run = _Run(cu, plan, no_mandates)
    # The bank agrees with the books when the cycle starts, as after a reconciled day.
    opening = cu.settlement_balance()
    before: Callable[[FileDrop], None]
    after: Callable[[FileDrop], None]
    if config.ach is not None:
        account = RoutingAccount(config.settlement_bank_id, config.settlement_account_number)
        book = SettlementBook(account, config.currency, opening, plan.seed)
        odfi = Odfi(book, addressed_to=config.ach.receiving_routing)
        before, after = partial(_us_day, run, odfi), partial(_us_closed, run, odfi)
    else:
        uk = SortCodeAccount(config.settlement_bank_id, config.settlement_account_number)
        book = SettlementBook(uk, config.currency, opening, plan.seed)
        bank = SettlementBank(book)
        before, after = partial(_uk_day, run, bank), partial(_uk_closed, run, bank)
    days: list[DayFigures] = []
    stopped = None
    for index in range(1, plan.days + 1):
        figures = DayFigures(cu.business_date())
        days.append(figures)
        drop = FileDrop(out, index, figures.business_date, figures)
        try:
            before(drop)
            cu.close_day()
            figures.closed = True
            after(drop)
        except (FileRefused, StepFailed) as exc:
            # What the simulation is for: the figures so far say where it stopped, and why.
            stopped = str(exc)
        finally:
            save_book(book, out)
        echo(_said(figures, stopped))
        if stopped is not None:
            break
    return _summary(plan, cu, days, stopped)


def _said(f: DayFigures, stopped: str | None) -> str:
    breaks = "no statement" if f.statement_breaks is None else f"{f.statement_breaks} breaks"
    return (
        f"{f.business_date}: {f.payments_sent} payments sent ({f.payments_settled} settled, "
        f"{f.payments_rejected} rejected, {f.payments_returned} returned), "
        f"{f.credits_received} credits ({f.credits_applied} applied, {f.credits_unmatched} to "
        f"suspense), direct debits: {f.direct_debits_sent} sent, {f.direct_debits_credited} "
        f"credited, {f.direct_debits_unpaid} unpaid; statement: {breaks}, difference "
        f"{f.balance_difference or '-'}; {f.loan or 'no payouts asked'}"
        + (f"; {f.mandate}" if f.mandate else "")
        + ("; day closed" if f.closed else f"; stopped: {stopped}")
    )
