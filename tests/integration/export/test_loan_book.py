"""The loan book as at a date and the write-off register: balances from the
journal, arrears as close of business recorded them that day (the history the arrears
step now keeps, once per loan and day however often it runs), provision, status; every
format with its manifest and the same bytes twice; the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.exports.loan_book import loan_book_report
from creditunion.platform.database import unit_of_work
from launch.cli import app
from ledger.export.run import ExportFormat
from loans.frequency import Frequency
from loans.product import AmountRange, TermRange
from loans.services.arrears import age_arrears
from loans.services.cob_accrual import accrue_interest
from loans.services.provisioning import provide_for_losses
from loans.services.repayments import RepaymentSource
from loans.services.writeoff import record_recovery, write_off_loan
from tests.evidence_helpers import check_every_format, csv_rows, export
from tests.factories_loans import gb_product, gbp, make_loan

FIRST_DUE = dt.date(2026, 2, 15)  # instalment 1 of 206.02; instalment 2 due 15 March
TEN_LATE = dt.date(2026, 2, 25)
MONTH_END = dt.date(2026, 5, 31)
WRITTEN_OFF = dt.date(2026, 6, 15)  # 120 days after the first due date
RECOVERED = dt.date(2026, 6, 20)
runner = CliRunner()


def _age(engine: Engine, day: dt.date) -> None:
    with unit_of_work(engine) as s:
        age_arrears(s, business_date=day, write_off_after_days=120)


@pytest.fixture
def book(fresh_engine: Engine) -> int:
    """400.00 over two months at 2% a month (instalments 206.02), disbursed on 15 January,
    never paid; 2.00 late fee per instalment. Interest accrued to 15 February (8.00), the
    arrears aged on 15 and 25 February (twice on the 25th), 31 May and 15 June; provided
    for at 31 May (over three months late: 35% of 412.00 under CREDS, 144.20); written off
    on 15 June, 150.00 recovered on 20 June."""
    loan_id, _, _ = make_loan(
        fresh_engine,
        product=gb_product(
            amounts=AmountRange(gbp("400"), gbp("2000")),
            terms=TermRange(1, 2),
            frequencies=frozenset({Frequency.MONTHLY}),
            late_fee=gbp("2"),
        ),
        amount="400",
        term=2,
        mandate=False,
    )
    with unit_of_work(fresh_engine) as s:
        accrue_interest(s, business_date=FIRST_DUE)
    _age(fresh_engine, FIRST_DUE)
    _age(fresh_engine, TEN_LATE)
    _age(fresh_engine, TEN_LATE)
    _age(fresh_engine, MONTH_END)
    with unit_of_work(fresh_engine) as s:
        provide_for_losses(s, business_date=MONTH_END)
    _age(fresh_engine, WRITTEN_OFF)
    with unit_of_work(fresh_engine) as s:
        write_off_loan(
            s,
            loan_id=loan_id,
            business_date=WRITTEN_OFF,
            actor="user:manager-1",
            reason="no contact",
            min_days_past_due=120,
        )
    with unit_of_work(fresh_engine) as s:
        record_recovery(
            s,
            loan_id=loan_id,
            amount=gbp("150"),
            source=RepaymentSource.cash(),
            idempotency_key="recovery-1",
            business_date=RECOVERED,
            actor="user:teller-1",
        )
    return loan_id


def _book(
    engine: Engine, tmp_path: Path, start: dt.date, as_of: dt.date
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    out = tmp_path / f"book-{as_of}.csv"
    export(
        engine,
        lambda s: loan_book_report(s, from_date=start, as_of=as_of),
        ExportFormat.CSV,
        out,
    )
    return csv_rows(out), csv_rows(out.with_name(f"{out.stem}.register.csv"))


def _figures(row: dict[str, str]) -> tuple[str, ...]:
    keys = ("status", "principal", "interest", "fees", "outstanding", "days_past_due")
    return tuple(row[k] for k in (*keys, "arrears", "ageing_bucket", "provision"))


def test_the_book_as_at_past_dates_reads_the_recorded_arrears(
    fresh_engine: Engine, book: int, tmp_path: Path
) -> None:
    (loan,), register = _book(fresh_engine, tmp_path, dt.date(2026, 2, 1), FIRST_DUE)
    assert loan["loan_id"] == str(book)
    # Due today is not past due.
    assert _figures(loan) == (
        "active",
        "400.00",
        "8.00",
        "0.00",
        "408.00",
        "0",
        "0.00",
        "current",
        "",
    )
    assert register == []

    (loan,), _ = _book(fresh_engine, tmp_path, dt.date(2026, 2, 1), TEN_LATE)
    # Instalment 1 (198.02 + 8.00) and its 2.00 late fee, ten days late.
    assert _figures(loan) == (
        "active",
        "400.00",
        "8.00",
        "2.00",
        "410.00",
        "10",
        "208.02",
        "1-30",
        "",
    )
    # No close of business aged the arrears on 10 March: not recorded, so not shown; and
    # no provision had been made yet.
    (loan,), _ = _book(fresh_engine, tmp_path, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert _figures(loan)[5:] == ("", "", "", "")
    # On 10 June the provision made at 31 May is in force, though the write-off since has
    # cleared it from the loan.
    (loan,), _ = _book(fresh_engine, tmp_path, dt.date(2026, 6, 1), dt.date(2026, 6, 10))
    assert (loan["status"], loan["provision"], loan["provisioned_on"]) == (
        "active",
        "144.20",
        "2026-05-31",
    )
    with unit_of_work(fresh_engine) as s:
        recorded = s.execute(
            text(
                "SELECT business_date, days_past_due, arrears_minor, arrears_bucket, "
                "provision_minor FROM loan_arrears_history WHERE loan_id = :id "
                "ORDER BY business_date"
            ),
            {"id": book},
        ).all()
    # One row a day, however often the step ran; after maturity everything is in arrears.
    assert [tuple(r) for r in recorded] == [
        (FIRST_DUE, 0, 0, "current", None),
        (TEN_LATE, 10, 20_802, "1-30", None),
        (MONTH_END, 105, 41_200, "90+", 14_420),
        (WRITTEN_OFF, 120, 41_200, "90+", None),
    ]


def test_the_register_lists_the_write_off_and_the_recovery(
    fresh_engine: Engine, book: int, tmp_path: Path
) -> None:
    (loan,), register = _book(fresh_engine, tmp_path, dt.date(2026, 6, 1), RECOVERED)
    # Written off: nothing left on the book, no longer aged, no provision.
    assert _figures(loan) == ("written_off", "0.00", "0.00", "0.00", "0.00", "", "", "", "")
    assert [
        (r["business_date"], r["kind"], r["amount"], r["principal"], r["interest"], r["fees"])
        for r in register
    ] == [
        ("2026-06-15", "write_off", "412.00", "400.00", "8.00", "4.00"),
        ("2026-06-20", "recovery", "150.00", "0.00", "0.00", "0.00"),
    ]
    assert [r["actor"] for r in register] == ["user:manager-1", "user:teller-1"]
    assert all(r["loan_id"] == str(book) and r["journal_entry_id"] for r in register)
    # A register from after the write-off has only the recovery.
    _, later = _book(fresh_engine, tmp_path, dt.date(2026, 6, 16), RECOVERED)
    assert [r["kind"] for r in later] == ["recovery"]


@pytest.mark.usefixtures("book")
def test_every_format_the_same_twice_with_its_manifest(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    results = check_every_format(
        fresh_engine,
        lambda s: loan_book_report(s, from_date=dt.date(2026, 2, 1), as_of=RECOVERED),
        tmp_path,
        "book",
    )
    manifest = results[ExportFormat.XLSX].manifest
    assert manifest["parameters"] == {"as_of": "2026-06-20", "from": "2026-02-01"}
    assert manifest["parts"]["register"]["rows"] == 2
    assert manifest["parts"]["register"]["totals"]["GBP"]["amount"] == "562.00"


@pytest.mark.usefixtures("cli_env", "book")
def test_the_cli_writes_the_loan_book(tmp_path: Path) -> None:
    out = tmp_path / "book.csv"
    args = ["export", "loan-book", "--as-of", "2026-02-25", "--from", "2026-02-01"]
    result = runner.invoke(app, [*args, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "loans: 1 rows" in result.output and "register: 0 rows" in result.output
    assert csv_rows(out)[0]["days_past_due"] == "10"


def test_an_active_loans_provision_is_shown_from_the_month_end_it_was_made(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    loan_id, _, _ = make_loan(fresh_engine, amount="1000", term=12)
    january = dt.date(2026, 1, 31)
    _age(fresh_engine, january)
    with unit_of_work(fresh_engine) as s:
        provide_for_losses(s, business_date=january)
        # A performing UK loan needs none (CREDS: nothing until three months late).
        s.execute(text("UPDATE loans SET provision_minor = 1 WHERE id = :id"), {"id": loan_id})
    (before,), _ = _book(fresh_engine, tmp_path, dt.date(2026, 1, 15), dt.date(2026, 1, 30))
    (after,), _ = _book(fresh_engine, tmp_path, dt.date(2026, 1, 15), dt.date(2026, 2, 3))
    assert (before["provision"], before["provisioned_on"]) == ("", "")
    # What the month end recorded, not what the loan holds now.
    assert (after["provision"], after["provisioned_on"]) == ("0.00", "2026-01-31")
    assert (after["status"], after["principal"], after["outstanding"]) == (
        "active",
        "1000.00",
        "1000.00",
    )
