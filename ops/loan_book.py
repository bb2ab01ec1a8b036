"""A book of active loans made in bulk, for benchmarks (`bench cob --loans M` can use it too).

The loans are what `loans.services.origination.accept_offer` would have made, written
set-based: a member for each loan (active, numbered `L` and the loan id), their share
account's ledger account and each loan's three accounts, a product, an
accepted application, the loan row with its schedule, the disbursement through the ledger,
and the interest accrued from disbursement to the day before `business_date` (computed by
the pure `loans.accrual` per distinct template and posted). Disbursement dates spread over
the previous four weeks, across all frequencies and a few amounts, so the accrual periods
in progress are as varied as a real book's. Nothing is repaid: older weekly loans are in
arrears, as some are in life.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from creditunion.shares.product_service import install_standard_products
from creditunion.shares.products import INSTANT_ACCESS
from ledger.accounts import get_account_by_code
from ledger.batch import BATCH_ENTRIES_MAX, Outcome, post_batch
from ledger.chart import (
    LOAN_FEES_RECEIVABLE,
    LOAN_INTEREST_INCOME,
    LOAN_INTEREST_RECEIVABLE,
    LOANS_TO_MEMBERS,
    MEMBERS_SHARES,
    install_chart,
)
from ledger.entry import EntryRequest, Line
from ledger.money import Money
from loans.accrual import AccrualState, AccrualTerms, accrue_through, opening_state
from loans.codec import product_to_json
from loans.frequency import Frequency
from loans.pricing import price
from loans.schedule import Schedule
from loans.services.products import ProductNotFound, create_product, get_product
from loans.services.seed import PAYDAY_ALTERNATIVE

BOOK_MAX: Final = 2_000_000
PRODUCT_CODE: Final = "BENCH-PAYDAY-ALT"
AMOUNTS: Final = (300, 500, 750, 1_000)
SPREAD_DAYS: Final = 28
# About six months at each frequency.
INSTALMENTS: Final = {
    Frequency.WEEKLY: 26,
    Frequency.FORTNIGHTLY: 13,
    Frequency.FOUR_WEEKLY: 7,
    Frequency.MONTHLY: 6,
}


@dataclass(frozen=True, slots=True)
class _Template:
    disbursed_on: dt.date
    frequency: Frequency
    amount: int
    schedule: Schedule
    state: AccrualState
    accrued_minor: int


def generate_loan_book(
    session: Session,
    *,
    count: int,
    business_date: dt.date,
    currency: str = "GBP",
    echo: Callable[[str], object] = lambda _: None,
) -> int:
    """Make `count` active loans accrued through the day before `business_date`."""
    if not 1 <= count <= BOOK_MAX:
        raise ValueError(f"a book holds 1 to {BOOK_MAX} loans")
    install_chart(session, currency=currency)
    product_id = _product(session, business_date)
    templates = _templates(business_date)
    first = int(session.scalar(text("SELECT coalesce(max(id), 0) FROM loans")) or 0) + 1
    app_first = (
        int(session.scalar(text("SELECT coalesce(max(id), 0) FROM loan_applications")) or 0) + 1
    )
    app_offset = app_first - first
    _set_sequence(session, "loans", first + count)
    _set_sequence(session, "loan_applications", app_first + count)
    echo(f"members and accounts for {count} loans")
    _members(session, first, count, business_date)
    _open_accounts(session, first, count, currency)
    install_standard_products(session, currency=currency)
    _share_accounts(session, first, count, business_date)
    _applications(session, first, count, app_offset, product_id, currency, templates)
    echo("loan rows and schedules")
    _loans(session, first, count, app_offset, product_id, currency, templates)
    _instalments(session, first, count, templates)
    echo("disbursements and interest to date")
    _post(session, first, count, currency, templates)
    return count


def template_of(templates: list[_Template], index: int) -> _Template:
    return templates[index % len(templates)]


def _product(session: Session, business_date: dt.date) -> int:
    try:
        return get_product(session, code=PRODUCT_CODE).id
    except ProductNotFound:
        view = create_product(
            session,
            code=PRODUCT_CODE,
            product=PAYDAY_ALTERNATIVE,
            active=True,
            actor="bench",
            business_date=business_date,
        )
        return view.id


def _templates(business_date: dt.date) -> list[_Template]:
    product = PAYDAY_ALTERNATIVE
    through = business_date - dt.timedelta(days=1)
    found = []
    for back in range(1, SPREAD_DAYS + 1):
        on = business_date - dt.timedelta(days=back)
        for frequency in Frequency:
            for amount in AMOUNTS:
                priced = price(
                    product,
                    amount=Money(amount, product.currency),
                    instalments=INSTALMENTS[frequency],
                    frequency=frequency,
                    disbursement_date=on,
                )
                terms = AccrualTerms(
                    product.rate, product.day_count, frequency, on, product.interest_rounding
                )
                state, posted = accrue_through(
                    terms,
                    opening_state(terms),
                    principal_minor=priced.schedule.principal.minor_units,
                    through=through,
                )
                found.append(_Template(on, frequency, amount, priced.schedule, state, posted))
    return found


def _set_sequence(session: Session, table: str, next_value: int) -> None:
    session.execute(
        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :v, false)"),
        {"v": next_value},
    )


# Valid member rows (every CHECK holds: active with an activation date), a year before
# the book so any product's membership period is met.
_MEMBERS = text("""
INSERT INTO members (membership_number, given_name, family_name, date_of_birth, address_line1,
    town, postcode, common_bond, bond_detail, status, joined_on, activated_on, created_by)
