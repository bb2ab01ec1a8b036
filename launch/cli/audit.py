"""`creditunion export ...` and `creditunion audit verify|seal`.

Exports and verification read through `read_engine()`: the replica named by
DATABASE_READ_URL when one is configured, so an audit does not load the primary.

Each export command is one small function that builds its report and hands it to
`_export`; another report (the audit log, say) is one more such function.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Final

import typer
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from creditunion.audit.commands import seal_closed_day
from creditunion.exports.audit_log import AuditLogFilter, audit_log_report
from creditunion.exports.reconciliation import reconciliation_report
from creditunion.exports.service import (
    Verification,
    record_verification,
    record_written_export,
)
from creditunion.platform.database import (
    default_engine,
    make_engine,
    resolve_database_url,
    unit_of_work,
)
from creditunion.platform.settings import get_settings
from creditunion.reconciliation import reconcile
from launch.cli.context import operator_context
from launch.cli.db import require_schema_at_head
from launch.cli.operator import current_operator
from ledger.export.camt053 import NothingToState
from ledger.export.gl import general_ledger
from ledger.export.journal import JournalFilter, journal_listing
from ledger.export.report import Report
from ledger.export.run import (
    ExportFormat,
    ExportResult,
    UnsupportedFormat,
    snapshot,
    write_camt053,
    write_report,
)
from ledger.export.statement import StatementFilter, statement_report
from ledger.export.trial_balance import trial_balance_report
from ledger.periods import closed_through
from ledger.seal import ONE_DAY, SealRefused, last_seal, next_date_to_seal
from ledger.verify import verify

# An export's first fetch may sort a year of postings; a replica can afford the wait.
EXPORT_STATEMENT_TIMEOUT_MS: Final = 30 * 60 * 1000
SEAL_DAYS_MAX: Final = 3_660

export_app = typer.Typer(no_args_is_help=True, help="Auditors' exports, each with a manifest.")
audit_app = typer.Typer(no_args_is_help=True, help="Tamper evidence: day seals and verify.")

DateOption = Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])]
FromOption = Annotated[dt.datetime, typer.Option("--from", formats=["%Y-%m-%d"])]
ToOption = Annotated[dt.datetime, typer.Option("--to", formats=["%Y-%m-%d"])]
FormatOption = Annotated[ExportFormat, typer.Option("--format", case_sensitive=False)]
OutOption = Annotated[Path, typer.Option("--out", help="File to write (parts go beside it).")]
AmountOption = Annotated[str | None, typer.Option(help="A decimal amount, e.g. 100.00.")]


def read_engine() -> Engine:
    """An engine on the read replica (DATABASE_READ_URL) if configured, else the primary."""
    settings = get_settings()
    url = settings.database_read_url or resolve_database_url(settings)
    patient = settings.model_copy(update={"db_statement_timeout_ms": EXPORT_STATEMENT_TIMEOUT_MS})
    return make_engine(url, patient, pool_size=2)


def _decimal(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.strip())
    except decimal.InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not a decimal amount", param_hint=option) from None
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter("amounts are finite and not negative", param_hint=option)
    return amount


def _export(build: Callable[[Session], Report], export_format: ExportFormat, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    engine = read_engine()
    try:
        with snapshot(engine) as session:
            report = build(session)
            result: ExportResult = (
                write_camt053(session, report, out)
                if export_format is ExportFormat.CAMT053
                else write_report(session, report, export_format, out)
            )
    except (UnsupportedFormat, NothingToState, ValueError, LookupError) as exc:
        typer.echo(f"export refused: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    # On the primary, once the files are written: who exported what, and every hash.
    with unit_of_work(default_engine()) as session:
        record_written_export(
            session,
            actor=current_operator(),
            manifest=result.manifest,
            manifest_path=result.manifest_path,
        )
    for name, part in result.manifest["parts"].items():
        typer.echo(f"{name}: {part['rows']} rows")
    for path in result.files:
        typer.echo(f"wrote {path}")
    typer.echo(f"manifest {result.manifest_path}")


@export_app.command("gl")
def export_gl(
    from_date: FromOption, to_date: ToOption, export_format: FormatOption, out: OutOption
) -> None:
    """General-ledger detail (every posting) and each account's opening and closing balance."""
    start, end = from_date.date(), to_date.date()
    _export(lambda s: general_ledger(s, from_date=start, to_date=end), export_format, out)


@export_app.command("trial-balance")
def export_trial_balance(
    to_date: Annotated[
        dt.datetime,
        typer.Option("--as-of", "--to", formats=["%Y-%m-%d"], help="As of (the API's as_of)."),
    ],
    export_format: FormatOption,
    out: OutOption,
    from_date: Annotated[
        dt.datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="Accepted for symmetry; unused."),
    ] = None,
) -> None:
    """Trial balance as of a date (--as-of), grouped by type, with totals per currency."""
    as_of = to_date.date()
    if from_date is not None and from_date.date() > as_of:
        raise typer.BadParameter("--from is after --as-of", param_hint="--from")
    _export(lambda s: trial_balance_report(s, as_of=as_of), export_format, out)


