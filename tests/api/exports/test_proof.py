"""Verify and the day seals through the API, on a sealed history of the test's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from creditunion.platform.database import unit_of_work
from ledger.seal import seals_between
from tests.api.exports.conftest import D1, D2, D3, RANGE, Books, audit_records
from tests.seal_helpers import tamper


def _verify(books: Books, **params: str) -> dict[str, Any]:
    response = books.get("/v1/audit/verify", **(params or RANGE))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_verify_passes_on_clean_books_and_names_exactly_the_tampered_entry(books: Books) -> None:
    clean = _verify(books)
    assert clean == {
        "ok": True,
        "from": D1.isoformat(),
        "to": D3.isoformat(),
        "sealed_through": D3.isoformat(),
        "days_verified": 3,
        "entries_verified": 5,
        "postings_verified": 10,
        "first_break": None,
    }

    target = books.history.day1[1]
    tamper(
        books.engine,
        "postings",
        "UPDATE postings SET amount_minor = amount_minor + 1 "
        "WHERE id = (SELECT min(id) FROM postings WHERE entry_id = %s)",
        (target.id,),
    )
    broken = _verify(books)

    assert broken["ok"] is False
    assert broken["first_break"] == {
        "kind": "entry altered",
        "business_date": D1.isoformat(),
        "entry_id": str(target.id),
        "sequence_no": target.sequence_no,
        "detail": "the entry or its postings differ from when sealed",
    }
    # The day after is no business of the break: a range after it verifies.
    later = _verify(books, **{"from": D2.isoformat(), "to": D2.isoformat()})
    assert later["days_verified"] == 1
    # Both verifications are in the audit trail with their outcome.
    records = audit_records(books.engine, "ledger.verify")
    assert [r["summary"]["ok"] for r in records[:2]] == [True, False]
    assert records[1]["summary"]["first_break"]["entry_id"] == str(target.id)
    assert records[1]["actor_username"] == books.auditor.user.username
    assert records[1]["summary"]["postings_verified"] == broken["postings_verified"]


def test_a_changed_seal_is_caught_too(books: Books) -> None:
    tamper(
        books.engine,
        "ledger_day_seals",
        "UPDATE ledger_day_seals SET entry_count = entry_count + 1 WHERE business_date = %s",
        (D3,),
    )
    found = _verify(books)["first_break"]
    assert (found["kind"], found["business_date"], found["entry_id"]) == (
        "seal altered",
        D3.isoformat(),
        None,
    )


def test_the_seals_are_listed_oldest_first_in_pages(books: Books) -> None:
    first = books.get("/v1/audit/seals", limit=2)
    second = books.get("/v1/audit/seals", limit=2, cursor=first.json()["next_cursor"])

    assert first.status_code == second.status_code == 200
    assert second.json()["next_cursor"] is None
    listed = first.json()["items"] + second.json()["items"]
    with unit_of_work(books.engine) as s:
        seals = seals_between(s, from_date=D1, to_date=D3)
    assert [(s["business_date"], s["seal_hash"], s["previous_seal_hash"]) for s in listed] == [
        (seal.business_date.isoformat(), seal.seal_hash.hex(), seal.previous_seal_hash.hex())
        for seal in seals
    ]
    day1, day2, day3 = listed
    assert (day1["entry_count"], day1["posting_count"]) == (3, 6)
    assert day1["totals"] == [{"currency": "GBP", "debit": "112.37", "credit": "112.37"}]
    assert (day2["entry_count"], day2["totals"], day2["first_sequence_no"]) == (0, [], None)
    assert day3["totals"] == [{"currency": "GBP", "debit": "105.55", "credit": "105.55"}]
    assert day3["previous_seal_hash"] == day2["seal_hash"]

    ranged = books.get("/v1/audit/seals", **{"from": D2.isoformat()}).json()["items"]
    assert [s["business_date"] for s in ranged] == [D2.isoformat(), D3.isoformat()]
    assert books.get("/v1/audit/seals", **{"to": "2001-01-01"}).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_verify_dates_are_optional_and_default_to_the_sealed_days(books: Books) -> None:
    """As in `creditunion audit verify`: without dates, the sealed days (at most a year)."""
    every = books.get("/v1/audit/verify")
    assert every.status_code == 200, every.text
    assert (every.json()["from"], every.json()["to"]) == (D1.isoformat(), D3.isoformat())
    assert every.json()["days_verified"] == 3 and every.json()["ok"] is True
    since = _verify(books, **{"from": D2.isoformat()})
    assert (since["from"], since["to"], since["days_verified"]) == (
        D2.isoformat(),
        D3.isoformat(),
        2,
    )
    until = _verify(books, **{"to": D2.isoformat()})
    assert (until["from"], until["to"], until["days_verified"]) == (
        D1.isoformat(),
        D2.isoformat(),
        2,
    )
    # `from` left out covers at most the year ending at `to` (366 days, the API's cap).
    far = D1 + dt.timedelta(days=400)
    capped = _verify(books, to=far.isoformat())
    assert capped["from"] == (far - dt.timedelta(days=365)).isoformat()
    assert capped["days_verified"] == 0
    # `to` left out: the last sealed day, or `from` itself when `from` is later.
    assert (
        _verify(books, **{"from": (D3 + dt.timedelta(days=5)).isoformat()})["to"]
        == (D3 + dt.timedelta(days=5)).isoformat()
    )
    assert len(audit_records(books.engine, "ledger.verify")) == 5
