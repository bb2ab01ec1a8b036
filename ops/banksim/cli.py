"""`python -m ops.banksim respond|credits|statement|cycle`: the settlement bank, offline.

`respond` answers a file the credit union sent: a pain.001, a pain.008 of direct debits,
or a NACHA file of credits or debits. `respond`, `credits` and `statement` play one bank across runs: its book of the credit
union's account is kept in the output directory (`bank-book.json`), created by the first
of them. Their files are imported with `creditunion payments import`. `cycle` runs whole
business days against the configured database, importing everything itself.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Annotated, Final

import typer

from creditunion.business_date.clock import today_in_zone
from creditunion.errors import DomainError
from creditunion.payments.bank_files import FILE_BYTES_MAX
from creditunion.payments.config import PaymentConfig, payment_config
from creditunion.payments.iso20022 import pain008
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.pain001 import read_pain001
from creditunion.payments.outbound_files import NACHA_ZONE
from creditunion.payments.settlement_calendar import Rail
from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.settings import Settings, get_settings
from launch.cli.db import require_schema_at_head
from ledger.money import Money
from ops.banksim.ach_bank import ach_credits, respond_ach
from ops.banksim.book import SettlementBook
from ops.banksim.book_file import load_book, save_book
from ops.banksim.cycle import CyclePlan, run_cycle
from ops.banksim.members import payees
from ops.banksim.uk_bank import Misbehaviour, SettlementBank

app = typer.Typer(no_args_is_help=True, help="The settlement bank, played offline.")

SEED_MAX: Final = 2**63 - 1
HEAD_BYTES: Final = 4096
PAIN008_NAMESPACE: Final = f"urn:iso:std:iso:20022:tech:xsd:{pain008.MESSAGE}".encode()

OutOption = Annotated[Path, typer.Option("--out", help="Directory the bank's files go to.")]
SeedOption = Annotated[
    int | None,
    typer.Option(
        min=0, max=SEED_MAX, help="Seeds every choice; random (and printed) if not given."
    ),
]
DateOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--date", formats=["%Y-%m-%d"], help="The booking date (the credit union's business date)."
    ),
]
ShareOption = Annotated[float, typer.Option(min=0.0, max=1.0)]
MisbehaveOption = Annotated[
    Misbehaviour | None, typer.Option(help="Write a file the credit union must refuse.")
]
OpeningOption = Annotated[
    str, typer.Option(help="The account's balance at the bank when a new book starts.")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _seed(seed: int | None) -> int:
    if seed is not None:
        return seed
    chosen = secrets.randbelow(10**9)
    typer.echo(f"seed {chosen}")
    return chosen


def _day(date: dt.datetime | None, settings: Settings) -> dt.date:
    return date.date() if date is not None else today_in_zone(settings.zone)


def _load(out: Path) -> SettlementBook | None:
    try:
        return load_book(out)
    except ValueError as exc:
        raise _fail(f"{out}: its bank-book.json is not a bank's book: {exc}") from exc


def _book(
    out: Path, account: SortCodeAccount, currency: str, seed: int | None, opening: str
) -> SettlementBook:
    """The book kept in `out`, or a new one for `account`; refuses a book of another account
    or another seed."""
    out.mkdir(parents=True, exist_ok=True)
    book = _load(out)
    if book is None:
        try:
            balance = Money(opening, currency)
        except ValueError as exc:
            raise _fail(f"--opening-balance: {exc}") from exc
        return SettlementBook(account, currency, balance, _seed(seed))
    if book.account != account:
        raise _fail(f"{out} holds the book of account {book.account.identifier}: use another --out")
    if seed is not None and seed != book.seed:
        raise _fail(f"{out} holds a book seeded {book.seed}: use another --out for seed {seed}")
    return book


def _write(out: Path, day: dt.date, book: SettlementBook, kind: str, content: bytes) -> Path:
    path = out / f"{day}-{book.messages:04d}-{kind}.xml"
    path.write_bytes(content)
    return path


def _nacha_now() -> dt.datetime:
    """A NACHA file's creation time: local to the Federal Reserve, at a whole minute."""
    return dt.datetime.now(NACHA_ZONE).replace(tzinfo=None, second=0, microsecond=0)