@export_app.command("journal")
def export_journal(
    from_date: FromOption,
    to_date: ToOption,
    export_format: FormatOption,
    out: OutOption,
    account: Annotated[str | None, typer.Option(help="Entries with a line on this code.")] = None,
    kind: Annotated[str | None, typer.Option(help="Entries of this kind.")] = None,
    posted_by: Annotated[str | None, typer.Option(help="Entries posted by this user.")] = None,
    min_amount: AmountOption = None,
    max_amount: AmountOption = None,
    currency: Annotated[str, typer.Option(help="Currency of the amount range.")] = "GBP",
) -> None:
    """Journal listing: whole entries chosen by account, kind, user and size."""
    journal_filter = JournalFilter(
        from_date=from_date.date(),
        to_date=to_date.date(),
        account_code=account,
        kind=kind,
        posted_by=posted_by,
        min_amount=_decimal(min_amount, "--min-amount"),
        max_amount=_decimal(max_amount, "--max-amount"),
        currency=currency.upper(),
    )
    _export(lambda s: journal_listing(s, journal_filter=journal_filter), export_format, out)


@export_app.command("statement")
def export_statement(
    account: Annotated[str, typer.Option(help="The account's code.")],
    from_date: FromOption,
    to_date: ToOption,
    export_format: FormatOption,
    out: OutOption,
    kind: Annotated[str | None, typer.Option(help="Lines of this kind.")] = None,
    min_amount: AmountOption = None,
    max_amount: AmountOption = None,
) -> None:
    """One account's statement: opening, lines with running balance, closing."""
    statement_filter = StatementFilter(
        account_code=account,
        from_date=from_date.date(),
        to_date=to_date.date(),
        kind=kind,
        min_amount=_decimal(min_amount, "--min-amount"),
        max_amount=_decimal(max_amount, "--max-amount"),
    )
    _export(lambda s: statement_report(s, statement_filter=statement_filter), export_format, out)


@export_app.command("audit-log")
def export_audit_log(
    from_date: FromOption, to_date: ToOption, export_format: FormatOption, out: OutOption
) -> None:
    """The audit trail (staff actions, sign-ins, ...) of the range's days in the business zone."""
    audit_filter = AuditLogFilter(from_date=from_date.date(), to_date=to_date.date())
    zone = get_settings().zone
    _export(lambda s: audit_log_report(s, audit_filter=audit_filter, zone=zone), export_format, out)


@export_app.command("reconciliation")
def export_reconciliation(
    as_of: Annotated[
        dt.datetime, typer.Option("--as-of", "--to", formats=["%Y-%m-%d"], help="As at.")
    ],
    export_format: FormatOption,
    out: OutOption,
) -> None:
    """Loan book and members' shares against their ledger accounts as at a date, per
    account with differences."""
    day = as_of.date()
    _export(lambda s: reconciliation_report(s, as_of=day), export_format, out)


@audit_app.command("verify")
def audit_verify(
    from_date: Annotated[dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"])] = None,
    to_date: Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"])] = None,
) -> None:
    """Recompute the sealed days' hash chain, check invariants 1-3 and reconcile the loan
    book and members' shares with the ledger (as at --to, else the business date); exit 1
    on a break."""
    engine = read_engine()
    try:
        with snapshot(engine) as session:
            report = verify(
                session,
                from_date=None if from_date is None else from_date.date(),
                to_date=None if to_date is None else to_date.date(),
            )
            as_of = to_date.date() if to_date is not None else _books_date(session)
            reconciled = None if as_of is None else reconcile(session, as_of=as_of)
            sealed = last_seal(session)
    finally:
        engine.dispose()
    # Who verified what and with which result, as the API's verification is recorded.
    with unit_of_work(default_engine()) as session:
        record_verification(
            session,
            actor=current_operator(),
            verification=Verification(report, None if sealed is None else sealed.business_date),
        )
    typer.echo(
        f"verified {report.days_verified} sealed days, {report.entries_verified} entries, "
        f"{report.postings_verified} postings"
    )
    if reconciled is not None:
        typer.echo(reconciled.summary() if reconciled.ok else f"BROKEN: {reconciled.summary()}")
    if report.first_break is not None:
        typer.echo(f"BROKEN: {report.first_break}", err=True)
    if report.first_break is not None or (reconciled is not None and not reconciled.ok):
        raise typer.Exit(1)
    typer.echo("ok: the seals, the ledger's invariants and the reconciliation hold")


def _books_date(session: Session) -> dt.date | None:
    """The business date, or the journal's last date where none is set (a bare ledger)."""
    value = session.scalar(
        text(
            "SELECT coalesce((SELECT business_date FROM business_calendar), "
            "(SELECT max(business_date) FROM journal_entries))"
        )
    )
    assert value is None or isinstance(value, dt.date)
    return value


@audit_app.command("seal")
def audit_seal(
    through: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day to seal (default: last closed)."),
    ] = None,
) -> None:
    """Seal every closed day after the last sealed one, in order (close of business does
    this itself; this catches up days closed before sealing existed). The operator
    (`--actor`) is recorded on each seal and in the audit trail."""
    require_schema_at_head()
    engine = default_engine()
    with unit_of_work(engine) as session:
        start = next_date_to_seal(session)
        closed = closed_through(session)
    last = closed if through is None or closed is None else min(closed, through.date())
    if start is None or last is None or start > last:
        typer.echo("nothing to seal")
        return
    day = start
    for _ in range(SEAL_DAYS_MAX):
        if day > last:
            break
        try:
            with unit_of_work(engine) as session:
                context = operator_context(session, business_date=day)
                seal = seal_closed_day(session, context, day=day)
        except SealRefused as exc:
            typer.echo(f"seal refused: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"sealed {day}: {seal.entry_count} entries, seal {seal.seal_hash.hex()}")
        day += ONE_DAY
    else:
        typer.echo(f"stopped after {SEAL_DAYS_MAX} days; run again to go on")
