"""The evidence exports over HTTP (issue 22): one archive of files and manifest, the same
bytes twice, the same files as the CLI writes, an audit record, auditors only."""

from __future__ import annotations

import csv
import io

from creditunion.auth.roles import Role
from tests.api.conftest import login
from tests.api.exports.conftest import D3, Books, audit_records, manifest_of, sha256, unzip
from tests.api.factories import make_user


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
