"""The evidence exports over HTTP: one archive of files and manifest, the same
bytes twice, the same files as the CLI writes, an audit record, auditors only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from creditunion.auth.roles import Role
from creditunion.business_date.service import initialise_business_date
from creditunion.platform.database import unit_of_work
from ledger.chart import install_chart
from tests.api.conftest import login
from tests.api.exports.conftest import D3, Books, audit_records, manifest_of, sha256, unzip
from tests.api.factories import make_user
from tests.factories_loans import (
    adopt_as_share_account,
    deposit,
    gbp,
    make_loan,
    member,
    share_account,
)

DAY = D3 + dt.timedelta(days=1)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def test_the_chart_of_accounts_export_is_an_archive_with_its_manifest(books: Books) -> None:
    params = {"format": "csv", "as_of": D3.isoformat()}
    first = books.get("/v1/exports/chart-of-accounts", **params)
    again = books.get("/v1/exports/chart-of-accounts", **params)
    assert first.status_code == 200, first.text
    assert first.content == again.content
    entries = unzip(first.content)
    stem = f"chart-of-accounts_{D3}"
    assert list(entries) == [f"{stem}.csv", f"{stem}.csv.manifest.json"]
    manifest = manifest_of(entries)
    assert manifest["report"] == "chart-of-accounts"
    assert manifest["parameters"] == {"as_of": D3.isoformat(), "time_zone": "Europe/London"}
    assert manifest["files"][0]["sha256"] == sha256(entries[f"{stem}.csv"])
    rows = _rows(entries[f"{stem}.csv"])
    # The history's three accounts, each posted to by 4 March.
    history = books.history
    assert {r["account_code"] for r in rows} == {
        history.cash.code,
        history.alice.code,
        history.bob.code,
    }
    assert manifest["parts"]["accounts"]["rows"] == 3
    recorded = audit_records(books.engine, "export.chart_of_accounts")
    assert len(recorded) == 2 and recorded[0]["actor_role"] == "auditor"


def test_a_teller_cannot_export_the_chart(books: Books) -> None:
    teller = login(books.client, make_user(Role.TELLER))
    answer = books.get("/v1/exports/chart-of-accounts", teller, format="csv", as_of="2026-03-04")
    assert answer.status_code == 403
    bad = books.get("/v1/exports/chart-of-accounts", format="csv", as_of="9999-12-31")
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/as_of"


def test_the_member_balances_export_sums_the_journal(books: Books) -> None:
    ann = member(books.engine, since=D3)
    with unit_of_work(books.engine) as s:
        install_chart(s, currency="GBP")
        ledger_id = share_account(s, gbp("40.00"), on=DAY)
        adopt_as_share_account(s, ledger_id, member_id=ann.member_id, on=DAY)
        deposit(s, ledger_id, gbp("2.50"), on=DAY)
    answer = books.get("/v1/exports/member-balances", format="jsonl", as_of=DAY.isoformat())
    assert answer.status_code == 200, answer.text
    entries = unzip(answer.content)
    stem = f"member-balances_{DAY}"
    assert list(entries) == [
        f"{stem}.jsonl",
        f"{stem}.members.jsonl",
        f"{stem}.jsonl.manifest.json",
    ]
    (line,) = entries[f"{stem}.jsonl"].decode().splitlines()
    assert json.loads(line)["balance"] == "42.50"
    assert manifest_of(entries)["parts"]["balances"]["totals"] == {"GBP": {"balance": "42.50"}}
    assert len(audit_records(books.engine, "export.member_balances")) == 1


def test_the_cut_off_export_over_a_range(books: Books) -> None:
    params = {"format": "xlsx", "from": D3.isoformat(), "to": D3.isoformat()}
    first = books.get("/v1/exports/cut-off", **params)
    again = books.get("/v1/exports/cut-off", **params)
    assert first.status_code == 200, first.text
    assert first.content == again.content
    entries = unzip(first.content)
    stem = f"cut-off_{D3}_{D3}"
    assert list(entries) == [f"{stem}.xlsx", f"{stem}.xlsx.manifest.json"]
    manifest = manifest_of(entries)
    # The history was posted today on the wall clock, long after 4 March: back-dated.
    assert manifest["parts"]["entries"]["rows"] == 2
    assert manifest["parts"]["entries"]["totals"] == {"GBP": {"amount": "105.55"}}
    backwards = books.get(
        "/v1/exports/cut-off", format="csv", to=D3.isoformat(), **{"from": "2026-03-05"}
    )
    assert backwards.status_code == 422
    assert len(audit_records(books.engine, "export.cut_off")) == 2


def test_the_interest_report_export(books: Books) -> None:
    params = {"format": "csv", "from": D3.isoformat(), "to": DAY.isoformat()}
    answer = books.get("/v1/exports/interest-report", **params)
    assert answer.status_code == 200, answer.text
    entries = unzip(answer.content)
    stem = f"interest-report_{D3}_{DAY}"
    assert list(entries) == [
        f"{stem}.csv",
        f"{stem}.totals.csv",
        f"{stem}.csv.manifest.json",
    ]
    # No savings interest has accrued in these books: the accrual history holds no date.
    assert manifest_of(entries)["parameters"] == {
        "accrued_recorded_from": "none",
        "from": D3.isoformat(),
        "to": DAY.isoformat(),
    }
    assert books.get("/v1/exports/interest-report", **params).content == answer.content
    assert len(audit_records(books.engine, "export.interest_report")) == 2


def test_the_loan_book_export(books: Books) -> None:
    loan_id, _, _ = make_loan(books.engine, amount="1000", term=12, on=DAY)
    params = {"format": "jsonl", "as_of": DAY.isoformat(), "from": D3.isoformat()}
    answer = books.get("/v1/exports/loan-book", **params)
    assert answer.status_code == 200, answer.text
    entries = unzip(answer.content)
    stem = f"loan-book_{D3}_{DAY}"
    assert list(entries) == [
        f"{stem}.jsonl",
        f"{stem}.register.jsonl",
        f"{stem}.jsonl.manifest.json",
    ]
    (line,) = entries[f"{stem}.jsonl"].decode().splitlines()
    loan = json.loads(line)
    assert (loan["loan_id"], loan["principal"], loan["status"]) == (loan_id, "1000.00", "active")
    assert books.get("/v1/exports/loan-book", **params).content == answer.content
    backwards = books.get(
        "/v1/exports/loan-book", format="csv", as_of=D3.isoformat(), **{"from": DAY.isoformat()}
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["pointer"] == "#/from"
    assert len(audit_records(books.engine, "export.loan_book")) == 2


def test_the_user_access_export(books: Books) -> None:
    # The logins were created now, on the wall clock: today in the business time zone.
    day = dt.datetime.now(ZoneInfo("Europe/London")).date()
    params = {"format": "csv", "from": day.isoformat(), "to": day.isoformat()}
    answer = books.get("/v1/exports/user-access", **params)
    assert answer.status_code == 200, answer.text
    entries = unzip(answer.content)
    stem = f"user-access_{day}_{day}"
    assert list(entries)[:2] == [f"{stem}.csv", f"{stem}.changes.csv"]
    users = _rows(entries[f"{stem}.csv"])
    assert {(u["username"], u["role"]) for u in users} >= {
        (books.auditor.user.username, "auditor"),
        (books.manager.user.username, "manager"),
    }
    assert len(audit_records(books.engine, "export.user_access")) == 1


def test_the_settings_changes_export_shows_a_loan_products_new_terms(books: Books) -> None:
    with unit_of_work(books.engine) as s:
        install_chart(s, currency="GBP")
        initialise_business_date(s, business_date=DAY)
    body: dict[str, Any] = {
        "name": "Evidence loan",
        "currency": "GBP",
        "amounts": {
            "minimum": {"amount": "100.00", "currency": "GBP"},
            "maximum": {"amount": "900.00", "currency": "GBP"},
        },
        "terms": {"minimum": 3, "maximum": 12, "unit": "months"},
        "frequencies": ["monthly"],
        "rate": {"value": "0.015", "basis": "monthly"},
        "rule_set": "gb",
    }
    made = books.client.post(
        "/v1/loan-products", json={**body, "code": "EVIDENCE"}, headers=books.manager.headers
    )
    assert made.status_code == 201, made.text
    dearer = {**body, "rate": {"value": "0.02", "basis": "monthly"}}
    changed = books.client.put(
        "/v1/loan-products/EVIDENCE", json=dearer, headers=books.manager.headers
    )
    assert changed.status_code == 200, changed.text
    day = dt.datetime.now(ZoneInfo("Europe/London")).date()
    answer = books.get(
        "/v1/exports/settings-changes",
        format="jsonl",
        **{"from": day.isoformat(), "to": day.isoformat()},
    )
    assert answer.status_code == 200, answer.text
    entries = unzip(answer.content)
    stem = f"settings-changes_{day}_{day}"
    rows = [json.loads(line) for line in entries[f"{stem}.jsonl"].decode().splitlines()]
    products = [r for r in rows if r["action"].startswith("loan_product.")]
    assert [(r["action"], r["actor_username"]) for r in products] == [
        ("loan_product.create", books.manager.user.username),
        ("loan_product.update", books.manager.user.username),
    ]
    terms = [json.loads(r["terms"]) for r in products]
    assert [(t["version"], t["rate"], t["rate_basis"]) for t in terms] == [
        (1, "0.015", "monthly"),
        (2, "0.02", "monthly"),
    ]
    assert len(audit_records(books.engine, "export.settings_changes")) == 1