SELECT 'L' || lpad(n::text, 10, '0'), 'Bench', 'Borrower ' || n,
       DATE '1970-01-01' + CAST(n % 9000 AS int), n || ' High Street', 'Preston', 'PR1 2HE',
       'lives_in_area', 'Preston', 'active', :joined, :joined, 'bench'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
""")


def _members(session: Session, first: int, count: int, business_date: dt.date) -> None:
    session.execute(
        _MEMBERS,
        {
            "first": first,
            "last": first + count - 1,
            "joined": business_date - dt.timedelta(days=365),
        },
    )


_ACCOUNTS = text("""
INSERT INTO ledger_accounts (code, name, type, currency, floor_minor, parent_id, header, status,
    balance_minor)
SELECT format(:code, lpad(n::text, 10, '0')), format(:name, n), :type, :currency, :floor,
       :parent, false, 'open', 0
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
""")


def _open_accounts(session: Session, first: int, count: int, currency: str) -> None:
    last = first + count - 1
    for code, name, kind, floor, header in (
        ("BENCH-SH-%s", "Bench member %s shares", "liability", 0, MEMBERS_SHARES),
        ("LN%s-P", "Loan %s principal", "asset", None, LOANS_TO_MEMBERS),
        ("LN%s-I", "Loan %s interest receivable", "asset", None, LOAN_INTEREST_RECEIVABLE),
        ("LN%s-F", "Loan %s fees receivable", "asset", None, LOAN_FEES_RECEIVABLE),
    ):
        session.execute(
            _ACCOUNTS,
            {
                "code": code,
                "name": name,
                "type": kind,
                "currency": currency,
                "floor": floor,
                "parent": get_account_by_code(session, header).id,
                "first": first,
                "last": last,
            },
        )


# The borrowers' share accounts as the share service records them (instant access, no
# interest accrued), so every account under members' shares has its share account and the
# reconciliation in close of business finds the book whole.
_SHARE_ACCOUNTS = text("""
INSERT INTO share_accounts (account_number, member_id, product_id, ledger_account_id, status,
    opened_on, opened_by)
SELECT lpad((60000000 + n)::text, 8, '0'), m.id, p.id, a.id, 'open', :opened, 'bench'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
JOIN members AS m ON m.membership_number = 'L' || lpad(n::text, 10, '0')
JOIN ledger_accounts AS a ON a.code = 'BENCH-SH-' || lpad(n::text, 10, '0')
CROSS JOIN (SELECT id FROM share_products WHERE code = :product) AS p
""")


def _share_accounts(session: Session, first: int, count: int, business_date: dt.date) -> None:
    made = session.execute(
        _SHARE_ACCOUNTS,
        {
            "first": first,
            "last": first + count - 1,
            "opened": business_date - dt.timedelta(days=365),
            "product": INSTANT_ACCESS,
        },
    )
    written: int = made.rowcount  # type: ignore[attr-defined]
    assert written == count, "each borrower has a member row and a share ledger account"


_APPLICATIONS = text("""
INSERT INTO loan_applications (id, member_id, product_id, currency, amount_minor, term,
    frequency, purpose, monthly_income_minor, outgoings, dependants, status, submitted_on,
    decided_on, decision_kind, decided_by, offer_expires_on, closed_on)
