"""`python -m ops bench payments`: a file of N payments produced, then the bank's status
report on it imported, timed.

In a scratch database (dropped afterwards): share accounts funded set-based
(`ops.bench_cob`), each member with a nominated account, and N payments out already made
(member -> outbound clearing), written set-based as the payout service would leave them.
Then, timed: producing the pain.001 of all N (schema-validated), the bank writing its
pain.002 (98% settled, 2% rejected; the bank's side, shown apart), and importing it
(one settlement entry, a reversal per rejection). The ledger's invariants are checked after.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine, select, text

from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import OutboundPayment
from creditunion.payments.outbound_files import FILE_PAYMENTS_MAX, produce_outbound_file
from creditunion.payments.queries import get_file
from creditunion.payments.settlement_calendar import Rail
from creditunion.payments.status_reports import import_status_report
from creditunion.platform.database import make_engine, unit_of_work
from ledger.invariants import check_invariants
from ledger.money import Money
from ops.bench_cob import ORDINARY_DAY, prepare
from ops.bench_ledger import drop_database, scratch_database, server_url

PAYMENTS_PER_ACCOUNT: Final = 10
AMOUNT_MINOR: Final = 10  # 0.10 each: every bench account holds at least 1.00
REJECTED_EVERY: Final = 50  # 2% of the payments
CONFIG: Final = PaymentConfig(
    rail=Rail.FASTER_PAYMENTS,
    currency="GBP",
    settlement_bank_id="400000",
    settlement_account_number="11112222",
    originator_name="BENCH CREDIT UNION",
    cooling_off_days=0,
    approval_limit=Money("1000.00", "GBP"),
    ach=None,
)

_NOMINATIONS = text("""
INSERT INTO nominated_accounts (member_id, scheme, holder_name, bank_id, account_number,
    status, nominated_on, usable_on, nominated_by)
SELECT member_id, 'uk', 'Bench Member', '200000', lpad(id::text, 8, '0'), 'active', :d, :d, 'bench'
FROM share_accounts
""")

# One entry per payment, member -> outbound clearing, as `pay_out` posts it.
_ENTRIES = text("""
INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date, description,
    kind, metadata, posted_by)
SELECT md5('bench-pay-' || sa.id || '-' || k)::uuid, 'bench-pay-' || sa.id || '-' || k,
       sha256(('bench-pay-' || sa.id || '-' || k)::bytea), :d, 'Payment to nominated account',
       'payments.outbound', '{}'::jsonb, 'bench'
FROM share_accounts sa CROSS JOIN generate_series(1, :per) AS k
""")

_POSTINGS = text("""
INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date)
SELECT md5('bench-pay-' || sa.id || '-' || k)::uuid,
       CASE WHEN side = 1 THEN sa.ledger_account_id ELSE :clearing END, side * :amount, 'GBP', :d
FROM share_accounts sa CROSS JOIN generate_series(1, :per) AS k
CROSS JOIN (VALUES (1), (-1)) AS s(side)
ORDER BY sa.id, k, side DESC
""")

_PAYMENTS = text("""
INSERT INTO outbound_payments (end_to_end_id, idempotency_key, purpose, status, member_id,
    share_account_id, nominated_account_id, scheme, creditor_name, bank_id, account_number,
    currency, amount_minor, reference, created_on, not_before, created_by, debit_entry_id,
    updated_on, updated_by)
SELECT 'CUBENCH' || sa.id || 'K' || k, 'bench-pay-' || sa.id || '-' || k, 'payout', 'pending',
       sa.member_id, sa.id, na.id, 'uk', na.holder_name, na.bank_id, na.account_number, 'GBP',
       :amount, 'BENCH ' || k, :d, :d, 'bench', md5('bench-pay-' || sa.id || '-' || k)::uuid,
       :d, 'bench'
