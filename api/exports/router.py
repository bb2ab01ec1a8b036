"""Auditors' exports over HTTP: the general ledger, trial balance, reconciliation, journal,
statements and the audit trail, each as one ZIP archive of its files and manifest
(auditors and managers).

Each export is read from one REPEATABLE READ, READ ONLY snapshot of the read engine (the
replica named by DATABASE_READ_URL when configured), written whole to a temporary file
with its manifest, recorded in the audit trail with every hash, and then streamed: the
route commits the audit record before the first byte is sent (see
creditunion.exports.archive for why the archive is built before it is sent).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Final

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.context import request_context
from api.iso_dates import IsoDate
from api.problems import InvalidField, RequestInvalid, problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission, Role
from creditunion.exports import service
from creditunion.exports.archive import Archive
from creditunion.exports.audit_log import AuditLogFilter, audit_log_report
from creditunion.exports.reconciliation import reconciliation_report
from ledger.accounts import AccountNotFound, get_account_by_code
from ledger.export.gl import general_ledger
from ledger.export.journal import JournalFilter, journal_listing
from ledger.export.report import Report
from ledger.export.run import ExportFormat
from ledger.export.statement import StatementFilter, statement_report
from ledger.export.trial_balance import trial_balance_report
from ledger.money import MoneyError, minor_unit_exponent

router = api_router(prefix="/exports", tags=["exports"])

# A year (and a leap day) per request: a financial year in one archive. Longer takes
# several requests, or `creditunion export` on a replica.
RANGE_DAYS_MAX: Final = 366
# Business dates, not every date Python can hold: the reports step a day past either end.
DATE_MIN: Final = dt.date(1900, 1, 1)
DATE_MAX: Final = dt.date(2999, 12, 31)
AMOUNT_PATTERN: Final = r"^(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$"
NO_CONTROL: Final = r"^[^\x00-\x1f\x7f]+$"
ID_MAX: Final = 2**63 - 1  # also the most minor units a BIGINT amount holds


class LedgerFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"
    CAMT053 = "camt053"


class TableFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"


def read_engine(request: Request) -> Engine:
    return request_context(request).read_engine()


ReadEngine = Annotated[Engine, Depends(read_engine)]
Exporter = Annotated[Actor, require(Permission.EXPORTS_READ)]
FromDate = Annotated[
    IsoDate, Query(alias="from", description="First business date of the range (inclusive).")
]
ToDate = Annotated[
    IsoDate, Query(alias="to", description="Last business date of the range (inclusive).")
]
LedgerFormatQuery = Annotated[LedgerFormat, Query(alias="format")]
TableFormatQuery = Annotated[TableFormat, Query(alias="format")]
Amount = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=AMOUNT_PATTERN,
        description='A decimal amount as text, e.g. "100.00" (no exponent, no sign).',
    ),
]
Kind = Annotated[
    str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9_.]{0,39}$", description="Entry kind.")
]
ZIP_RESPONSE: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "A ZIP archive: the export's files, then `<name>.manifest.json`.",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": 'attachment; filename="<stem>.<format>.zip"',
                "schema": {"type": "string"},
            },
            "Repr-Digest": {
                "description": "SHA-256 of the archive (RFC 9530), as in the audit record.",
                "schema": {"type": "string"},
            },
        },
    },
    **problem_responses(422),
}


class ZipStream(StreamingResponse):
    media_type = "application/zip"


def _date_error(name: str, value: dt.date) -> InvalidField | None:
    if DATE_MIN <= value <= DATE_MAX:
        return None
    return InvalidField("query", name, f"is not between {DATE_MIN} and {DATE_MAX}")


def check_date(name: str, value: dt.date) -> None:
    error = _date_error(name, value)
    if error is not None:
        raise RequestInvalid(error)


def check_range(from_date: dt.date, to_date: dt.date) -> None:
    """Both ends business dates, in order, at most RANGE_DAYS_MAX days apart; else 422."""
    errors = [e for e in (_date_error("from", from_date), _date_error("to", to_date)) if e]
    if errors:
        raise RequestInvalid(*errors)
    if from_date > to_date:
        raise RequestInvalid(InvalidField("query", "from", "is after `to`"))
    if (to_date - from_date).days + 1 > RANGE_DAYS_MAX:
        raise RequestInvalid(
            InvalidField("query", "to", f"a range is at most {RANGE_DAYS_MAX} days")
        )


def _amount(name: str, value: str | None, currency: str) -> Decimal | None:
    """A query amount, exact, with no more decimals than its currency has."""
    if value is None:
        return None
    exponent = minor_unit_exponent(currency)
    if len(value.partition(".")[2]) > exponent:
        raise RequestInvalid(
            InvalidField("query", name, f"{currency} amounts have at most {exponent} decimals")
        )
    amount = Decimal(value)
    if amount.scaleb(exponent) > ID_MAX:
        raise RequestInvalid(InvalidField("query", name, "is more than the ledger can hold"))
    return amount


def _amount_range(
    min_amount: str | None, max_amount: str | None, currency: str
) -> tuple[Decimal | None, Decimal | None]:
    low = _amount("min_amount", min_amount, currency)
    high = _amount("max_amount", max_amount, currency)
    if low is not None and high is not None and low > high:
        raise RequestInvalid(InvalidField("query", "max_amount", "is below `min_amount`"))
    return low, high


def _send(
    session: Session,
    actor: Actor,
    engine: Engine,
    build: Callable[[Session], Report],
    export_format: LedgerFormat | TableFormat,
) -> ZipStream:
    """Export, record it (committed by the route before the response goes), then stream."""
    try:
        archive = service.export_archive(
            engine, build=build, export_format=ExportFormat(export_format.value)
        )
    except AccountNotFound as exc:
        raise RequestInvalid(
            InvalidField("query", "account", "no ledger account has this code")
        ) from exc
    try:
        service.record_export(session, actor=actor, archive=archive)
    except BaseException:
        archive.close()
        raise
    return _stream(archive)


def _stream(archive: Archive) -> ZipStream:
    digest = base64.b64encode(bytes.fromhex(archive.sha256)).decode()
    return ZipStream(
        archive.chunks(),
        headers={
            "Content-Disposition": f'attachment; filename="{archive.name}"',
            "Content-Length": str(archive.size),
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "no-store",
        },
    )


@router.get("/gl", response_class=ZipStream, responses=ZIP_RESPONSE)
def export_gl(
    session: DbSession,
    actor: Exporter,
    engine: ReadEngine,
    from_date: FromDate,
    to_date: ToDate,
    export_format: LedgerFormatQuery,
) -> ZipStream:
    """General-ledger detail of a range: every posting, and each account's balances"""
    check_range(from_date, to_date)

    def build(s: Session) -> Report:
        return general_ledger(s, from_date=from_date, to_date=to_date)

    return _send(session, actor, engine, build, export_format)


