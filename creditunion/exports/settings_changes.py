"""Changes to configuration that affects money, from the audit log, as an export.

Part `changes`: every audit record in [from, to] (local days in the credit union's time
zone) of a change to money configuration, in id order: a loan product created, given new
terms (a new version) or offered or withdrawn (`loan_product.*`); a dividend rate declared
(`dividend.declare`); the money settings of the environment changed
(`settings.change`, written by close of business and `creditunion serve`:
`creditunion.audit.money_settings`). Each
with when, the business date, who (id, username, role), the target, the record's summary,
and for a loan product the terms of the version the record names, read from the product's
versions (rate and basis, day count, amounts, terms, fees, late, failed-payment and early
repayment charges, active), since the product's record summarises only its version.

Part `coverage`: what configuration affects money, where it changes and whether its
changes reach this report, so an auditor knows what it cannot show.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from creditunion.audit.money_settings import ACTION as SETTINGS_ACTION
from ledger.export.report import Column, ColumnKind, Part, Report, Row
from ledger.journal_stream import server_side_rows

CHANGE_COLUMNS: Final = (
    Column("audit_id", ColumnKind.INTEGER),
    Column("occurred_at", ColumnKind.TIMESTAMP),
    Column("business_date", ColumnKind.DATE),
    Column("action"),
    Column("actor_user_id", ColumnKind.INTEGER),
    Column("actor_username"),
    Column("actor_role"),
    Column("target_type"),
    Column("target_id"),
    Column("summary"),
    Column("terms"),
)

COVERAGE_COLUMNS: Final = (
    Column("configuration"),
    Column("changed_by"),
    Column("audit_action"),
    Column("covered"),
    Column("note"),
)

COVERAGE: Final[tuple[Row, ...]] = (
    (
        "loan products: rate, fees, charges, amounts, terms",
        "POST /v1/loan-products, PUT /v1/loan-products/{code} (a new version)",
        "loan_product.create, loan_product.update",
        "yes",
        "the version's terms are read from loan_products",
    ),
    (
        "loan products offered or withdrawn",
        "PUT /v1/loan-products/{code}/active",
        "loan_product.activate, loan_product.deactivate",
        "yes",
        "",
    ),
    (
        "dividend rates",
        "POST /v1/dividends",
        "dividend.declare",
        "yes",
        "the summary carries the product, period, payment date and rate",
    ),
    (
        "environment settings: write-off days, late-fee grace, withdrawal approval and daily "
        "limits, loan decision policy, base currency, business time zone",
        "the environment (CREDITUNION_*), read when a process starts",
        SETTINGS_ACTION,
        "yes",
        "recorded by close of business before it closes a day and by creditunion serve "
        "before the API starts",
    ),
    (
        "share products: rates, minimum and maximum balances",
        "creditunion init (the standard products); no command changes one",
        "",
        "no",
        "a change needs SQL or a release, which the audit log does not see",
    ),
    (
        "rule sets: caps, fee rules, provisioning rates",
        "code (loans/rulesets), changed by a release",
        "",
        "no",
        "the release's history is the record",
    ),
    (
        "chart of accounts",
        "creditunion init; migrations",
        "",
        "no",
        "see the chart-of-accounts export (opened and closed)",
    ),
)

_CHANGES: Final[LiteralString] = """
SELECT a.id, to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       a.business_date, a.action, a.actor_user_id, a.actor_username, a.actor_role,
       a.target_type, a.target_id, a.summary::text,
       CASE WHEN p.id IS NOT NULL THEN jsonb_build_object(
           'version', p.version, 'currency', p.currency, 'rule_set', p.rule_set,
           'rate', p.rate::text, 'rate_basis', p.rate_basis, 'day_count', p.day_count,
           'min_amount_minor', p.min_amount_minor, 'max_amount_minor', p.max_amount_minor,
           'term_min', p.term_min, 'term_max', p.term_max, 'term_unit', p.term_unit,
           'fees', p.fees, 'late_fee_minor', p.late_fee_minor,
           'nsf_fee_minor', p.nsf_fee_minor,
           'early_repayment_charge_minor', p.early_repayment_charge_minor,
           'active', p.active)::text END
FROM audit_log a
LEFT JOIN loan_products p
       ON a.action LIKE 'loan\\_product.%%' AND p.code = a.target_id
      AND p.version::text = a.summary ->> 'version'
WHERE a.occurred_at >= %(start)s AND a.occurred_at < %(end)s
  AND (a.action LIKE 'loan\\_product.%%' OR a.action IN ('dividend.declare', %(settings)s))
ORDER BY a.id
"""


def _changes(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _CHANGES, params, binary=False):
        yield tuple(raw)


def settings_changes_report(
    session: Session, *, from_date: dt.date, to_date: dt.date, zone: zoneinfo.ZoneInfo
) -> Report:
    """The money configuration changed in [from_date, to_date] (local days in `zone`)."""
    if from_date > to_date:
        raise ValueError("the range's start date is after its end date")
    params: dict[str, Any] = {
        "start": dt.datetime.combine(from_date, dt.time(), tzinfo=zone),
        "end": dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time(), tzinfo=zone),
        "settings": SETTINGS_ACTION,
    }
    return Report(
        name="settings-changes",
        parameters={
            "from": from_date.isoformat(),
            "to": to_date.isoformat(),
            "time_zone": zone.key,
        },
        parts=(
            Part("changes", CHANGE_COLUMNS, lambda: _changes(session, params)),
            Part("coverage", COVERAGE_COLUMNS, lambda: iter(COVERAGE)),
        ),
        covers_from=from_date,
        covers_to=to_date,
    )