@app.command("respond")
def respond(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A file we sent.")],
    out: OutOption,
    reject_share: ShareOption = 0.05,
    return_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="pain.001: settled ones sent back.")
    ] = 0.0,
    change_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="NACHA: notifications of change (C01).")
    ] = 0.0,
    seed: SeedOption = None,
    date: DateOption = None,
    opening_balance: OpeningOption = "0.00",
    misbehave: MisbehaveOption = None,
) -> None:
    """Answer a pain.001 with a pain.002 (and a camt.054 of returns); a pain.008 with the
    pain.002 of the direct debits left unpaid (the reject share; the others credited on
    the collection date); or a NACHA file with its returns (the reject share: credits
    R01/R03/R04, debits R01/R02/R03/R08/R10) and notifications of change."""
    settings = get_settings()
    day = _day(date, settings)
    if file.stat().st_size > FILE_BYTES_MAX:
        raise _fail(f"{file}: larger than {FILE_BYTES_MAX // (1024 * 1024)} MiB")
    content = file.read_bytes()
    try:
        if not content.lstrip().startswith(b"<"):
            answer = respond_ach(
                content,
                seed=_seed(seed),
                day=day,
                created_at=_nacha_now(),
                return_share=reject_share,
                change_share=change_share,
                addressed_to=_receiving_routing(settings),
            )
            if answer.content is None:
                typer.echo("every entry went through: nothing to send back")
                return
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"{day}-ach-returns-{_nacha_now():%H%M}.ach"
            path.write_bytes(answer.content)
            typer.echo(f"{path}: {len(answer.returned)} returned, {len(answer.changed)} changed")
            return
        if PAIN008_NAMESPACE in content[:HEAD_BYTES]:
            _collect(content, out, day, settings, reject_share, seed, opening_balance, misbehave)
            return
        batch = read_pain001(content)
        currency = batch.payments[0].amount.currency
        book = _book(out, batch.debtor_account, currency, seed, opening_balance)
        bank = SettlementBank(book, misbehaviour=misbehave)
        now = dt.datetime.now(settings.zone)
        status = bank.respond(content, day=day, at=now, reject_share=reject_share)
        path = _write(out, day, book, "pain002", status.content)
        typer.echo(f"{path}: {len(status.settled)} settled, {len(status.rejected)} rejected")
        returns = bank.send_back(day=day, at=now, return_share=return_share)
        if returns is not None:
            path = _write(out, day, book, "camt054-returns", returns.content)
            typer.echo(f"{path}: {len(returns.returned)} returned")
        save_book(book, out)
    except (DomainError, ValueError) as exc:
        raise _fail(f"{file}: {exc}") from exc


def _collect(
    content: bytes,
    out: Path,
    day: dt.date,
    settings: Settings,
    unpaid_share: float,
    seed: int | None,
    opening_balance: str,
    misbehave: Misbehaviour | None,
) -> None:
    """A pain.008: the direct debits paid are credited on the collection date, the unpaid
    ones reported at once (never credited)."""
    batch = pain008.read_pain008(content)
    currency = batch.collections[0].amount.currency
    book = _book(out, batch.creditor_account, currency, seed, opening_balance)
    bank = SettlementBank(book, misbehaviour=misbehave)
    taken = bank.take_direct_debits(content, unpaid_share=unpaid_share, late_share=0.0)
    now = dt.datetime.now(settings.zone)
    for report in bank.unpaid_reports(day=taken.collection_date, at=now):
        path = _write(out, day, book, "pain002-unpaid", report.content)
        typer.echo(f"{path}: {len(report.unpaid)} unpaid")
    typer.echo(f"{len(taken.credited)} direct debits credited on {taken.collection_date}")
    save_book(book, out)


def _configured(settings: Settings) -> PaymentConfig:
    """The payment settings, or exit 2 naming every one missing for the rail."""
    wanted = [
        "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID",
        "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER",
    ]
    values = [settings.payment_settlement_bank_id, settings.payment_settlement_account_number]
    if settings.payment_rail == Rail.ACH.value:
        wanted += [
            "CREDITUNION_ACH_IMMEDIATE_ORIGIN",
            "CREDITUNION_ACH_COMPANY_ID",
            "CREDITUNION_ACH_ORIGINATING_DFI",
        ]
        values += [
            settings.ach_immediate_origin,
            settings.ach_company_id,
            settings.ach_originating_dfi,
        ]
    missing = [name for name, value in zip(wanted, values, strict=True) if value is None]
    if missing:
        raise _fail(
            "refusing to start: the payment settings are not configured for the "
            f"{settings.payment_rail} rail (set {', '.join(missing)}; see docs/payments.md)"
        )
    return payment_config(settings)


def _receiving_routing(settings: Settings) -> str:
    ach = _configured(settings).ach
    if ach is None:
        raise _fail("a NACHA file came while the configured rail is not ach")
    return ach.receiving_routing


