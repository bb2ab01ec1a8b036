"""Auditors' evidence exports over HTTP: the chart of accounts and the
member, loan, interest, cut-off, access and settings reports, each as one ZIP archive of
its files and manifest, exactly as `creditunion export KIND` writes them.

They go the way of the ledger's exports (`api.exports.router`): read from one snapshot of
the read engine, archived, recorded in the audit trail with every hash, committed, then
streamed. Auditors and managers only (`exports:read`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from sqlalchemy.orm import Session

from api.exports.report_routes import AsOf, add_report_export, as_of_query, range_query
from api.exports.router import (
    RANGE_DAYS_MAX,
    ZIP_RESPONSE,
    Exporter,
    ReadEngine,
    TableFormatQuery,
    ZipStream,
    _send,
    check_date,
)
from api.iso_dates import IsoDate
from api.problems import InvalidField, RequestInvalid
from api.transactions import DbSession, api_router
from creditunion.exports.chart_of_accounts import chart_of_accounts_report
from creditunion.exports.cut_off import cut_off_report
from creditunion.exports.interest_report import interest_report
from creditunion.exports.loan_book import loan_book_report
from creditunion.exports.member_balances import member_balances_report
from creditunion.exports.settings_changes import settings_changes_report
from creditunion.exports.user_access import user_access_report
from ledger.export.report import Report

router = api_router(prefix="/exports", tags=["exports"])


add_report_export(
    router,
    "/chart-of-accounts",
    name="export_chart_of_accounts",
    summary="The chart of accounts as it stood at a date: type, parent, role, status, "
    "opened and closed",
    query=as_of_query,
    build=lambda s, q: chart_of_accounts_report(s, as_of=q.as_of, zone=q.zone),
)
add_report_export(
    router,
    "/member-balances",
    name="export_member_balances",
    summary="Each member and each share account's balance as at a date, from the journal",
    query=as_of_query,
    build=lambda s, q: member_balances_report(s, as_of=q.as_of),
)
add_report_export(
    router,
    "/cut-off",
    name="export_cut_off",
    summary="Entries of a period posted after its cut-off, back-dated or forward-dated, "
    "with who posted them and when",
    query=range_query,
    build=lambda s, q: cut_off_report(s, from_date=q.from_date, to_date=q.to_date, zone=q.zone),
)
add_report_export(
    router,
    "/interest-report",
    name="export_interest_report",
    summary="Savings interest and dividends per member for a period, posted and accrued",
    query=range_query,
    build=lambda s, q: interest_report(s, from_date=q.from_date, to_date=q.to_date),
)


@router.get("/loan-book", response_class=ZipStream, responses=ZIP_RESPONSE)
def export_loan_book(
    session: DbSession,
    actor: Exporter,
    engine: ReadEngine,
    as_of: AsOf,
    from_date: Annotated[
        IsoDate, Query(alias="from", description="First date of the write-off register.")
    ],
    export_format: TableFormatQuery,
) -> ZipStream:
    """Every loan as at a date with balances, days past due, ageing, provision and status; the write-offs and recoveries from `from`"""
    check_date("from", from_date)
    check_date("as_of", as_of)
    if from_date > as_of:
        raise RequestInvalid(InvalidField("query", "from", "is after `as_of`"))
    if (as_of - from_date).days + 1 > RANGE_DAYS_MAX:
        raise RequestInvalid(
            InvalidField("query", "from", f"the register covers at most {RANGE_DAYS_MAX} days")
        )

    def build(s: Session) -> Report:
        return loan_book_report(s, from_date=from_date, as_of=as_of)

    return _send(session, actor, engine, build, export_format)


add_report_export(
    router,
    "/user-access",
    name="export_user_access",
    summary="Staff logins and roles at the end of `to`, and their changes in the range",
    query=range_query,
    build=lambda s, q: user_access_report(s, from_date=q.from_date, to_date=q.to_date, zone=q.zone),
)
add_report_export(
    router,
    "/settings-changes",
    name="export_settings_changes",
    summary="Changes to configuration that affects money in a range, from the audit log, "
    "and what is and is not covered",
    query=range_query,
    build=lambda s, q: settings_changes_report(
        s, from_date=q.from_date, to_date=q.to_date, zone=q.zone
    ),
)
