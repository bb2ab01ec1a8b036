"""End to end through the API, from a direct debit to a paid-off loan with one failed
collection on the way: the member nominates their bank account and sets up the mandate in
the app and sees the schedule; close of business sends each pain.008 and collects on the
date; the bank's unpaid report comes in through the file import; the member sees the
failure and the notice of the collection asked for again; the rest is collected and the
loan settles. The ledger's invariants hold after every step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from creditunion.auth.roles import Role
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from tests.api.banking.bank import idem
from tests.api.loans.conftest import FreshLending
from tests.api.loans.lending import Lending, close_days
from tests.api.payments.builders import AT, nomination_body

START = dt.date(2026, 3, 2)
PAIN008 = "pain.008.001.08"


def _get(lending: Lending, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = lending.client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _unpaid_report(file_message_id: str, end_to_end_id: str) -> bytes:
    return write_pain002(
        StatusReport(
            message_id="ARUDDJOURNEY1",
            created_at=AT,
            original_message_id=file_message_id,
            original_message_name=PAIN008,
            group_status=None,
            transactions=(TransactionStatus(end_to_end_id, None, "RJCT", "AM04", None),),
        )
    )


def test_mandate_to_paid_off_loan_with_one_unpaid_collection(
    fresh_lending: FreshLending,
) -> None:
    lending = fresh_lending(START)
    client = lending.client
    manager = lending.staff(Role.MANAGER)
    member = lending.borrower(balance="50.00")
    nominated = client.put(
        "/v1/me/nominated-account", json=nomination_body(), headers=member.headers
    )
    assert nominated.status_code in (200, 201), nominated.text
    loan = lending.loan(member, mandate=False, amount="300.00", term=3)
    lending.invariants_hold()

    set_up = client.post(
        "/v1/me/direct-debit-mandates",
        json={"loan_id": loan["id"], "represent_agreed": True},
        headers=member.headers,
    )
    assert set_up.status_code == 201, set_up.text
    assert (set_up.json()["status"], set_up.json()["channel"]) == ("active", "app")
    schedule = _get(lending, "/v1/me/direct-debit-collections", member.headers)
    assert [c["instalment_number"] for c in schedule] == [1, 2, 3]
    assert {c["status"] for c in schedule} == {"scheduled"}
    [first_notice] = _get(lending, "/v1/me/direct-debit-notices", member.headers)
    assert first_notice["reason"] == "first"
    first = schedule[0]
    assert first["amount"]["amount"] in first_notice["text"]

    # Close of business sends the first collection two Bacs days ahead, collects it on its date.
    close_days(lending, until=dt.date.fromisoformat(first["collection_date"]))
    lending.invariants_hold()
    [collected] = [
        c
        for c in _get(lending, "/v1/me/direct-debit-collections", member.headers)
        if c["id"] == first["id"]
    ]
    assert collected["status"] == "collected"
    files = _get(lending, "/v1/payment-files", manager.headers)
    [pain008] = [f for f in files if f["kind"] == PAIN008 and f["id"] == collected["file_id"]]

    # The member's bank did not pay it: the bank's report, imported by a manager.
    imported = client.post(
        "/v1/payment-files/imports",
        content=_unpaid_report(pain008["message_id"], first["end_to_end_id"]),
        headers={**idem(manager), "Content-Type": "application/xml"},
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["unpaid"] == 1
    lending.invariants_hold()
    notices = _get(lending, "/v1/me/direct-debit-notices", member.headers)
    assert notices[-1]["reason"] == "failed"

    # The next close of business asks for it again, with notice.
    close_days(lending, until=lending.bank.today)
    notices = _get(lending, "/v1/me/direct-debit-notices", member.headers)
    assert notices[-1]["reason"] == "represented"
    collections = _get(lending, "/v1/me/direct-debit-collections", member.headers)
    again = [c for c in collections if c["instalment_number"] == 1 and c["attempt"] == 2]
    assert [c["status"] for c in again] == ["scheduled"]
    lending.invariants_hold()

    # Everything else is collected; the loan is paid off.
    last = max(dt.date.fromisoformat(c["collection_date"]) for c in collections)
    close_days(lending, until=last)
    lending.invariants_hold()
    final = _get(lending, "/v1/me/direct-debit-collections", member.headers)
    live = [c for c in final if c["status"] not in ("cancelled", "unpaid")]
    assert {c["status"] for c in live} == {"collected"}
    assert sorted(c["instalment_number"] for c in live) == [1, 2, 3]
    answer = client.get(f"/v1/me/loans/{loan['id']}", headers=member.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "settled"
    # The interest that ran on while the first was unpaid is asked for with the last one,
    # after a notice of the new amount.
    last_notices = _get(lending, "/v1/me/direct-debit-notices", member.headers)
    assert "changed" in [n["reason"] for n in last_notices]
    [mandate] = _get(lending, "/v1/me/direct-debit-mandates", member.headers)
    assert (mandate["status"], mandate["cancelled_by"]) == ("cancelled", "loan_ended")
