"""`creditunion export KIND ...` for the evidence an auditor asks for beyond the ledger.

Each command builds its report from `creditunion.exports` and hands it to the same
`_export` as the ledger's exports (one snapshot of the read engine, the files, the
manifest). `launch/cli/__init__.py` adds these commands to the `export` group.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from creditunion.exports.chart_of_accounts import chart_of_accounts_report
from creditunion.exports.cut_off import cut_off_report
from creditunion.exports.interest_report import interest_report
from creditunion.exports.loan_book import loan_book_report
from creditunion.exports.member_balances import member_balances_report
from creditunion.exports.settings_changes import settings_changes_report
from creditunion.exports.user_access import user_access_report
from creditunion.platform.settings import get_settings
from launch.cli.audit import (
    FormatOption,
    FromOption,
    OutOption,
    ToOption,
    _export,
)

evidence_app = typer.Typer()

AsOfOption = Annotated[
    dt.datetime, typer.Option("--as-of", formats=["%Y-%m-%d"], help="As at (its end).")
]


@evidence_app.command("chart-of-accounts")
def export_chart_of_accounts(
    as_of: AsOfOption, export_format: FormatOption, out: OutOption
) -> None:
    """The chart of accounts as it stood at a date: code, name, type, parent, role, status,
    opened and closed."""
    day, zone = as_of.date(), get_settings().zone
    _export(lambda s: chart_of_accounts_report(s, as_of=day, zone=zone), export_format, out)


@evidence_app.command("member-balances")
def export_member_balances(as_of: AsOfOption, export_format: FormatOption, out: OutOption) -> None:
    """Each member (membership number, name) and each share account's balance as at a
    date, summed from the journal."""
    day = as_of.date()
    _export(lambda s: member_balances_report(s, as_of=day), export_format, out)


@evidence_app.command("cut-off")
def export_cut_off(
    from_date: FromOption, to_date: ToOption, export_format: FormatOption, out: OutOption
) -> None:
    """Entries of a period posted after its cut-off, back-dated or forward-dated (business
    date against the wall clock), with who posted them and when."""
    start, end, zone = from_date.date(), to_date.date(), get_settings().zone
    _export(
        lambda s: cut_off_report(s, from_date=start, to_date=end, zone=zone), export_format, out
    )


@evidence_app.command("interest-report")
def export_interest_report(
    from_date: FromOption, to_date: ToOption, export_format: FormatOption, out: OutOption
) -> None:
    """Savings interest posted, dividends paid and interest accrued per member for a
    period, with the ledger's expense and payable beside them."""
    start, end = from_date.date(), to_date.date()
    _export(lambda s: interest_report(s, from_date=start, to_date=end), export_format, out)


@evidence_app.command("loan-book")
def export_loan_book(
    as_of: AsOfOption, from_date: FromOption, export_format: FormatOption, out: OutOption
) -> None:
    """Every loan as at a date (balances from the journal, days past due, ageing bucket,
    provision, status) and the write-offs and recoveries from --from to --as-of."""
    start, day = from_date.date(), as_of.date()
    _export(lambda s: loan_book_report(s, from_date=start, as_of=day), export_format, out)


@evidence_app.command("user-access")
def export_user_access(
    from_date: FromOption, to_date: ToOption, export_format: FormatOption, out: OutOption
) -> None:
    """Staff logins and roles at the end of --to, and their changes from --from (audit
    log), in the business time zone's days."""
    start, end, zone = from_date.date(), to_date.date(), get_settings().zone
    _export(
        lambda s: user_access_report(s, from_date=start, to_date=end, zone=zone),
        export_format,
        out,
    )


@evidence_app.command("settings-changes")
def export_settings_changes(
    from_date: FromOption, to_date: ToOption, export_format: FormatOption, out: OutOption
) -> None:
    """Changes to configuration that affects money (products, dividend rates, the money
    settings) from the audit log, and what is and is not covered."""
    start, end, zone = from_date.date(), to_date.date(), get_settings().zone
    _export(
        lambda s: settings_changes_report(s, from_date=start, to_date=end, zone=zone),
        export_format,
        out,
    )
