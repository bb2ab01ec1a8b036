"""`python -m ops bench cob`: one ordinary close-of-business day and a month end, timed.

In a scratch database (dropped afterwards): N members with interest-bearing share accounts,
each funded, written set-based; a book of M active loans (`ops.loan_book`); the days
before the first measured one closed and sealed. Then, in a child process that reports its
own peak memory, close of business runs for 30 January (an ordinary day) and 31 January
(a month end: every account's interest is posted), and the seconds of each step are kept.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine, text

from creditunion.cob.plan import run_close_of_business
from creditunion.initial_data import initialise
from creditunion.platform.database import make_engine, sqlalchemy_url, unit_of_work
from creditunion.platform.settings import Settings
from creditunion.shares.product_service import create_share_product
from creditunion.shares.products import ProductDefinition
from launch.migrate import upgrade
from ledger.chart import CASH_IN_TILLS, MEMBERS_SHARES
from ledger.periods import close_business_date
from ledger.seal import seal_day
from ops.bench_export import peak_rss_mb
from ops.bench_ledger import drop_database, scratch_database, server_url
from ops.loan_book import generate_loan_book

ORDINARY_DAY: Final = dt.date(2026, 1, 30)
MONTH_END: Final = dt.date(2026, 1, 31)
PRODUCT: Final = "BENCH_SAVER"
ROWS_PER_STATEMENT: Final = 250_000
ACCOUNTS_MAX: Final = 5_000_000

_MEMBERS = text("""
INSERT INTO members (membership_number, given_name, family_name, date_of_birth, address_line1,
    town, postcode, common_bond, bond_detail, status, joined_on, activated_on, created_by)
SELECT 'B' || lpad(n::text, 10, '0'), 'Bench', 'Member ' || n, DATE '1980-01-01' + CAST(n % 9000 AS int),
       n || ' High Street', 'Preston', 'PR1 2HE', 'lives_in_area', 'Preston', 'active',
       :d, :d, 'bench'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
""")

_LEDGER_ACCOUNTS = text("""
INSERT INTO ledger_accounts (code, name, type, currency, floor_minor, parent_id, header, status,
    balance_minor)
SELECT 'SHB' || lpad(n::text, 10, '0'), 'Bench member ' || n || ' shares', 'liability', 'GBP',
       0, :parent, false, 'open', 0
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
""")

_SHARE_ACCOUNTS = text("""
INSERT INTO share_accounts (account_number, member_id, product_id, ledger_account_id, status,
    opened_on, repayment_mandate, minimum_reached_on, opened_by)
SELECT lpad((10000000 + n)::text, 8, '0'), m.id, :product, la.id, 'open', :d, false, :d, 'bench'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
JOIN members m ON m.membership_number = 'B' || lpad(n::text, 10, '0')
JOIN ledger_accounts la ON la.code = 'SHB' || lpad(n::text, 10, '0')
""")

# One opening deposit per account, dated the day before the first measured one (history,
# closed and sealed before timing starts); the ledger's own trigger checks every entry.
_ENTRIES = text("""
INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date, description,
    kind, metadata, posted_by)
SELECT md5('bench-open-' || n)::uuid, 'bench-open-' || n, sha256(('bench-open-' || n)::bytea),
       :d, 'Opening deposit', 'deposit', '{}'::jsonb, 'bench'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
""")

_POSTINGS = text("""
INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date)
SELECT md5('bench-open-' || n)::uuid, CASE WHEN side = 1 THEN :cash ELSE la.id END,
       side * (100 + (n * 7919) % 2000000), 'GBP', :d
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
CROSS JOIN (VALUES (1), (-1)) AS s(side)
JOIN ledger_accounts la ON la.code = 'SHB' || lpad(n::text, 10, '0')
ORDER BY n, side DESC
""")

_BALANCES = text("""
UPDATE ledger_accounts a SET balance_minor = s.total
FROM (SELECT account_id, sum(amount_minor) AS total FROM postings GROUP BY account_id) s
WHERE a.id = s.account_id AND a.balance_minor <> s.total
""")


def generate_share_book(engine: Engine, *, accounts: int, echo: Callable[[str], Any]) -> None:
    with unit_of_work(engine) as session:
        parent = session.scalar(
            text("SELECT id FROM ledger_accounts WHERE code = :c"), {"c": MEMBERS_SHARES}
        )
        cash = session.scalar(
            text("SELECT id FROM ledger_accounts WHERE code = :c"), {"c": CASH_IN_TILLS}
        )
        product = session.scalar(
            text("SELECT id FROM share_products WHERE code = :c"), {"c": PRODUCT}
        )
    for first in range(1, accounts + 1, ROWS_PER_STATEMENT):
        window = {
            "first": first,
            "last": min(accounts, first + ROWS_PER_STATEMENT - 1),
            "d": ORDINARY_DAY - dt.timedelta(days=1),
        }
        with unit_of_work(engine) as session:
            session.execute(_MEMBERS, window)
            session.execute(_LEDGER_ACCOUNTS, window | {"parent": parent})
            session.execute(_SHARE_ACCOUNTS, window | {"product": product})
            session.execute(_ENTRIES, window)
            session.execute(_POSTINGS, window | {"cash": cash})
        echo(f"  share accounts {window['last']:,}/{accounts:,}")
    with unit_of_work(engine) as session:
        session.execute(_BALANCES)


def close_history(engine: Engine, *, before: dt.date) -> int:
    """Close and seal every day of the loan book's history, so COB can start at `before`."""
    with unit_of_work(engine) as session:
        first = session.scalar(text("SELECT min(business_date) FROM journal_entries"))
    days = 0
    day = first
    while day is not None and day < before:
        with unit_of_work(engine) as session:
            close_business_date(session, business_date=day, closed_by="bench")
            seal_day(session, business_date=day, sealed_by="bench")
        day += dt.timedelta(days=1)
        days += 1
    return days