@router.get("/trial-balance", response_class=ZipStream, responses=ZIP_RESPONSE)
def export_trial_balance(
    session: DbSession,
    actor: Exporter,
    engine: ReadEngine,
    as_of: Annotated[IsoDate, Query(description="The business date it is as of (its end).")],
    export_format: TableFormatQuery,
) -> ZipStream:
    """Trial balance as of a date, by account and type, with totals per currency"""
    check_date("as_of", as_of)

    def build(s: Session) -> Report:
        return trial_balance_report(s, as_of=as_of)

    return _send(session, actor, engine, build, export_format)


@router.get("/reconciliation", response_class=ZipStream, responses=ZIP_RESPONSE)
def export_reconciliation(
    session: DbSession,
    actor: Exporter,
    engine: ReadEngine,
    as_of: Annotated[IsoDate, Query(description="The business date it is as at (its end).")],
    export_format: TableFormatQuery,
) -> ZipStream:
    """Loan book and members' shares against their ledger accounts as at a date, per account with differences"""
    check_date("as_of", as_of)

    def build(s: Session) -> Report:
        return reconciliation_report(s, as_of=as_of)

    return _send(session, actor, engine, build, export_format)


@router.get("/journal", response_class=ZipStream, responses=ZIP_RESPONSE)
def export_journal(
    request: Request,
    session: DbSession,
    actor: Exporter,
    engine: ReadEngine,
    from_date: FromDate,
    to_date: ToDate,
    export_format: TableFormatQuery,
    account: Annotated[
        str | None,
        Query(max_length=64, pattern=NO_CONTROL, description="Entries with a line on this code."),
    ] = None,
    kind: Kind = None,
    posted_by: Annotated[
        str | None,
        Query(max_length=100, pattern=NO_CONTROL, description="Entries posted by this user."),
    ] = None,
    min_amount: Amount = None,
    max_amount: Amount = None,
    currency: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Z]{3}$",
            description="Currency of the amount range (default: the base currency).",
        ),
    ] = None,
) -> ZipStream:
    """Journal listing: whole entries chosen by account, kind, who posted and size"""
    check_range(from_date, to_date)
    currency = currency or request_context(request).settings.base_currency
    try:
        minor_unit_exponent(currency)
    except MoneyError as exc:
        raise RequestInvalid(
            InvalidField("query", "currency", "is not an ISO 4217 currency")
        ) from exc
    low, high = _amount_range(min_amount, max_amount, currency)
    journal_filter = JournalFilter(
        from_date=from_date,
        to_date=to_date,
        account_code=account,
        kind=kind,
        posted_by=posted_by,
        min_amount=low,
        max_amount=high,
        currency=currency,
    )

    def build(s: Session) -> Report:
        return journal_listing(s, journal_filter=journal_filter)

    return _send(session, actor, engine, build, export_format)


