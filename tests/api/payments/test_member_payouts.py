"""A member pays out from the app, end to end through the API: nominate an account (held
for the cooling-off period), pay out, staff produce the file, and the bank's pain.002
settles one payment and rejects another. Balances are read back from the ledger."""

from __future__ import annotations

import datetime as dt
import hashlib

from api.domain import ID_MAX
from creditunion.auth.roles import Role
from tests.api.banking.bank import gbp
from tests.api.payments import builders
from tests.api.payments.builders import nomination_body
from tests.api.payments.world import PayWorld
from tests.factories import TODAY

AFTER_COOLING_OFF = TODAY + dt.timedelta(days=2)


def test_a_member_nominates_pays_out_and_the_bank_settles_or_rejects(world: PayWorld) -> None:
    ann, bob = world.member("500.00"), world.member("500.00")
    manager = world.staff(Role.MANAGER)
    none_yet = world.call("GET", "/v1/me/nominated-account", ann.login)
    assert (none_yet.status_code, none_yet.json()["type"]) == (
        404,
        "/problems/no-nominated-account",
    )

    nominated = world.call("PUT", "/v1/me/nominated-account", ann.login, nomination_body())
    assert nominated.status_code == 200, nominated.text
    assert {k: v for k, v in nominated.json().items() if k != "id"} == {
        "member_id": ann.id,
        "scheme": "uk",
        "holder_name": "Ann Member",
        "bank_id": "200000",
        "account_number_masked": "****9911",
        "account_kind": None,
        "status": "active",
        "nominated_on": TODAY.isoformat(),
        "usable_on": AFTER_COOLING_OFF.isoformat(),
    }
    assert world.call("GET", "/v1/me/nominated-account", ann.login).json() == nominated.json()
    body = nomination_body("12345678")
    assert world.call("PUT", "/v1/me/nominated-account", bob.login, body).status_code == 200
    clearing_before, settlement_before = world.clearing_and_settlement()

    paid = world.call(
        "POST",
        "/v1/me/payments",
        ann.login,
        {"from_account_id": ann.account_id, "amount": gbp("120.00"), "reference": "RENT"},
        money=True,
    )
    assert paid.status_code == 201, paid.text
    payment = paid.json()
    assert (payment["status"], payment["amount"], payment["reference"]) == (
        "pending",
        gbp("120.00"),
        "RENT",
    )
    assert (payment["not_before"], payment["account_number_masked"]) == (
        AFTER_COOLING_OFF.isoformat(),
        "****9911",
    )
    refused = world.call(
        "POST",
        "/v1/me/payments",
        bob.login,
        {"from_account_id": bob.account_id, "amount": gbp("45.50")},
        money=True,
    )
    assert refused.status_code == 201, refused.text
    assert world.balance(ann.account_id) == builders.gbp("380.00")
    assert world.balance(bob.account_id) == builders.gbp("454.50")
    assert world.clearing_and_settlement()[0] - clearing_before == builders.gbp("165.50")
    world.assert_invariants()

    # Held until the nominations are usable: nothing is due today.
    early = world.call("POST", "/v1/payment-files", manager)
    assert (early.status_code, early.json()["type"]) == (409, "/problems/nothing-to-send")
    assert world.advance(2) == AFTER_COOLING_OFF

    produced = world.call("POST", "/v1/payment-files", manager)
    assert produced.status_code == 201, produced.text
    sent = produced.json()
    assert (sent["direction"], sent["kind"], sent["item_count"]) == (
        "outbound",
        "pain.001.001.09",
        2,
    )
    content = world.call("GET", f"/v1/payment-files/{sent['id']}/content", manager)
    assert content.status_code == 200
    assert content.headers["content-type"] == "application/xml"
    assert hashlib.sha256(content.content).hexdigest() == sent["sha256"]
    assert payment["end_to_end_id"].encode() in content.content
    in_file = world.call("GET", f"/v1/payments/{payment['id']}", manager).json()
    assert (in_file["status"], in_file["file_id"]) == ("sent", sent["id"])

    report = builders.status_report(
        sent["message_id"],
        builders.settled(world.bank, payment["id"]),
        builders.rejected(world.bank, refused.json()["id"]),
    )
    imported = world.post_xml("/v1/payment-files/imports", manager, report)
    assert imported.status_code == 201, imported.text
    result = imported.json()
    assert (result["settled"], result["rejected"], result["returned"]) == (1, 1, 0)
    assert (result["file"]["direction"], result["file"]["kind"]) == ("inbound", "pain.002.001.12")
    assert world.balance(ann.account_id) == builders.gbp("380.00")
    assert world.balance(bob.account_id) == builders.gbp("500.00")  # back whole, no fee
    clearing, settlement = world.clearing_and_settlement()
    assert clearing == clearing_before
    assert settlement_before - settlement == builders.gbp("120.00")
    bobs = world.call("GET", f"/v1/me/payments/{refused.json()['id']}", bob.login).json()
    assert (bobs["status"], bobs["reason_code"], bobs["reason_text"]) == (
        "rejected",
        "AC04",
        "account closed",
    )
    world.assert_invariants()

    # The same report again is refused and changes nothing.
    journal = world.bank.journal_count()
    again = world.post_xml("/v1/payment-files/imports", manager, report)
    assert (again.status_code, again.json()["type"]) == (409, "/problems/file-already-imported")
    assert world.bank.journal_count() == journal
    assert world.clearing_and_settlement() == (clearing, settlement)
    assert world.balance(bob.account_id) == builders.gbp("500.00")
    world.assert_invariants()


