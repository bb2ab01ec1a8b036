"""`GET /v1/exports/reconciliation`: the loan book and members' shares against their
ledger accounts as at a date, per account with differences; the same bytes twice, a
manifest, and an audit record."""

from __future__ import annotations

import csv
import datetime as dt
import io

from creditunion.platform.database import unit_of_work
from ledger.ownership import STAFF
from loans.services.repayments import RepaymentSource, repay
from tests.api.exports.conftest import D3, Books, audit_records, manifest_of, unzip
from tests.factories_loans import gbp, make_loan

DAY = D3 + dt.timedelta(days=1)


def test_the_reconciliation_export_lists_each_account_with_its_difference(books: Books) -> None:
    loan_id, shares, _ = make_loan(books.engine, amount="1000", term=12, shares="50", on=DAY)
    with unit_of_work(books.engine) as s:
        repay(
            s,
            loan_id=loan_id,
            amount=gbp("100.00"),
            source=RepaymentSource.shares(shares),
            idempotency_key=f"pay-{loan_id}",
            business_date=DAY,
            actor="user:teller-1",
            scope=STAFF,
        )
    first = books.get("/v1/exports/reconciliation", format="csv", as_of=DAY.isoformat())
    again = books.get("/v1/exports/reconciliation", format="csv", as_of=DAY.isoformat())
    assert first.status_code == 200, first.text
    entries = unzip(first.content)
    assert unzip(again.content) == entries
    manifest = manifest_of(entries)
    assert manifest["report"] == "reconciliation"
    assert manifest["parameters"] == {"as_of": DAY.isoformat()}
    rows = list(csv.DictReader(io.StringIO(entries[next(iter(entries))].decode(), newline="")))
    by_key = {(r["section"], r["loan_id"], r["component"]): r for r in rows}
    principal = by_key[("loan", str(loan_id), "principal")]
    assert (principal["book"], principal["ledger"], principal["difference"]) == (
        "900.00",
        "900.00",
        "0.00",
    )
    control = by_key[("control", "", "principal")]
    assert control["account_code"] == "1300" and control["difference"] == "0.00"
    allowance = by_key[("control", "", "allowance")]
    assert (allowance["account_code"], allowance["book"], allowance["difference"]) == (
        "1390",
        "0.00",
        "0.00",
    )
    share = next(r for r in rows if r["section"] == "share" and r["member_id"])
    assert (share["book"], share["ledger"], share["difference"]) == ("950.00", "950.00", "0.00")
    earlier = books.get("/v1/exports/reconciliation", format="csv", as_of=D3.isoformat())
    earlier_rows = list(
        csv.DictReader(io.StringIO(next(iter(unzip(earlier.content).values())).decode()))
    )
    assert all(r["section"] != "loan" for r in earlier_rows)
    recorded = audit_records(books.engine, "export.reconciliation")
    assert len(recorded) == 3 and recorded[0]["summary"]["parameters"] == {"as_of": DAY.isoformat()}