FROM share_accounts sa CROSS JOIN generate_series(1, :per) AS k
JOIN nominated_accounts na ON na.member_id = sa.member_id AND na.status = 'active'
""")

_BALANCES = text("""
UPDATE ledger_accounts a SET balance_minor = s.total
FROM (SELECT account_id, sum(amount_minor) AS total FROM postings GROUP BY account_id) s
WHERE a.id = s.account_id AND a.balance_minor <> s.total
""")


def _payments(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        clearing = payment_accounts(session).outbound_clearing
        window = {"d": ORDINARY_DAY, "per": PAYMENTS_PER_ACCOUNT, "amount": AMOUNT_MINOR}
        session.execute(_NOMINATIONS, window)
        session.execute(_ENTRIES, window)
        session.execute(_POSTINGS, window | {"clearing": clearing})
        session.execute(_PAYMENTS, window)
        session.execute(_BALANCES)


def _statuses(engine: Engine, file_id: int) -> tuple[TransactionStatus, ...]:
    with unit_of_work(engine) as session:
        ids = session.scalars(
            select(OutboundPayment.end_to_end_id)
            .where(OutboundPayment.file_id == file_id)
            .order_by(OutboundPayment.id)
        ).all()
    return tuple(
        TransactionStatus(e2e, None, "RJCT", "AC04", "account closed")
        if n % REJECTED_EVERY == 0
        else TransactionStatus(e2e, None, "ACSC", None, None)
        for n, e2e in enumerate(ids, start=1)
    )


def _timed(figures: dict[str, Any], label: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    figures[f"{label}_seconds"] = round(time.perf_counter() - started, 2)
    return result


def measure(url: str, *, payments: int) -> dict[str, Any]:
    engine = make_engine(url, pool_size=2)
    figures: dict[str, Any] = {"payments": payments}
    at = dt.datetime(2026, 1, 30, 15, 0, tzinfo=dt.UTC)

    def produce() -> tuple[Any, bytes]:
        with unit_of_work(engine) as session:
            view = produce_outbound_file(
                session, config=CONFIG, actor="bench", business_date=ORDINARY_DAY, created_at=at
            )
            return get_file(session, file_id=view.id)

    view, content = _timed(figures, "produce_pain001", produce)
    figures["pain001_bytes"] = len(content)
    statuses = _statuses(engine, view.id)
    report = _timed(
        figures,
        "bank_writes_pain002",
        lambda: write_pain002(
            StatusReport(
                f"BANK{uuid.uuid4().hex[:16]}",
                at,
                view.message_id,
                "pain.001.001.09",
                None,
                statuses,
            )
        ),
    )

    def import_report() -> Any:
        with unit_of_work(engine) as session:
            return import_status_report(
                session, content=report, actor="bench", business_date=ORDINARY_DAY
            )

    result = _timed(figures, "import_pain002", import_report)
    figures["settled"], figures["rejected"] = result.settled, result.rejected
    figures["payments_per_second_produce"] = round(payments / figures["produce_pain001_seconds"])
    figures["payments_per_second_import"] = round(payments / figures["import_pain002_seconds"])
    with unit_of_work(engine) as session:
        figures["invariants_ok"] = check_invariants(session).ok
    engine.dispose()
    return figures


def run(*, payments: int, echo: Callable[[str], Any]) -> dict[str, Any]:
    if not PAYMENTS_PER_ACCOUNT <= payments <= FILE_PAYMENTS_MAX:
        raise ValueError(f"{PAYMENTS_PER_ACCOUNT} to {FILE_PAYMENTS_MAX:,} payments")
    server = server_url()
    name = f"cu_bench_payments_{uuid.uuid4().hex[:8]}"
    url = scratch_database(server, name)
    try:
        accounts = payments // PAYMENTS_PER_ACCOUNT
        echo(f"{accounts:,} share accounts and {accounts * PAYMENTS_PER_ACCOUNT:,} payments ...")
        prepare(url, accounts=accounts, loans=0, echo=echo)
        _payments(make_engine(url, pool_size=1))
        return measure(url, payments=accounts * PAYMENTS_PER_ACCOUNT)
    finally:
        drop_database(server, name)