SELECT n + :app_offset, m.id, :product, :currency, a.amount, a.term, a.frequency,
       'bench', 300000,
       '[]'::jsonb, 0, 'accepted', a.d, a.d, 'automated', 'automated', a.d, a.d
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
JOIN members m ON m.membership_number = 'L' || lpad(n::text, 10, '0')
JOIN unnest(CAST(:amounts AS bigint[]), CAST(:terms AS int[]), CAST(:frequencies AS text[]),
    CAST(:dates AS date[])) WITH ORDINALITY AS a(amount, term, frequency, d, k)
  ON a.k = (n - :first) % :templates + 1
""")


def _template_columns(templates: list[_Template]) -> dict[str, list[Any]]:
    return {
        "amounts": [t.amount * 100 for t in templates],
        "terms": [len(t.schedule.rows) for t in templates],
        "frequencies": [t.frequency.value for t in templates],
        "dates": [t.disbursed_on for t in templates],
    }


def _applications(
    session: Session,
    first: int,
    count: int,
    app_offset: int,
    product_id: int,
    currency: str,
    templates: list[_Template],
) -> None:
    session.execute(
        _APPLICATIONS,
        {
            "app_offset": app_offset,
            "product": product_id,
            "currency": currency,
            "first": first,
            "last": first + count - 1,
            "templates": len(templates),
            **_template_columns(templates),
        },
    )


_LOANS = text("""
INSERT INTO loans (id, member_id, application_id, product_id, product_code, rule_set, currency,
    terms, amount_minor, principal_minor, credit_minor, fees_minor, apr, rate, rate_basis,
    day_count, frequency, interest_rounding, instalment_minor, instalments,
    principal_account_id, interest_account_id, fees_account_id, disbursement_account_id,
    collection_account_id, status, disbursed_on, maturity_date, last_instalment_no,
    accrual_denominator, created_by)
SELECT n, m.id, n + :app_offset, :product, :code, 'gb', :currency,
       CAST(:terms_json AS jsonb), t.amount, t.amount, t.amount, 0, 26.8, :rate, :basis,
       :day_count, t.frequency, :rounding, t.instalment, t.instalments,
       p.id, i.id, f.id, s.id, s.id, 'active', t.d, t.maturity, t.instalments, 1, 'bench'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
JOIN unnest(CAST(:amounts AS bigint[]), CAST(:frequencies AS text[]), CAST(:dates AS date[]),
    CAST(:instalment AS bigint[]), CAST(:counts AS int[]), CAST(:maturity AS date[]))
    WITH ORDINALITY AS t(amount, frequency, d, instalment, instalments, maturity, k)
  ON t.k = (n - :first) % :templates + 1
JOIN ledger_accounts p ON p.code = format('LN%s-P', lpad(n::text, 10, '0'))
JOIN ledger_accounts i ON i.code = format('LN%s-I', lpad(n::text, 10, '0'))
JOIN ledger_accounts f ON f.code = format('LN%s-F', lpad(n::text, 10, '0'))
JOIN ledger_accounts s ON s.code = format('BENCH-SH-%s', lpad(n::text, 10, '0'))
JOIN members m ON m.membership_number = 'L' || lpad(n::text, 10, '0')
""")

_ACCRUALS = text("""
INSERT INTO loan_accruals (loan_id, accrued_through, period_no, period_start, period_end,
    period_whole_months, period_extra_days, period_units, period_posted_minor)
SELECT n, t.through, t.period_no, t.period_start, t.period_end, t.whole, t.extra, t.units,
       t.posted
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
JOIN unnest(CAST(:through AS date[]), CAST(:period_no AS int[]), CAST(:period_start AS date[]),
    CAST(:period_end AS date[]), CAST(:whole AS int[]), CAST(:extra AS int[]),
    CAST(:units AS numeric[]), CAST(:posted AS bigint[]))
    WITH ORDINALITY AS t(through, period_no, period_start, period_end, whole, extra, units,
        posted, k)
  ON t.k = (n - :first) % :templates + 1