def prepare(url: str, *, accounts: int, loans: int, echo: Callable[[str], Any]) -> None:
    upgrade(sqlalchemy_url(url))
    engine = make_engine(url, pool_size=2)
    with unit_of_work(engine) as session:
        initialise(session, settings=Settings(base_currency="GBP"), business_date=ORDINARY_DAY)
        create_share_product(
            session,
            definition=ProductDefinition(
                code=PRODUCT,
                name="Bench saver",
                kind="instant_access",
                currency="GBP",
                minimum_balance="0.00",
                maximum_balance="50000.00",
                return_basis="interest",
                posting_frequency="monthly",
                annual_rate="0.015",
            ),
            actor="bench",
        )
    echo(f"{accounts:,} share accounts ...")
    generate_share_book(engine, accounts=accounts, echo=echo)
    if loans:
        echo(f"{loans:,} loans ...")
        with unit_of_work(engine) as session:
            generate_loan_book(session, count=loans, business_date=ORDINARY_DAY)
    echo(f"closed and sealed {close_history(engine, before=ORDINARY_DAY)} days of loan history")
    engine.dispose()
    with make_engine(url, pool_size=1).connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def _child(url: str, out: Any) -> None:
    engine = make_engine(url, pool_size=4)
    figures: dict[str, Any] = {}
    for label, until in (("day", ORDINARY_DAY), ("month_end", MONTH_END)):
        started = time.perf_counter()
        reports = run_close_of_business(engine, until=until)
        figures[f"{label}_seconds"] = round(time.perf_counter() - started, 2)
        figures[f"{label}_steps"] = {r.step: round(r.seconds, 2) for r in reports}
        figures[f"{label}_items"] = {r.step: r.items for r in reports}
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out.put(figures)


def run(*, accounts: int, loans: int, echo: Callable[[str], Any]) -> dict[str, Any]:
    if not 1 <= accounts <= ACCOUNTS_MAX or loans < 0:
        raise ValueError(f"1 to {ACCOUNTS_MAX:,} accounts and a non-negative number of loans")
    server = server_url()
    name = f"cu_bench_cob_{uuid.uuid4().hex[:8]}"
    url = scratch_database(server, name)
    try:
        started = time.perf_counter()
        prepare(url, accounts=accounts, loans=loans, echo=echo)
        echo(
            f"prepared in {time.perf_counter() - started:.0f}s; closing {ORDINARY_DAY} and {MONTH_END} ..."
        )
        context = multiprocessing.get_context("spawn")
        queue: Any = context.Queue()
        child = context.Process(target=_child, args=(url, queue))
        child.start()
        figures = queue.get(timeout=3600)
        child.join(60)
    finally:
        drop_database(server, name)
    day = figures["day_seconds"]
    return {
        "accounts": accounts,
        "loans": loans,
        "day_seconds": day,
        "month_end_seconds": figures["month_end_seconds"],
        "accounts_per_second": round(accounts / day),
        "peak_rss_mb": figures["peak_rss_mb"],
        "step_seconds": figures["day_steps"],
        "month_end_step_seconds": figures["month_end_steps"],
        "items": {"day": figures["day_items"], "month_end": figures["month_end_items"]},
    }


if __name__ == "__main__":
    print(json.dumps(run(accounts=int(sys.argv[1]), loans=int(sys.argv[2]), echo=print), indent=2))
