"""After a run: what clients saw against what the journal holds, and the ledger's invariants.

- lost: an operation a client saw confirmed whose entry is not in the journal (or is
  another entry than the one it was told);
- duplicated: an operation with more than one journal entry. Every operation carries its
  op id as the entry's `reference`, so this counts entries however they were keyed;
- posted unconfirmed: in the journal although the client never saw it confirmed (a
  request whose answer was lost and that was never retried to its end); refused but
  posted: a definitive 4xx whose entry is in the journal anyway;
- unknown: an entry made through the HTTP API by no operation of the run.

Then `ledger.invariants.check_invariants` and `ledger.verify.verify` over every sealed day.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg

from creditunion.platform.database import make_engine, unit_of_work
from ledger.verify import verify
from ops.loadgen.client import OpBook


def compare_journal(
    database_url: str, book: OpBook, *, outside_marker: str = ":probe-"
) -> dict[str, Any]:
    """`outside_marker`: keys containing it belong to a fault script's own probe, not to
    the clients' operations, and are not counted as unknown."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id::text, idempotency_key, reference FROM journal_entries "
            "WHERE idempotency_key LIKE 'http:%%'"
        ).fetchall()
    by_reference: dict[str, list[str]] = defaultdict(list)
    by_key: dict[str, list[str]] = defaultdict(list)
    for entry_id, key, reference in rows:
        by_key[key].append(entry_id)
        if reference:
            by_reference[reference].append(entry_id)
    lost, duplicated, posted_unconfirmed, refused_but_posted = [], [], [], []
    for op in book.ops.values():
        entries = by_reference.get(op.op_id, [])
        if len(entries) > 1 or len(by_key.get(op.ledger_key, [])) > 1:
            duplicated.append(op.op_id)
        if op.outcome == "confirmed" and (op.entry_id not in entries):
            lost.append(op.op_id)
        elif op.outcome == "unconfirmed" and entries:
            posted_unconfirmed.append(op.op_id)
        elif op.outcome == "refused" and entries:
            refused_but_posted.append(op.op_id)
    known_keys = {op.ledger_key for op in book.ops.values()}
    unknown = [key for key in by_key if key not in known_keys and outside_marker not in key]
    return {
        "journal_entries_via_api": len(rows),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "posted_unconfirmed": len(posted_unconfirmed),
        "refused_but_posted": len(refused_but_posted),
        "unknown_entries": len(unknown),
        "samples": {
            "lost": lost[:10],
            "duplicated": duplicated[:10],
            "posted_unconfirmed": posted_unconfirmed[:10],
            "refused_but_posted": refused_but_posted[:10],
            "unknown": unknown[:10],
        },
    }


def ledger_checks(database_url: str) -> dict[str, Any]:
    """Invariants 1-4 over the whole ledger, and the seals of every sealed day."""
    engine = make_engine(database_url, pool_size=1)
    try:
        with unit_of_work(engine) as session:
            report = verify(session)
    finally:
        engine.dispose()
    invariants = report.invariants
    return {
        "invariants_ok": invariants.ok,
        "invariant_violations": {
            "unbalanced_entries": invariants.unbalanced_entries,
            "drifted_balances": invariants.drifted_balances,
            "unbalanced_currencies": invariants.unbalanced_currencies,
            "below_floor": invariants.below_floor,
            "mismatched_currency_postings": invariants.mismatched_currency_postings,
        },
        "seals_ok": report.ok,
        "sealed_days_verified": report.days_verified,
        "sealed_entries_verified": report.entries_verified,
        "first_break": None if report.first_break is None else str(report.first_break),
    }
