"""Hostile and malformed input to the payment endpoints: refused with a problem naming what
is wrong, and nothing stored or posted. Without a settlement account payments are refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings
from tests.api.banking.bank import gbp
from tests.api.payments import builders
from tests.api.payments.builders import nomination_body
from tests.api.payments.world import PayWorld

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12">&lol2;</Document>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12">&xxe;</Document>"""


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"sort_code": "12-34-5X"}, "#/sort_code"),
        ({"sort_code": "1234567"}, "#/sort_code"),
        ({"account_number": "1234"}, "#/account_number"),
        (
            {"account_number": "\uff15\uff15\uff17\uff17\uff19\uff19\uff11\uff11"},
            "#/account_number",
        ),  # full-width digits
        ({"holder_name": "Ann\u202eMember"}, "#/holder_name"),  # a bidi override
        ({"routing_number": "011000015"}, "#/routing_number"),  # the other rail's field
        ({"account_kind": "checking"}, "#/account_kind"),
        ({"sort_code": "1" * 17}, "#/sort_code"),
        ({"member_id": 1}, "#/member_id"),
    ],
)
def test_a_bad_nomination_is_a_422_naming_the_field_and_stores_nothing(
    world: PayWorld, change: dict[str, object], pointer: str
) -> None:
    ann = world.member()
    answer = world.call("PUT", "/v1/me/nominated-account", ann.login, nomination_body() | change)
    assert answer.status_code == 422, answer.text
    assert [e["pointer"] for e in answer.json()["errors"]] == [pointer]
    assert world.call("GET", "/v1/me/nominated-account", ann.login).status_code == 404


def test_a_sort_code_that_is_not_digits_is_the_invalid_bank_account_problem(
    world: PayWorld,
) -> None:
    teller = world.staff(Role.TELLER)
    ann = world.member()
    body = nomination_body() | {"sort_code": "AB-CD-EF"}
    answer = world.call("PUT", f"/v1/members/{ann.id}/nominated-account", teller, body)
    problem = answer.json()
    assert (answer.status_code, problem["type"]) == (422, "/problems/invalid-bank-account")
    assert problem["errors"] == [
        {"location": "body", "pointer": "#/sort_code", "detail": problem["detail"]}
    ]
    assert "sort_code must be 6 digits" in problem["detail"]


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_a_status_report_with_a_dtd_is_refused_and_posts_nothing(
    world: PayWorld, document: bytes
) -> None:
    manager = world.staff(Role.MANAGER)
    journal = world.bank.journal_count()
    answer = world.post_xml("/v1/payment-files/imports", manager, document)
    assert (answer.status_code, answer.json()["type"]) == (422, "/problems/refused")
    assert answer.json()["detail"].startswith("not a valid pain.002.001.12 document")
    assert answer.json()["errors"][0]["pointer"] == "#"
    assert "root:" not in answer.text  # no file's content came back
    assert world.call("GET", "/v1/payment-files", manager).json()["items"] == []
    assert world.bank.journal_count() == journal


def test_bad_status_reports_are_refused_and_post_nothing(world: PayWorld) -> None:
    manager = world.staff(Role.MANAGER)
    payment = builders.funded_payout(world.bank)
    sent = builders.produce(world.bank)
    journal = world.bank.journal_count()
    settled = builders.settled(world.bank, payment.id)
    url = "/v1/payment-files/imports"

    never_sent = world.post_xml(url, manager, builders.status_report("NEVERSENT", settled))
    assert (never_sent.status_code, never_sent.json()["type"]) == (
        422,
        "/problems/unknown-original-message",
    )
    off_schema = builders.status_report(sent.message_id, settled).replace(b"ACSC", b"NOPE!")
    invalid = world.post_xml(url, manager, off_schema).json()
    assert invalid["detail"].startswith("not a valid pain.002.001.12 document")
    assert world.post_xml(url, manager, b"").status_code == 422
    as_json = world.call("POST", url, manager, {"report": "x"}, money=True)
    assert as_json.status_code == 422
    assert as_json.json()["errors"] == [
        {
            "location": "header",
            "pointer": "#/Content-Type",
            "detail": "must be application/xml or text/plain",
        }
    ]
    assert world.bank.journal_count() == journal
    status = world.call("GET", f"/v1/payments/{payment.id}", manager).json()["status"]
    assert status == "sent"


def test_an_oversized_report_is_refused_before_it_is_read(
    world: PayWorld, api_settings: Settings
) -> None:
    manager = world.staff(Role.MANAGER)
    padding = b" " * api_settings.max_body_bytes
    document = b'<?xml version="1.0"?>' + padding + b"<Document/>"
    answer = world.post_xml("/v1/payment-files/imports", manager, document)
    assert answer.status_code == 413
    assert world.call("GET", "/v1/payment-files", manager).json()["items"] == []


def test_without_a_settlement_account_payments_are_not_offered(
    world: PayWorld, api_settings: Settings
) -> None:
    unset = api_settings.model_copy(
        update={"payment_settlement_bank_id": None, "payment_settlement_account_number": None}
    )
    ann, manager = world.member(), world.staff(Role.MANAGER)
    builders.nominate_by_staff(world.bank, ann.id)
    member = ann.login  # the same signing secret: the tokens hold for this app too
    app = create_app(unset, engine=world.bank.engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {**member.headers, "Idempotency-Key": "unconfigured-1"}
        body = {"from_account_id": ann.account_id, "amount": gbp("5.00")}
        paid = client.post("/v1/me/payments", json=body, headers=headers)
        nominated = client.put(
            "/v1/me/nominated-account", json=nomination_body(), headers=member.headers
        )
        produced = client.post("/v1/payment-files", headers=manager.headers)
        listed = client.get("/v1/me/payments", headers=member.headers)
    for answer in (paid, nominated, produced):
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"] == "/problems/payments-not-offered"
        assert "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID" in answer.json()["detail"]
    assert (listed.status_code, listed.json()["items"]) == (200, [])
    assert world.balance(ann.account_id) == builders.gbp("500.00")
