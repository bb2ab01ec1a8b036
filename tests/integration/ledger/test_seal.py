"""Day seals and verify, on databases of their own (they close dates and tamper with rows)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import Engine, text

from creditunion.platform.database import unit_of_work
from ledger.chain import GENESIS, DayAccumulator, entry_canonical_bytes, next_link, seal_hash
from ledger.journal_stream import entries_between
from ledger.periods import close_business_date
from ledger.seal import (
    DateNotClosed,
    DayAlreadySealed,
    SealOutOfOrder,
    get_seal,
    next_date_to_seal,
    seal_day,
    seal_through,
)
from ledger.verify import BreakKind, verify
from tests.seal_helpers import D1, D2, D3, build_history, close_and_seal, superuser, tamper

D4 = D3 + dt.timedelta(days=1)


def _verify(engine: Engine, **window: dt.date):  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        return verify(s, **window)


def test_the_chain_runs_across_days_including_an_empty_one(fresh_engine: Engine) -> None:
    history = build_history(fresh_engine)

    s1, s2, s3 = close_and_seal(fresh_engine, [D1, D2, D3])

    assert s1.previous_seal_hash == GENESIS
    assert (s1.entry_count, s1.posting_count) == (3, 6)
    assert (s1.first_sequence_no, s1.last_sequence_no) == (
        history.day1[0].sequence_no,
        history.day1[2].sequence_no,
    )
    assert [(t.currency, t.debit_minor, t.credit_minor) for t in s1.totals] == [
        ("GBP", 11237, 11237)
    ]
    # The empty day still seals, linking D1 to D3.
    assert s2.previous_seal_hash == s1.seal_hash
    assert (s2.entry_count, s2.posting_count, s2.first_sequence_no, s2.totals) == (0, 0, None, ())
    assert s2.last_link == s1.seal_hash
    assert s3.previous_seal_hash == s2.seal_hash
    assert (s3.entry_count, s3.posting_count) == (2, 4)
    assert len({s1.seal_hash, s2.seal_hash, s3.seal_hash}) == 3
    # Recomputed independently from the entries, D1's seal is what was stored.
    with unit_of_work(fresh_engine) as s:
        link, day = GENESIS, DayAccumulator()
        for entry in entries_between(s, from_date=D1, to_date=D1):
            link = next_link(link, entry_canonical_bytes(entry))
            day.add(entry.sequence_no, entry.postings)
        stored_links = s.execute(
            text("SELECT count(*) FROM ledger_entry_chain WHERE business_date = :d"), {"d": D1}
        ).scalar()
    assert link == s1.last_link
    assert seal_hash(GENESIS, link, day.summary(D1)) == s1.seal_hash
    assert stored_links == 3

    report = _verify(fresh_engine)
    assert report.ok, report.first_break
    assert (report.days_verified, report.entries_verified, report.postings_verified) == (3, 5, 10)
    assert report.invariants.ok


def test_sealing_is_refused_out_of_order_unclosed_or_twice(fresh_engine: Engine) -> None:
    build_history(fresh_engine)
    with unit_of_work(fresh_engine) as s, pytest.raises(DateNotClosed):
        seal_day(s, business_date=D1, sealed_by="test")
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=D2, closed_by="test")
    with unit_of_work(fresh_engine) as s, pytest.raises(SealOutOfOrder):
        seal_day(s, business_date=D2, sealed_by="test")  # D1's entries would be left out
    with unit_of_work(fresh_engine) as s:
        assert next_date_to_seal(s) == D1
        seal_day(s, business_date=D1, sealed_by="test")
    with unit_of_work(fresh_engine) as s, pytest.raises(DayAlreadySealed):
        seal_day(s, business_date=D1, sealed_by="test")
    with unit_of_work(fresh_engine) as s, pytest.raises(DateNotClosed):
        seal_day(s, business_date=D3, sealed_by="test")
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=D4, closed_by="test")
    with unit_of_work(fresh_engine) as s, pytest.raises(SealOutOfOrder):
        seal_day(s, business_date=D3, sealed_by="test")  # D2 comes first
    with unit_of_work(fresh_engine) as s, pytest.raises(ValueError):
        seal_day(s, business_date=D2, sealed_by=" ")
    with unit_of_work(fresh_engine) as s:
        assert get_seal(s, D2) is None
        assert next_date_to_seal(s) == D2


def test_two_sealers_racing_for_one_day_seal_it_once(fresh_engine: Engine) -> None:
    build_history(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=D1, closed_by="test")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sealer() -> None:
        try:
            with unit_of_work(fresh_engine) as s:
                barrier.wait()
                seal_day(s, business_date=D1, sealed_by=f"sealer-{threading.get_ident()}")
            outcomes.append("sealed")
        except DayAlreadySealed:
            outcomes.append("already")

    threads = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already", "sealed"]
    assert _verify(fresh_engine).ok


def test_the_seal_tables_are_append_only(fresh_engine: Engine) -> None:
    build_history(fresh_engine)
    close_and_seal(fresh_engine, [D1])
    for statement in (
        "UPDATE ledger_day_seals SET entry_count = 0",
        "DELETE FROM ledger_entry_chain",
        "DELETE FROM ledger_day_seal_totals",
        "TRUNCATE ledger_day_seals CASCADE",
    ):
        with pytest.raises(Exception, match="append-only"), unit_of_work(fresh_engine) as s:
            s.execute(text(statement))


def _sealed_history(engine: Engine):  # type: ignore[no-untyped-def]
    history = build_history(engine)
    close_and_seal(engine, [D1, D2, D3])
    assert _verify(engine).ok
    return history


def test_verify_fails_at_exactly_the_posting_whose_amount_was_changed(
    fresh_engine: Engine,
) -> None:
    history = _sealed_history(fresh_engine)
    target = history.day3[0]

    tamper(
        fresh_engine,
        "postings",
        "UPDATE postings SET amount_minor = amount_minor + 1 "
        "WHERE id = (SELECT min(id) FROM postings WHERE entry_id = %s)",
        (target.id,),
    )

    report = _verify(fresh_engine)
    assert not report.ok
    found = report.first_break
    assert found is not None
    assert (found.kind, found.business_date, found.entry_id, found.sequence_no) == (
        BreakKind.ENTRY_ALTERED,
        D3,
        target.id,
        target.sequence_no,
    )
    assert str(target.id) in report.invariants.unbalanced_entries
    assert report.invariants.drifted_balances


def test_verify_reports_a_deleted_posting_at_its_entry(fresh_engine: Engine) -> None:
    history = _sealed_history(fresh_engine)
    target = history.day1[1]

    tamper(
        fresh_engine,
        "postings",
        "DELETE FROM postings WHERE id = (SELECT max(id) FROM postings WHERE entry_id = %s)",
        (target.id,),
    )

    found = _verify(fresh_engine).first_break
    assert found is not None
    assert (found.kind, found.business_date, found.entry_id) == (
        BreakKind.ENTRY_ALTERED,
        D1,
        target.id,
    )


def test_verify_reports_an_entry_slipped_into_a_sealed_day(fresh_engine: Engine) -> None:
    history = _sealed_history(fresh_engine)
    entry_id = uuid.uuid4()
    # The closed date refuses it through the ledger and the database's trigger, so a
    # superuser with triggers off puts it straight into the tables.
    with superuser(fresh_engine) as conn:
        conn.execute("SET session_replication_role = replica")
        row = conn.execute(
            "INSERT INTO journal_entries (id, idempotency_key, content_hash, business_date, "
            "description, kind, posted_by) VALUES (%s, %s, %s, %s, 'backdated', 'manual', 'x') "
            "RETURNING sequence_no",
            (entry_id, f"slip-{entry_id}", b"\x00" * 32, D1),
        ).fetchone()
        conn.execute(
            "INSERT INTO postings (entry_id, account_id, amount_minor, currency, business_date) "
            "VALUES (%s, %s, 500, 'GBP', %s), (%s, %s, -500, 'GBP', %s)",
            (entry_id, history.cash.id, D1, entry_id, history.alice.id, D1),
        )
        conn.execute(
            "UPDATE ledger_accounts SET balance_minor = balance_minor + d FROM "
            "(VALUES (%s::bigint, 500), (%s::bigint, -500)) AS v(id, d) "
            "WHERE ledger_accounts.id = v.id",
            (history.cash.id, history.alice.id),
        )
    assert row is not None

    found = _verify(fresh_engine).first_break
    assert found is not None
    assert (found.kind, found.business_date, found.entry_id, found.sequence_no) == (
        BreakKind.ENTRY_ADDED,
        D1,
        entry_id,
        row[0],
    )


def test_verify_reports_a_deleted_entry_where_it_was(fresh_engine: Engine) -> None:
    history = _sealed_history(fresh_engine)
    target = history.day1[1]
    with superuser(fresh_engine) as conn:
        conn.execute("SET session_replication_role = replica")  # no triggers, no key checks
        conn.execute("DELETE FROM postings WHERE entry_id = %s", (target.id,))
        conn.execute("DELETE FROM journal_entries WHERE id = %s", (target.id,))

    found = _verify(fresh_engine).first_break
    assert found is not None
    assert (found.kind, found.business_date, found.entry_id, found.sequence_no) == (
        BreakKind.ENTRY_MISSING,
        D1,
        target.id,
        target.sequence_no,
    )


def test_verify_reports_a_deleted_entry_and_link_at_the_next_entry(fresh_engine: Engine) -> None:
    history = _sealed_history(fresh_engine)
    gone, after = history.day1[1], history.day1[2]
    with superuser(fresh_engine) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM ledger_entry_chain WHERE entry_id = %s", (gone.id,))
        conn.execute("DELETE FROM postings WHERE entry_id = %s", (gone.id,))
        conn.execute("DELETE FROM journal_entries WHERE id = %s", (gone.id,))

    found = _verify(fresh_engine).first_break
    assert found is not None
    assert (found.kind, found.business_date, found.entry_id) == (
        BreakKind.ENTRY_MISSING,
        D1,
        after.id,
    )


@pytest.mark.parametrize(
    ("statement", "day", "kind"),
    [
        (
            "UPDATE ledger_day_seals SET entry_count = 4 WHERE business_date = %s",
            D1,
            BreakKind.SEAL_ALTERED,
        ),
        (
            "UPDATE ledger_day_seals SET seal_hash = sha256(seal_hash) WHERE business_date = %s",
            D2,
            BreakKind.SEAL_ALTERED,
        ),
        (
            "UPDATE ledger_day_seals SET previous_seal_hash = sha256(previous_seal_hash) "
            "WHERE business_date = %s",
            D3,
            BreakKind.SEAL_LINK_BROKEN,
        ),
    ],
)
def test_verify_reports_a_changed_seal_row(
    fresh_engine: Engine, statement: str, day: dt.date, kind: BreakKind
) -> None:
    _sealed_history(fresh_engine)

    tamper(fresh_engine, "ledger_day_seals", statement, (day,))

    found = _verify(fresh_engine).first_break
    assert found is not None
    assert (found.kind, found.business_date, found.entry_id) == (kind, day, None)


def test_a_changed_seal_total_is_found(fresh_engine: Engine) -> None:
    _sealed_history(fresh_engine)

    tamper(
        fresh_engine,
        "ledger_day_seal_totals",
        "UPDATE ledger_day_seal_totals SET debit_minor = debit_minor + 1 WHERE business_date = %s",
        (D3,),
    )

    found = _verify(fresh_engine).first_break
    assert found is not None
    assert (found.kind, found.business_date) == (BreakKind.SEAL_ALTERED, D3)


def test_verify_over_a_range_checks_only_its_days_but_all_balances(fresh_engine: Engine) -> None:
    history = _sealed_history(fresh_engine)
    tamper(
        fresh_engine,
        "postings",
        "UPDATE postings SET amount_minor = amount_minor * 2 "
        "WHERE id = (SELECT min(id) FROM postings WHERE entry_id = %s)",
        (history.day1[0].id,),
    )

    later = _verify(fresh_engine, from_date=D2, to_date=D3)
    found = later.first_break
    assert later.days_verified == 2
    assert found is not None
    # D1's chain is outside the range, but the stored balances are checked everywhere.
    assert found.kind is BreakKind.BALANCE_DRIFT
    whole = _verify(fresh_engine, to_date=D1).first_break
    assert whole is not None
    assert (whole.kind, whole.entry_id) == (BreakKind.ENTRY_ALTERED, history.day1[0].id)


def test_verify_of_an_unsealed_ledger_checks_the_invariants_only(fresh_engine: Engine) -> None:
    build_history(fresh_engine)

    report = _verify(fresh_engine)

    assert report.ok
    assert report.days_verified == 0


def test_the_sql_and_python_encoders_agree_on_hostile_entries(fresh_engine: Engine) -> None:
    """Sealing encodes entries in SQL, verify in Python: they must give the same bytes."""
    from ledger.entry import EntryRequest, Line
    from ledger.journal_stream import canonical_entries_of_day
    from ledger.money import Money
    from ledger.posting import post_entry
    from tests.ledger_helpers import new_account

    texts = [
        "é",
        "e\u0301",
        "😀 emoji",
        "tab\there",
        "line\nbreak",
        "1:2:3",
        "-",
        " padded ",
        "x" * 500,
    ]
    with unit_of_work(fresh_engine) as s:
        gbp_a, gbp_b = new_account(s), new_account(s)
        jpy_a, jpy_b = new_account(s, currency="JPY"), new_account(s, currency="JPY")
        for n, description in enumerate(texts):
            post_entry(
                s,
                EntryRequest(
                    idempotency_key=f"hostile-{n}-é😀-{uuid.uuid4()}",
                    business_date=D1,
                    lines=(
                        Line.debit(gbp_a.id, Money("0.01", "GBP")),
                        Line.credit(gbp_b.id, Money("0.01", "GBP")),
                        Line.debit(jpy_a.id, Money(n + 1, "JPY")),
                        Line.credit(jpy_b.id, Money(n + 1, "JPY")),
                    ),
                    description=description,
                    posted_by=f"user {description[:50]}",
                    kind="hostile.kind_1",
                    reference=None if n % 2 else description[:200],
                    metadata={"note": description, "n": n, "nested": {"ünï": [1, "2", None]}},
                ),
            )
    with unit_of_work(fresh_engine) as s:
        s.execute(text("SET LOCAL TimeZone = 'America/New_York'"))
        from_sql = {e: c for e, _, c in canonical_entries_of_day(s, D1)}
        from_python = {
            e.id: entry_canonical_bytes(e) for e in entries_between(s, from_date=D1, to_date=D1)
        }
    assert len(from_sql) == len(texts)
    assert from_sql == from_python
    close_and_seal(fresh_engine, [D1])
    assert _verify(fresh_engine).ok


def test_seal_through_catches_up_from_the_journal_s_first_day(fresh_engine: Engine) -> None:
    build_history(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        close_business_date(s, business_date=D4, closed_by="cob")
        with pytest.raises(SealOutOfOrder, match="4 days"):
            seal_through(s, business_date=D4, sealed_by="cob", days_max=3)
        seals = seal_through(s, business_date=D4, sealed_by="cob")
        assert seal_through(s, business_date=D4, sealed_by="cob") == []
    assert [seal.business_date for seal in seals] == [D1, D2, D3, D4]
    assert [seal.entry_count for seal in seals] == [3, 0, 2, 0]
    assert _verify(fresh_engine).days_verified == 4
