"""`python -m ops bench payments`: a file of N payments produced, the bank's status report
on it imported, a salary credited to every member, and the day's statement reconciled, timed.

In a scratch database (dropped afterwards): share accounts funded set-based
(`ops.bench_cob`), each member with a nominated account, and N payments out already made
(member -> outbound clearing), written set-based as the payout service would leave them.
Then, timed: producing the pain.001 of all N (schema-validated), the bank writing its
pain.002 (98% settled, 2% rejected; the bank's side, shown apart), and importing it
(one settlement entry, a reversal per rejection). Then a camt.054 crediting every share
account once (9 in 10 by membership number, the rest to suspense) and the day's camt.053
(every settled payment and every credit, in statements of at most 100,000 lines), which
must reconcile with no break. The ledger's invariants are checked after.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine, select, text

from creditunion.members.models import Member
from creditunion.payments.bank_files import import_bank_file
from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022 import camt053
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt053 import Statement, StatementEntry, write_camt053
from creditunion.payments.iso20022.camt054 import Notification, NotificationEntry, write_camt054
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import OutboundPayment, PaymentStatus
from creditunion.payments.outbound_files import FILE_PAYMENTS_MAX, produce_outbound_file
from creditunion.payments.queries import get_file
from creditunion.payments.settlement_calendar import Rail
from creditunion.payments.status_reports import import_status_report
from creditunion.platform.database import make_engine, unit_of_work
from creditunion.shares.models import ShareAccount
from ledger.invariants import check_invariants
from ledger.money import Money
from ops.bench_cob import ORDINARY_DAY, prepare
from ops.bench_ledger import drop_database, scratch_database, server_url

PAYMENTS_PER_ACCOUNT: Final = 10
AMOUNT_MINOR: Final = 10  # 0.10 each: every bench account holds at least 1.00
REJECTED_EVERY: Final = 50  # 2% of the payments
UNMATCHED_EVERY: Final = 10  # a tenth of the credits name nobody
CREDIT_MINOR: Final = 12_345
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


OURS: Final = SortCodeAccount(CONFIG.settlement_bank_id, CONFIG.settlement_account_number)
PAYER: Final = SortCodeAccount("401276", "40404040")


def _credits(engine: Engine, day: dt.date) -> tuple[NotificationEntry, ...]:
    with unit_of_work(engine) as session:
        memberships = session.scalars(
            select(Member.membership_number)
            .join(ShareAccount, ShareAccount.member_id == Member.id)
            .order_by(ShareAccount.id)
        ).all()
    return tuple(
        NotificationEntry(
            entry_reference=f"SAL{n:09d}",
            credit=True,
            amount=Money.from_minor(CREDIT_MINOR, "GBP"),
            booking_date=day,
            value_date=day,
            status="BOOK",
            end_to_end_id=None,
            remittance_reference="NOBODY" if n % UNMATCHED_EVERY == 0 else f"SALARY {number}",
            counterparty_name="ACME PAYROLL",
            counterparty_account=PAYER,
            return_reason_code=None,
            original_end_to_end_id=None,
        )
        for n, number in enumerate(memberships, start=1)
    )


def _statement_lines(
    engine: Engine, credits: tuple[NotificationEntry, ...], day: dt.date
) -> list[StatementEntry]:
    with unit_of_work(engine) as session:
        settled = session.execute(
            select(OutboundPayment.end_to_end_id, OutboundPayment.amount_minor)
            .where(OutboundPayment.status == PaymentStatus.SETTLED)
            .order_by(OutboundPayment.id)
        ).all()
    debits = [
        _line(f"PAY{n:09d}", Money.from_minor(minor, "GBP"), day, credit=False, end_to_end=e2e)
        for n, (e2e, minor) in enumerate(settled, start=1)
    ]
    return debits + [
        _line(c.entry_reference, c.amount, day, credit=True, end_to_end=None) for c in credits
    ]


def _line(
    ref: str, amount: Money, day: dt.date, *, credit: bool, end_to_end: str | None
) -> StatementEntry:
    return StatementEntry(
        entry_reference=ref,
        credit=credit,
        amount=amount,
        booking_date=day,
        value_date=day,
        account_servicer_reference=ref,
        end_to_end_id=end_to_end,
        remittance_reference=None,
    )


def _statements(lines: list[StatementEntry], at: dt.datetime, day: dt.date) -> list[bytes]:
    """The day's lines in statements of at most `camt053.ENTRIES_MAX`, each opening where the
    one before closed."""
    files: list[bytes] = []
    balance = Money.from_minor(0, "GBP")
    for page, start in enumerate(range(0, len(lines), camt053.ENTRIES_MAX), start=1):
        chunk = tuple(lines[start : start + camt053.ENTRIES_MAX])
        closing = balance
        for line in chunk:
            closing = closing + line.amount if line.credit else closing - line.amount
        files.append(
            write_camt053(
                Statement(
                    f"BENCHSTMT{page}{uuid.uuid4().hex[:8]}",
                    at,
                    f"STMT{day:%Y%m%d}P{page}",
                    OURS,
                    "GBP",
                    day,
                    day,
                    balance,
                    closing,
                    chunk,
                )
            )
        )
        balance = closing
    return files


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
    _money_in_and_reconciled(engine, figures, at)
    with unit_of_work(engine) as session:
        figures["invariants_ok"] = check_invariants(session).ok
    engine.dispose()
    return figures


def _import(engine: Engine, content: bytes) -> Any:
    with unit_of_work(engine) as session:
        return import_bank_file(
            session, content=content, config=CONFIG, actor="bench", business_date=ORDINARY_DAY
        )


def _money_in_and_reconciled(engine: Engine, figures: dict[str, Any], at: dt.datetime) -> None:
    credits = _credits(engine, ORDINARY_DAY)
    notification = write_camt054(
        Notification(f"BENCHNTF{uuid.uuid4().hex[:8]}", at, "NTF1", OURS, "GBP", credits)
    )
    figures["credits"] = len(credits)
    received = _timed(figures, "import_camt054", lambda: _import(engine, notification))
    figures["credits_applied"] = received.credits_applied
    figures["credits_unmatched"] = received.credits_unmatched
    figures["credits_per_second_import"] = round(len(credits) / figures["import_camt054_seconds"])
    lines = _statement_lines(engine, credits, ORDINARY_DAY)
    statements = _statements(lines, at, ORDINARY_DAY)
    figures["statement_lines"] = len(lines)
    results = _timed(
        figures, "import_camt053", lambda: [_import(engine, s).statement for s in statements]
    )
    figures["statement_breaks"] = sum(r.breaks for r in results)
    figures["statement_matched"] = sum(r.matched for r in results)
    figures["statement_balance_difference"] = str(results[-1].balance_difference.amount)
    figures["lines_per_second_reconcile"] = round(len(lines) / figures["import_camt053_seconds"])


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