@router.get("/statement", response_class=ZipStream, responses=ZIP_RESPONSE)
def export_statement(
    session: DbSession,
    actor: Exporter,
    engine: ReadEngine,
    account: Annotated[
        str, Query(min_length=1, max_length=64, pattern=NO_CONTROL, description="Account code.")
    ],
    from_date: FromDate,
    to_date: ToDate,
    export_format: LedgerFormatQuery,
    kind: Kind = None,
    min_amount: Amount = None,
    max_amount: Amount = None,
) -> ZipStream:
    """One account's statement: opening balance, lines with running balance, closing"""
    check_range(from_date, to_date)
    filtered = kind is not None or min_amount is not None or max_amount is not None
    if export_format is LedgerFormat.CAMT053 and filtered:
        raise RequestInvalid(
            InvalidField(
                "query",
                "format",
                "a camt.053 statement carries every line: drop kind, min_amount and max_amount",
            )
        )
    statement_filter = StatementFilter(
        account_code=account,
        from_date=from_date,
        to_date=to_date,
        kind=kind,
        min_amount=None if min_amount is None else Decimal(min_amount),
        max_amount=None if max_amount is None else Decimal(max_amount),
    )

    def build(s: Session) -> Report:
        # The amounts are in the account's currency, known once the account is read.
        _amount_range(min_amount, max_amount, get_account_by_code(s, account).currency)
        return statement_report(s, statement_filter=statement_filter)

    return _send(session, actor, engine, build, export_format)


@router.get("/audit-log", response_class=ZipStream, responses=ZIP_RESPONSE)
def export_audit_log(
    request: Request,
    session: DbSession,
    actor: Exporter,
    engine: ReadEngine,
    from_date: FromDate,
    to_date: ToDate,
    export_format: TableFormatQuery,
    actor_user_id: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
    actor_role: Annotated[Role | None, Query(description="Records of users in this role.")] = None,
    action_prefix: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[a-z][a-z0-9_.]*$",
            description='Actions starting with this, e.g. "auth." or "export.".',
        ),
    ] = None,
    target_type: Annotated[str | None, Query(max_length=40, pattern=NO_CONTROL)] = None,
    target_id: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL)] = None,
) -> ZipStream:
    """The audit trail of a range (local days), with the audit-log list's filters"""
    check_range(from_date, to_date)
    audit_filter = AuditLogFilter(
        from_date=from_date,
        to_date=to_date,
        actor_user_id=actor_user_id,
        actor_role=None if actor_role is None else actor_role.value,
        action_prefix=action_prefix,
        target_type=target_type,
        target_id=target_id,
    )
    zone = request_context(request).settings.zone

    def build(s: Session) -> Report:
        return audit_log_report(s, audit_filter=audit_filter, zone=zone)

    return _send(session, actor, engine, build, export_format)
