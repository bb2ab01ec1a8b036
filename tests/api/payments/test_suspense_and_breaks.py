"""The staff work queues: credits in suspense assigned to a member or sent back to the
payer, and statement breaks explained. Each resolution happens once."""

from __future__ import annotations

from api.domain import ID_MAX
from creditunion.auth.roles import Role
from tests.api.banking.bank import gbp
from tests.api.payments import builders
from tests.api.payments.world import PayWorld


def test_credits_in_suspense_are_assigned_or_returned_once(world: PayWorld) -> None:
    ann = world.member("100.00")
    teller, manager = world.staff(Role.TELLER), world.staff(Role.MANAGER)
    first = builders.unmatched_credit(world.bank, "12.00")
    second = builders.unmatched_credit(world.bank, "30.00")
    assert world.suspense() == builders.gbp("42.00")

    queue = world.call("GET", "/v1/incoming-credits?status=unmatched", teller).json()["items"]
    assert [(c["id"], c["amount"]) for c in queue] == [
        (first.id, gbp("12.00")),
        (second.id, gbp("30.00")),
    ]
    body = {"account_id": ann.account_id, "note": "member phoned about wages"}
    url = f"/v1/incoming-credits/{first.id}/assign"
    assert world.call("POST", url, teller, body, money=True).status_code == 403

    assigned = world.call("POST", url, manager, body, money=True)
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["status"], assigned.json()["share_account_id"]) == (
        "assigned",
        ann.account_id,
    )
    assert world.balance(ann.account_id) == builders.gbp("112.00")
    again = world.call("POST", url, manager, body, money=True)
    assert (again.status_code, again.json()["type"]) == (409, "/problems/credit-already-resolved")

    returned = world.call(
        "POST",
        f"/v1/incoming-credits/{second.id}/return",
        manager,
        {"note": "no such member"},
        money=True,
    )
    assert returned.status_code == 201, returned.text
    payment = returned.json()
    assert (payment["purpose"], payment["status"], payment["amount"]) == (
        "return_to_sender",
        "pending",
        gbp("30.00"),
    )
    assert (payment["creditor_name"], payment["bank_id"]) == ("ACME PAYROLL", "401276")
    assert world.call("GET", "/v1/incoming-credits?status=unmatched", teller).json()["items"] == []
    assert world.suspense() == builders.gbp("0.00")
    assert world.balance(ann.account_id) == builders.gbp("112.00")
    # The money back to the payer goes in the next file.
    assert world.call("POST", "/v1/payment-files", manager).json()["item_count"] == 1
    missing = world.call("POST", f"/v1/incoming-credits/{ID_MAX}/assign", manager, body, money=True)
    assert (missing.status_code, missing.json()["type"]) == (
        404,
        "/problems/incoming-credit-not-found",
    )
    world.assert_invariants()


def test_a_statement_break_is_listed_until_a_manager_explains_it(world: PayWorld) -> None:
    teller, manager = world.staff(Role.TELLER), world.staff(Role.MANAGER)
    line = builders.statement_break(world.bank, "-3.50")
    listed = world.call("GET", "/v1/statement-breaks", teller).json()["items"]
    assert [(b["id"], b["amount"], b["status"]) for b in listed] == [
        (line.id, gbp("-3.50"), "break")
    ]
    url = f"/v1/statement-lines/{line.id}/resolve"
    note = {"note": "monthly bank charge, journal 2026-11"}
    assert world.call("POST", url, teller, note).status_code == 403

    resolved = world.call("POST", url, manager, note)
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolution_note"]) == (
        "resolved",
        note["note"],
    )
    assert resolved.json()["resolved_by"] == f"user:{manager.user.id}"
    assert world.call("GET", "/v1/statement-breaks", teller).json()["items"] == []
    again = world.call("POST", url, manager, note)
    assert (again.status_code, again.json()["type"]) == (409, "/problems/not-a-break")
    other = builders.statement_break(world.bank, "7.25")
    blank = world.call("POST", f"/v1/statement-lines/{other.id}/resolve", manager, {"note": "  "})
    assert blank.status_code == 422
    assert [e["pointer"] for e in blank.json()["errors"]] == ["#/note"]
    still = world.call("GET", "/v1/statement-breaks", manager).json()["items"]
    assert [b["id"] for b in still] == [other.id]


def test_cancelling_a_return_to_the_payer_puts_the_credit_back_in_the_queue(
    world: PayWorld,
) -> None:
    manager, teller = world.staff(Role.MANAGER), world.staff(Role.TELLER)
    credit = builders.unmatched_credit(world.bank, "30.00")
    returning = world.call(
        "POST", f"/v1/incoming-credits/{credit.id}/return", manager, {"note": "x"}, money=True
    ).json()
    assert world.suspense() == builders.gbp("0.00")

    cancelled = world.call(
        "POST",
        f"/v1/payments/{returning['id']}/cancel",
        teller,
        {"reason": "the payer's bank details were wrong"},
        money=True,
    )
    assert cancelled.json()["status"] == "cancelled"
    # The money is in suspense again, and so is the credit in the work queue.
    assert world.suspense() == builders.gbp("30.00")
    queue = world.call("GET", "/v1/incoming-credits?status=unmatched", teller).json()["items"]
    assert [(c["id"], c["status"], c["resolved_by"]) for c in queue] == [
        (credit.id, "unmatched", None)
    ]
    # Sent back again, to the corrected details: a payment of its own.
    again = world.call(
        "POST", f"/v1/incoming-credits/{credit.id}/return", manager, {"note": "y"}, money=True
    )
    assert again.status_code == 201, again.text
    assert (again.json()["status"], again.json()["amount"]) == ("pending", gbp("30.00"))
    assert again.json()["id"] != returning["id"]
    assert world.suspense() == builders.gbp("0.00")
    world.assert_invariants()