@app.command("credits")
def credits(
    out: OutOption,
    count: Annotated[int, typer.Option(min=1, max=100_000, help="Credits to receive.")],
    unmatched_share: ShareOption = 0.1,
    seed: SeedOption = None,
    date: DateOption = None,
    opening_balance: OpeningOption = "0.00",
    misbehave: MisbehaveOption = None,
) -> None:
    """Credits received for members of the configured database: a camt.054 (UK rails) or
    a NACHA file of PPD credits (ACH)."""
    settings = get_settings()
    config = _configured(settings)
    day = _day(date, settings)
    require_schema_at_head()
    with unit_of_work(default_engine()) as session:
        members = payees(session)
    if config.rail is Rail.ACH:
        sent = ach_credits(
            members,
            seed=_seed(seed),
            day=day,
            created_at=_nacha_now(),
            credit_union_routing=config.ach.receiving_routing if config.ach else "",
            count=count,
            unmatched_share=unmatched_share,
        )
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{day}-ach-credits-{_nacha_now():%H%M}.ach"
        path.write_bytes(sent.content)
        typer.echo(f"{path}: {len(sent.credits)} credits")
        return
    account = SortCodeAccount(config.settlement_bank_id, config.settlement_account_number)
    book = _book(out, account, config.currency, seed, opening_balance)
    bank = SettlementBank(book, misbehaviour=misbehave)
    sent_uk = bank.pay_in(
        members,
        day=day,
        at=dt.datetime.now(settings.zone),
        count=count,
        unmatched_share=unmatched_share,
    )
    path = _write(out, day, book, "camt054-credits", sent_uk.content)
    save_book(book, out)
    matchable = sum(c.matchable for c in sent_uk.credits)
    typer.echo(f"{path}: {len(sent_uk.credits)} credits, {matchable} naming a member's number")


@app.command("statement")
def statement(
    out: OutOption,
    date: Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"])],
    misbehave: MisbehaveOption = None,
) -> None:
    """The camt.053 of a day of the book kept in --out."""
    settings = get_settings()
    book = _load(out)
    if book is None:
        raise _fail(f"{out} holds no bank's book: `respond` or `credits` start one")
    day = date.date()
    bank = SettlementBank(book, misbehaviour=misbehave)
    sent = bank.statement(day=day, at=dt.datetime.now(settings.zone))
    path = _write(out, day, book, "camt053", sent.content)
    save_book(book, out)
    typer.echo(f"{path}: {sent.lines} lines, opening {sent.opening}, closing {sent.closing}")


@app.command("cycle")
def cycle(
    out: OutOption,
    days: Annotated[int, typer.Option(min=1, max=366)] = 1,
    seed: SeedOption = None,
    payments_per_day: Annotated[int, typer.Option(min=0, max=10_000)] = 10,
    credits_per_day: Annotated[int, typer.Option(min=0, max=10_000)] = 8,
    reject_share: ShareOption = 0.1,
    return_share: ShareOption = 0.1,
    unmatched_share: ShareOption = 0.25,
    unpaid_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Direct debits the members' banks leave unpaid."),
    ] = 0.1,
    mandate_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Loans whose member sets up a direct debit."),
    ] = 0.8,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the summary.")
    ] = None,
) -> None:
    """Whole business days against the configured database, each closed, on its rail (UK
    or ACH): payouts, loans (most collected by direct debit, --unpaid-share of the debits
    left unpaid by the members' banks), credits received. Every file exchanged is left in
    --out and the figures printed as JSON (exit 1 if a file was refused or a day would
    not close: `stopped` in the figures says why)."""
    settings = get_settings()
    if settings.environment == "production":
        raise _fail("refusing to start: the cycle closes business days; never on production")
    config = _configured(settings)
    require_schema_at_head()
    plan = CyclePlan(
        days=days,
        seed=_seed(seed),
        payments_per_day=payments_per_day,
        credits_per_day=credits_per_day,
        reject_share=reject_share,
        return_share=return_share,
        unmatched_share=unmatched_share,
        unpaid_share=unpaid_share,
        mandate_share=mandate_share,
    )
    try:
        summary = run_cycle(
            default_engine(), settings=settings, config=config, out=out, plan=plan, echo=typer.echo
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    text = json.dumps(summary, indent=2)
    typer.echo(text)
    if json_path is not None:
        json_path.write_text(text + "\n")
    if summary["stopped"] is not None:
        raise typer.Exit(1)
