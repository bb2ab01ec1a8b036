"""`creditunion audit verify` reconciles the loan book and members' shares with the ledger
and fails on a break; `creditunion export reconciliation` writes it as at any date, the
same bytes twice (issues 20 and 22)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from creditunion.platform.database import default_engine, libpq_url, unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli import app
from ledger.ownership import STAFF
from ledger.reversal import reverse_entry
from loans.models import TransactionKind
from loans.services.queries import loan_transactions
from loans.services.repayments import RepaymentSource, repay
from tests.factories_loans import TODAY, gbp, make_loan

runner = CliRunner()
LATER = TODAY + dt.timedelta(days=1)


@pytest.fixture
def cli_env(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", libpq_url(fresh_engine.url.render_as_string(False)))
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield
    get_settings.cache_clear()
    default_engine.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("cli_env")
def test_audit_verify_and_the_export_show_a_loan_entry_reversed_generically(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    loan_id, shares, _ = make_loan(fresh_engine, amount="1000", term=12, shares="200")
    with unit_of_work(fresh_engine) as s:
        repay(
            s,
            loan_id=loan_id,
            amount=gbp("100.00"),
            source=RepaymentSource.shares(shares),
            idempotency_key=f"pay-{loan_id}",
            business_date=TODAY,
            actor="user:teller-1",
            scope=STAFF,
        )
    code, output = _run("audit", "verify")
    assert code == 0, output
    assert f"reconciled as at {TODAY}" in output
    first = ["export", "reconciliation", "--as-of", TODAY.isoformat(), "--format", "csv"]
    assert _run(*first, "--out", str(tmp_path / "one.csv"))[0] == 0

    with unit_of_work(fresh_engine) as s:
        entry_id = next(
            t.journal_entry_id
            for t in loan_transactions(s, loan_id=loan_id, scope=STAFF)
            if t.kind is TransactionKind.REPAYMENT
        )
        assert entry_id is not None
        reverse_entry(
            s,
            entry_id=entry_id,
            idempotency_key=f"generic-{loan_id}",
            business_date=LATER,
            posted_by="user:manager-2",
        )
    code, output = _run("audit", "verify")
    assert code == 1
    assert f"BROKEN: 2 reconciliation breaks as at {LATER}" in output
    assert f"loan {loan_id} principal" in output and "difference 100.00 GBP" in output

    # As at the day before the reversal nothing has changed, byte for byte.
    assert _run(*first, "--out", str(tmp_path / "two.csv"))[0] == 0
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    later = ["export", "reconciliation", "--as-of", LATER.isoformat(), "--format", "csv"]
    assert _run(*later, "--out", str(tmp_path / "later.csv"))[0] == 0
    lines = (tmp_path / "later.csv").read_text().splitlines()
    assert any(
        f",{loan_id},," in line and line.endswith(",900.00,1000.00,100.00") for line in lines
    )
    (manifest,) = tmp_path.glob("later*.manifest.json")
    assert json.loads(manifest.read_text())["report"] == "reconciliation"