def test_a_member_sees_only_their_own_payments(world: PayWorld) -> None:
    ann, bob = world.member(), world.member()
    builders.nominate_by_staff(world.bank, ann.id)
    builders.nominate_by_staff(world.bank, bob.id)
    mine = [builders.payout(world.bank, ann.account_id, amount).id for amount in ("1.00", "2.00")]
    theirs = builders.payout(world.bank, bob.account_id, "3.00").id

    listed = world.call("GET", "/v1/me/payments?limit=1", ann.login).json()
    assert [p["id"] for p in listed["items"]] == mine[:1]
    rest = world.call("GET", f"/v1/me/payments?cursor={listed['next_cursor']}", ann.login).json()
    assert ([p["id"] for p in rest["items"]], rest["next_cursor"]) == (mine[1:], None)
    own = world.call("GET", f"/v1/me/payments/{mine[0]}", ann.login).json()
    assert (own["amount"], own["member_id"]) == (gbp("1.00"), ann.id)

    other = world.call("GET", f"/v1/me/payments/{theirs}", ann.login)
    missing = world.call("GET", f"/v1/me/payments/{ID_MAX}", ann.login)
    assert other.status_code == missing.status_code == 404
    assert other.json()["type"] == missing.json()["type"] == "/problems/payment-not-found"
    # Paying out of another member's account is "not found" too, and moves nothing.
    journal = world.bank.journal_count()
    stolen = world.call(
        "POST",
        "/v1/me/payments",
        ann.login,
        {"from_account_id": bob.account_id, "amount": gbp("5.00")},
        money=True,
    )
    assert (stolen.status_code, stolen.json()["type"]) == (404, "/problems/share-account-not-found")
    assert world.bank.journal_count() == journal
    assert world.balance(bob.account_id) == builders.gbp("497.00")
    world.assert_invariants()


def test_paying_out_without_a_nominated_account_is_refused_and_moves_nothing(
    world: PayWorld,
) -> None:
    ann = world.member()
    answer = world.call(
        "POST",
        "/v1/me/payments",
        ann.login,
        {"from_account_id": ann.account_id, "amount": gbp("5.00")},
        money=True,
    )
    assert (answer.status_code, answer.json()["type"]) == (404, "/problems/no-nominated-account")
    assert world.balance(ann.account_id) == builders.gbp("500.00")
    world.assert_invariants()
