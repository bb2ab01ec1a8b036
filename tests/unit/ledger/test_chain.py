"""The seal chain's canonical encoding and hashes (pure, no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.chain import (
    GENESIS,
    CurrencyTotal,
    DayAccumulator,
    DaySummary,
    EntryRecord,
    PostingRecord,
    entry_canonical_bytes,
    next_link,
    seal_hash,
)

DAY = dt.date(2026, 3, 2)
AT = dt.datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=dt.UTC)


def _entry(**changes: object) -> EntryRecord:
    entry = EntryRecord(
        id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
        sequence_no=7,
        idempotency_key="key-1",
        content_hash=bytes(range(32)),
        business_date=DAY,
        posted_at=AT,
        description="Deposit",
        reference=None,
        kind="deposit",
        reverses_entry_id=None,
        metadata_json="{}",
        posted_by="teller",
        postings=(
            PostingRecord(1, 10, 1230, "GBP", DAY),
            PostingRecord(2, 11, -1230, "GBP", DAY),
        ),
    )
    return entry._replace(**changes)


def test_the_genesis_value_is_fixed() -> None:
    assert hashlib.sha256(b"creditunion ledger day-seal chain genesis v1").digest() == GENESIS
    assert GENESIS.hex().startswith("249ca7a5")


def test_the_canonical_bytes_spell_out_every_field() -> None:
    assert entry_canonical_bytes(_entry()) == (
        b"15:ledger.entry.v136:00000000-0000-4000-8000-0000000000011:75:key-1"
        + b"64:"
        + bytes(range(32)).hex().encode()
        + b"10:2026-03-0232:2026-03-02T09:30:00.123456+00:007:Deposit-7:deposit-2:{}6:teller1:2"
        + b"1:12:104:12303:GBP10:2026-03-02"
        + b"1:22:115:-12303:GBP10:2026-03-02"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"sequence_no": 8},
        {"idempotency_key": "key-2"},
        {"content_hash": bytes(32)},
        {"business_date": DAY + dt.timedelta(days=1)},
        {"posted_at": AT + dt.timedelta(microseconds=1)},
        {"description": "Deposit "},
        {"reference": ""},
        {"kind": "withdrawal"},
        {"reverses_entry_id": uuid.UUID(int=5)},
        {"metadata_json": '{"a": 1}'},
        {"posted_by": "teller2"},
        {
            "postings": (
                PostingRecord(1, 10, 1231, "GBP", DAY),
                PostingRecord(2, 11, -1231, "GBP", DAY),
            )
        },
        {"postings": (PostingRecord(1, 10, 1230, "GBP", DAY),)},
        {
            "postings": (
                PostingRecord(1, 12, 1230, "GBP", DAY),
                PostingRecord(2, 11, -1230, "GBP", DAY),
            )
        },
        {
            "postings": (
                PostingRecord(1, 10, 1230, "EUR", DAY),
                PostingRecord(2, 11, -1230, "EUR", DAY),
            )
        },
    ],
)
def test_any_change_to_an_entry_changes_its_bytes_and_link(change: dict[str, object]) -> None:
    original, altered = _entry(), _entry(**change)
    assert entry_canonical_bytes(altered) != entry_canonical_bytes(original)
    assert next_link(GENESIS, entry_canonical_bytes(altered)) != next_link(
        GENESIS, entry_canonical_bytes(original)
    )


def test_the_same_instant_in_another_zone_is_the_same_entry() -> None:
    elsewhere = AT.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert entry_canonical_bytes(_entry(posted_at=elsewhere)) == entry_canonical_bytes(_entry())


def test_a_timestamp_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        entry_canonical_bytes(_entry(posted_at=AT.replace(tzinfo=None)))


text_or_none = st.one_of(st.none(), st.text(max_size=12))


@given(
    a=st.tuples(st.text(max_size=12), text_or_none), b=st.tuples(st.text(max_size=12), text_or_none)
)
def test_shifting_text_between_fields_never_collides(
    a: tuple[str, str | None], b: tuple[str, str | None]
) -> None:
    first = _entry(description=a[0], reference=a[1])
    second = _entry(description=b[0], reference=b[1])
    assert (entry_canonical_bytes(first) == entry_canonical_bytes(second)) == (a == b)


def test_links_chain_in_order() -> None:
    one, two = entry_canonical_bytes(_entry()), entry_canonical_bytes(_entry(sequence_no=8))
    forward = next_link(next_link(GENESIS, one), two)
    assert forward == hashlib.sha256(hashlib.sha256(GENESIS + one).digest() + two).digest()
    assert forward != next_link(next_link(GENESIS, two), one)


def test_the_seal_hash_binds_every_summary_field() -> None:
    summary = DaySummary(DAY, 2, 4, 7, 8, (CurrencyTotal("GBP", 2460, 2460),))
    base = seal_hash(GENESIS, b"\x01" * 32, summary)
    variants = [
        dataclasses.replace(summary, business_date=DAY + dt.timedelta(days=1)),
        dataclasses.replace(summary, entry_count=3),
        dataclasses.replace(summary, posting_count=5),
        dataclasses.replace(summary, first_sequence_no=6),
        dataclasses.replace(summary, last_sequence_no=None),
        dataclasses.replace(summary, totals=(CurrencyTotal("GBP", 2461, 2460),)),
        dataclasses.replace(summary, totals=()),
    ]
    assert all(seal_hash(GENESIS, b"\x01" * 32, v) != base for v in variants)
    assert seal_hash(bytes(32), b"\x01" * 32, summary) != base
    assert seal_hash(GENESIS, b"\x02" * 32, summary) != base


def test_the_day_accumulator_counts_and_totals_per_currency() -> None:
    day = DayAccumulator()
    day.add(7, _entry().postings)
    day.add(9, (PostingRecord(3, 20, 5, "EUR", DAY), PostingRecord(4, 21, -5, "EUR", DAY)))
    assert day.summary(DAY) == DaySummary(
        DAY, 2, 4, 7, 9, (CurrencyTotal("EUR", 5, 5), CurrencyTotal("GBP", 1230, 1230))
    )
    assert DayAccumulator().summary(DAY) == DaySummary(DAY, 0, 0, None, None, ())
