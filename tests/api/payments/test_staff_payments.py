"""Staff payments through the API: a teller nominates and pays out at the branch; above the
limit a manager approves or refuses (the approvals list shows the payment); a payment not
yet sent is cancelled with its money back; only a manager produces files, which an
auditor reads but cannot make."""

from __future__ import annotations

from creditunion.auth.roles import Role
from tests.api.banking.bank import gbp, new_key
from tests.api.payments import builders
from tests.api.payments.builders import nomination_body
from tests.api.payments.world import PayWorld
from tests.factories import TODAY


def test_a_teller_nominates_at_the_branch_and_it_is_usable_at_once(world: PayWorld) -> None:
    ann = world.member()
    teller, auditor = world.staff(Role.TELLER), world.staff(Role.AUDITOR)
    url = f"/v1/members/{ann.id}/nominated-account"
    made = world.call("PUT", url, teller, nomination_body())
    assert made.status_code == 200, made.text
    assert (made.json()["usable_on"], made.json()["account_number_masked"]) == (
        TODAY.isoformat(),
        "****9911",
    )
    assert world.call("GET", url, auditor).json() == made.json()
    assert world.call("GET", "/v1/me/nominated-account", ann.login).json() == made.json()
    # The same account again changes nothing; another replaces it after the cooling-off.
    assert world.call("PUT", url, teller, nomination_body()).json() == made.json()
    replaced = world.call("PUT", url, teller, nomination_body("87654321")).json()
    assert replaced["id"] != made.json()["id"]
    assert replaced["usable_on"] == "2026-11-27"
    assert world.call("PUT", url, auditor, nomination_body()).status_code == 403


def test_a_payment_above_the_limit_waits_for_a_manager(world: PayWorld) -> None:
    ann = world.member("3000.00")
    teller, manager = world.staff(Role.TELLER), world.staff(Role.MANAGER)
    builders.nominate_by_staff(world.bank, ann.id)
    body = {"from_account_id": ann.account_id, "amount": gbp("1500.00")}

    made = world.call("POST", "/v1/payments", teller, body, money=True)
    assert made.status_code == 201, made.text
    payment = made.json()
    assert payment["status"] == "awaiting_approval"
    assert world.balance(ann.account_id) == builders.gbp("1500.00")  # reserved at once
    listed = world.call("GET", "/v1/approvals?kind=payment", manager).json()["items"]
    approval = next(a for a in listed if a["id"] == payment["approval_id"])
    assert (approval["kind"], approval["status"], approval["maker"]) == (
        "payment",
        "pending",
        f"user:{teller.user.id}",
    )
    assert (approval["payment_id"], approval["amount"]) == (payment["id"], gbp("1500.00"))
    assert (approval["payee_name"], approval["payee_account"]) == ("Ann Member", "200000 ****9911")

    approved = world.call(
        "POST", f"/v1/approvals/{payment['approval_id']}/approve", manager, {}, money=True
    )
    assert approved.status_code == 200, approved.text
    now = world.call("GET", f"/v1/payments/{payment['id']}", teller).json()
    assert now["status"] == "pending"
    produced = world.call("POST", "/v1/payment-files", manager)
    assert (produced.status_code, produced.json()["item_count"]) == (201, 1)
    world.assert_invariants()


def test_a_refused_or_cancelled_payment_gives_the_money_back(world: PayWorld) -> None:
    ann = world.member("3000.00")
    teller, manager = world.staff(Role.TELLER), world.staff(Role.MANAGER)
    builders.nominate_by_staff(world.bank, ann.id)
    large = {"from_account_id": ann.account_id, "amount": gbp("1200.00")}
    held = world.call("POST", "/v1/payments", teller, large, money=True).json()
    small = {"from_account_id": ann.account_id, "amount": gbp("40.00"), "reference": "CAR"}
    pending = world.call("POST", "/v1/payments", teller, small, money=True).json()
    assert world.balance(ann.account_id) == builders.gbp("1760.00")

    refused = world.call(
        "POST", f"/v1/approvals/{held['approval_id']}/reject", manager, {"note": "not the member"}
    )
    assert refused.status_code == 200, refused.text
    url = f"/v1/payments/{pending['id']}/cancel"
    cancelled = world.call("POST", url, teller, {"reason": "member changed mind"}, money=True)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["reason_text"]) == (
        "cancelled",
        "member changed mind",
    )
    assert world.balance(ann.account_id) == builders.gbp("3000.00")
    statuses = world.call("GET", "/v1/payments?status=cancelled", teller).json()["items"]
    assert sorted(p["id"] for p in statuses) == sorted([held["id"], pending["id"]])

    again = world.call("POST", url, teller, {"reason": "twice"}, money=True)
    assert (again.status_code, again.json()["type"]) == (409, "/problems/payment-not-cancellable")
    assert world.balance(ann.account_id) == builders.gbp("3000.00")
    world.assert_invariants()


def test_a_retried_payout_with_the_same_key_pays_once(world: PayWorld) -> None:
    ann = world.member()
    teller = world.staff(Role.TELLER)
    builders.nominate_by_staff(world.bank, ann.id)
    body = {"from_account_id": ann.account_id, "amount": gbp("25.00")}
    key = new_key()
    first = world.call("POST", "/v1/payments", teller, body, key=key)
    second = world.call("POST", "/v1/payments", teller, body, key=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    other = world.call("POST", "/v1/payments", teller, body | {"amount": gbp("26.00")}, key=key)
    assert other.status_code == 409
    assert world.balance(ann.account_id) == builders.gbp("475.00")
    world.assert_invariants()


def test_only_a_manager_produces_files_and_an_auditor_reads_them(world: PayWorld) -> None:
    builders.funded_payout(world.bank)
    teller, auditor = world.staff(Role.TELLER), world.staff(Role.AUDITOR)
    manager = world.staff(Role.MANAGER)
    for who in (teller, auditor):
        refused = world.call("POST", "/v1/payment-files", who)
        assert (refused.status_code, refused.json()["type"]) == (403, "/problems/forbidden")
    assert world.call("GET", "/v1/payment-files", teller).status_code == 403

    made = world.call("POST", "/v1/payment-files", manager).json()
    listed = world.call("GET", "/v1/payment-files", auditor).json()["items"]
    assert [f["id"] for f in listed] == [made["id"]]
    content = world.call("GET", f"/v1/payment-files/{made['id']}/content", auditor)
    assert content.status_code == 200
    assert content.headers["content-disposition"] == (
        f'attachment; filename="payment-file-{made["id"]}.xml"'
    )
    report = builders.status_report(made["message_id"])
    assert world.post_xml("/v1/payment-files/imports", auditor, report).status_code == 403
