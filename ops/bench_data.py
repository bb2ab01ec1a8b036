"""A journal of N postings written set-based, for the export and seal benchmarks and tests.

Two-line entries between a cash account and a thousand member accounts, spread evenly
over a few business dates, inserted with a handful of INSERT ... SELECT statements (the
ledger's own triggers still check every entry balances), then the stored balances set from
the postings. Descriptions carry commas, quotes and line breaks now and then, as real ones do.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import psycopg

MEMBER_ACCOUNTS: Final = 1_000
ENTRIES_PER_STATEMENT: Final = 100_000
FIRST_DATE: Final = dt.date(2026, 1, 5)

_ACCOUNTS = """
INSERT INTO ledger_accounts (code, name, type, currency)
SELECT 'BX-CASH', 'Cash in tills', 'asset', 'GBP'
UNION ALL
SELECT 'BX-M' || lpad(n::text, 6, '0'), 'Member ' || n || ', shares', 'liability', 'GBP'
FROM generate_series(1, %(members)s) AS n
"""

# Entry i is dated so that dates rise with i (and with the sequence number).
_ENTRIES = """
INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date, description,
    reference, kind, metadata, posted_by)
SELECT md5(%(tag)s || i)::uuid, %(tag)s || i, sha256((%(tag)s || i)::bytea),
       %(first)s::date + ((i - 1) * %(days)s / %(entries)s)::int,
       CASE WHEN i %% 97 = 0 THEN 'Deposit, "cash" at branch' || chr(10) || 'counter ' || i
            ELSE 'Deposit ' || i END,
       CASE WHEN i %% 3 = 0 THEN 'REF-' || i END,
       'deposit', '{}'::jsonb, 'teller-' || (i %% 7)
FROM generate_series(%(start)s, %(stop)s) AS i
ORDER BY i
"""

_POSTINGS = """
INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date)
SELECT md5(%(tag)s || i)::uuid,
       CASE WHEN side = 1 THEN cash.id ELSE member.id END,
       side * (1 + (i::bigint * 7919) %% 500000),
       'GBP',
       %(first)s::date + ((i - 1) * %(days)s / %(entries)s)::int
FROM generate_series(%(start)s, %(stop)s) AS i
CROSS JOIN (VALUES (1), (-1)) AS s(side)
JOIN ledger_accounts cash ON cash.code = 'BX-CASH'
JOIN ledger_accounts member ON member.code = 'BX-M' || lpad((1 + i %% %(members)s)::text, 6, '0')
ORDER BY i, side DESC
"""

_BALANCES = """
UPDATE ledger_accounts a SET balance_minor = s.total
FROM (SELECT account_id, sum(amount_minor) AS total FROM postings GROUP BY account_id) s
WHERE a.id = s.account_id
"""


def generate_journal(url: str, *, postings: int, days: int = 5, tag: str = "bx-") -> int:
    """Write `postings` postings (rounded down to whole two-line entries); return the count.

    The database must be migrated and hold no accounts coded BX-*.
    """
    if postings < 2 or days < 1:
        raise ValueError("at least one entry over at least one day")
    entries = postings // 2
    with psycopg.connect(url) as conn:
        conn.execute(_ACCOUNTS, {"members": MEMBER_ACCOUNTS})
        for start in range(1, entries + 1, ENTRIES_PER_STATEMENT):
            window = {
                "tag": tag,
                "first": FIRST_DATE,
                "days": days,
                "entries": entries,
                "start": start,
                "stop": min(entries, start + ENTRIES_PER_STATEMENT - 1),
                "members": MEMBER_ACCOUNTS,
            }
            conn.execute(_ENTRIES, window)
            conn.execute(_POSTINGS, window)
        conn.execute(_BALANCES)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return entries * 2


def business_dates(days: int) -> list[dt.date]:
    return [FIRST_DATE + dt.timedelta(days=n) for n in range(days)]
