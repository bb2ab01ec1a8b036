"""Through the API, as finance and tellers work it: the bank's notification posts a salary to
the member its reference names and an unknown credit to suspense; staff assign it from the
work queue; a paid payment comes back and is reversed to the member; the day's statement
reconciles with no break and no balance difference. Invariants hold after each step."""

from __future__ import annotations

import datetime as dt
import uuid

from creditunion.auth.roles import Role
from creditunion.members.service import get_member
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt053 import Statement, StatementEntry, write_camt053
from creditunion.payments.iso20022.camt054 import Notification, NotificationEntry, write_camt054
from creditunion.platform.database import unit_of_work
from tests.api.payments import builders
from tests.api.payments.world import PayWorld

PAYER = SortCodeAccount("401276", "40404040")


def _ours() -> SortCodeAccount:
    config = builders.config()
    return SortCodeAccount(config.settlement_bank_id, config.settlement_account_number)


def _entry(world: PayWorld, ref: str, amount: str, **fields: object) -> NotificationEntry:
    day = world.bank.business_date()
    base: dict[str, object] = {
        "entry_reference": ref,
        "credit": True,
        "amount": builders.gbp(amount),
        "booking_date": day,
        "value_date": day,
        "status": "BOOK",
        "end_to_end_id": None,
        "remittance_reference": None,
        "counterparty_name": "ACME PAYROLL",
        "counterparty_account": PAYER,
        "return_reason_code": None,
        "original_end_to_end_id": None,
    }
    return NotificationEntry(**(base | fields))  # type: ignore[arg-type]


def _notification(*entries: NotificationEntry) -> bytes:
    return write_camt054(
        Notification(
            message_id="N" + uuid.uuid4().hex[:20].upper(),
            created_at=builders.AT,
            notification_id="NTF" + uuid.uuid4().hex[:8].upper(),
            account=_ours(),
            currency="GBP",
            entries=entries,
        )
    )


def _statement(day: dt.date, *lines: tuple[str, str, bool, str | None]) -> bytes:
    entries = tuple(
        StatementEntry(ref, credit, builders.gbp(amount), day, day, ref, e2e, None)
        for ref, amount, credit, e2e in lines
    )
    closing = builders.gbp("0.00")
    for entry in entries:
        closing = closing + entry.signed
    return write_camt053(
        Statement(
            message_id="S" + uuid.uuid4().hex[:20].upper(),
            created_at=builders.AT,
            statement_id="STMT" + uuid.uuid4().hex[:8].upper(),
            account=_ours(),
            currency="GBP",
            from_date=day,
            to_date=day,
            opening_booked=builders.gbp("0.00"),
            closing_booked=closing,
            entries=entries,
        )
    )


def test_credits_suspense_a_return_and_the_statement(world: PayWorld) -> None:
    manager = world.staff(Role.MANAGER)
    member = world.member("100.00")
    builders.nominate_by_staff(world.bank, member.id)
    with unit_of_work(world.bank.engine) as s:
        membership = get_member(s, member_id=member.id).membership_number
    payment = builders.payout(world.bank, member.account_id, "30.00")
    builders.produce(world.bank)
    e2e = builders.end_to_end_id(world.bank, payment.id)
    url = "/v1/payment-files/imports"

    paid = world.post_xml(
        url,
        manager,
        _notification(
            _entry(
                world,
                "D1",
                "30.00",
                credit=False,
                end_to_end_id=e2e,
                counterparty_name=None,
                counterparty_account=None,
            )
        ),
    )
    assert (paid.status_code, paid.json()["settled"]) == (201, 1), paid.text
    arrived = world.post_xml(
        url,
        manager,
        _notification(
            _entry(world, "C1", "250.00", remittance_reference=f"WAGES {membership}"),
            _entry(world, "C2", "40.00", remittance_reference="REF 77"),
        ),
    ).json()
    assert (arrived["credits_applied"], arrived["credits_unmatched"]) == (1, 1)
    assert world.balance(member.account_id) == builders.gbp("320.00")
    world.assert_invariants()

    queue = world.call("GET", "/v1/incoming-credits?status=unmatched", manager).json()["items"]
    assert [(c["bank_reference"], c["amount"]["amount"]) for c in queue] == [("C2", "40.00")]
    assigned = world.call(
        "POST",
        f"/v1/incoming-credits/{queue[0]['id']}/assign",
        manager,
        {"account_id": member.account_id, "note": "the member's rent refund"},
        money=True,
    )
    assert assigned.status_code == 200, assigned.text
    assert world.balance(member.account_id) == builders.gbp("360.00")

    back = world.post_xml(
        url,
        manager,
        _notification(
            _entry(
                world,
                "R1",
                "30.00",
                return_reason_code="AC04",
                original_end_to_end_id=e2e,
                counterparty_name=None,
                counterparty_account=None,
            )
        ),
    ).json()
    assert back["returned"] == 1
    assert world.balance(member.account_id) == builders.gbp("390.00")
    assert world.call("GET", f"/v1/payments/{payment.id}", manager).json()["status"] == "returned"
    world.assert_invariants()

    day = world.bank.business_date()
    statement = world.post_xml(
        url,
        manager,
        _statement(
            day,
            ("D1", "30.00", False, e2e),
            ("C1", "250.00", True, None),
            ("C2", "40.00", True, None),
            ("R1", "30.00", True, e2e),
        ),
    ).json()["statement"]
    assert (statement["matched"], statement["breaks"]) == (4, 0)
    assert statement["balance_difference"]["amount"] == "0.00"
    assert world.call("GET", "/v1/statement-breaks", manager).json()["items"] == []
    world.assert_invariants()