""")


def _loans(
    session: Session,
    first: int,
    count: int,
    app_offset: int,
    product_id: int,
    currency: str,
    templates: list[_Template],
) -> None:
    product = PAYDAY_ALTERNATIVE
    session.execute(
        _LOANS,
        {
            "app_offset": app_offset,
            "product": product_id,
            "code": PRODUCT_CODE,
            "currency": currency,
            "terms_json": json.dumps(product_to_json(product)),
            "rate": product.rate.value,
            "basis": product.rate.basis.value,
            "day_count": product.day_count.value,
            "rounding": product.interest_rounding,
            "first": first,
            "last": first + count - 1,
            "templates": len(templates),
            "amounts": [t.amount * 100 for t in templates],
            "frequencies": [t.frequency.value for t in templates],
            "dates": [t.disbursed_on for t in templates],
            "instalment": [t.schedule.instalment.minor_units for t in templates],
            "counts": [len(t.schedule.rows) for t in templates],
            "maturity": [t.schedule.final_due_date for t in templates],
        },
    )
    session.execute(
        _ACCRUALS,
        {
            "first": first,
            "last": first + count - 1,
            "templates": len(templates),
            "through": [t.state.accrued_through for t in templates],
            "period_no": [t.state.period.number for t in templates],
            "period_start": [t.state.period.start for t in templates],
            "period_end": [t.state.period.end for t in templates],
            "whole": [t.state.period.whole_months for t in templates],
            "extra": [t.state.period.extra_days for t in templates],
            "units": [t.state.units for t in templates],
            "posted": [t.state.posted_minor for t in templates],
        },
    )


_INSTALMENTS = text("""
INSERT INTO loan_instalments (loan_id, number, due_date, principal_minor, interest_minor)
SELECT n, r.number, r.due_date, r.principal, r.interest
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
JOIN unnest(CAST(:k AS int[]), CAST(:number AS int[]), CAST(:due AS date[]),
    CAST(:principal AS bigint[]), CAST(:interest AS bigint[])) AS r(k, number, due_date,
    principal, interest)
  ON r.k = (n - :first) % :templates + 1
""")


def _instalments(session: Session, first: int, count: int, templates: list[_Template]) -> None:
    columns: dict[str, list[Any]] = {
        "k": [],
        "number": [],
        "due": [],
        "principal": [],
        "interest": [],
    }
    for k, template in enumerate(templates, start=1):
        for row in template.schedule.rows:
            columns["k"].append(k)
            columns["number"].append(row.number)
            columns["due"].append(row.due_date)
            columns["principal"].append(row.principal.minor_units)
            columns["interest"].append(row.interest.minor_units)
    session.execute(
        _INSTALMENTS,
        {"first": first, "last": first + count - 1, "templates": len(templates), **columns},
    )


_IDS = text("""
SELECT id, principal_account_id, interest_account_id, disbursement_account_id
FROM loans WHERE id BETWEEN :first AND :last ORDER BY id
""")


def _post(
    session: Session, first: int, count: int, currency: str, templates: list[_Template]
) -> None:
    income = get_account_by_code(session, LOAN_INTEREST_INCOME).id
    rows = session.execute(_IDS, {"first": first, "last": first + count - 1}).all()
    requests: list[EntryRequest] = []
    for row in rows:
        template = template_of(templates, int(row.id) - first)
        amount = Money.from_minor(template.amount * 100, currency)
        requests.append(
            EntryRequest(
                idempotency_key=f"loan:{row.id}:disburse",
                business_date=template.disbursed_on,
                lines=(
                    Line.debit(int(row.principal_account_id), amount),
                    Line.credit(int(row.disbursement_account_id), amount),
                ),
                description=f"Loan {row.id} advance",
                posted_by="bench",
                kind="loan.disbursement",
                reference=f"loan:{row.id}",
            )
        )
        if template.accrued_minor:
            interest = Money.from_minor(template.accrued_minor, currency)
            requests.append(
                EntryRequest(
                    idempotency_key=f"loan:{row.id}:accrual:{template.state.accrued_through}",
                    business_date=template.state.accrued_through,
                    lines=(
                        Line.debit(int(row.interest_account_id), interest),
                        Line.credit(income, interest),
                    ),
                    description=f"Loan {row.id} interest to date",
                    posted_by="bench",
                    kind="loan.accrual",
                    reference=f"loan:{row.id}",
                )
            )
    for start in range(0, len(requests), BATCH_ENTRIES_MAX):
        results = post_batch(session, requests[start : start + BATCH_ENTRIES_MAX])
        refused = [r for r in results if r.outcome is Outcome.REFUSED]
        if refused:
            raise RuntimeError(f"the bench book could not be posted: {refused[0].error}")
