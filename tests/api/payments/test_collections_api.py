"""Direct debits through the API: a member sets one up on their loan in the app and sees
its schedule and notice, and may cancel it; staff set one up at the branch, read, suspend,
resume and cancel mandates, apply the banks' ADDACS advices and read the dashboard.
Another member's mandate is not found; bad input is refused with the right problem and
changes nothing. Loans, files, collections and unpaid advices are made by the services
(`collection_builders`), as close of business and the bank would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

import pytest
from sqlalchemy import text

from api.domain import ID_MAX
from creditunion.auth.roles import Role
from creditunion.platform.database import unit_of_work
from tests.api.conftest import LoggedIn
from tests.api.payments import collection_builders as dd
from tests.api.payments.world import PayWorld
from tests.factories import TODAY

MINE: Final = "/v1/me/direct-debit-mandates"
MANDATES: Final = "/v1/direct-debit-mandates"
INSTALMENT: Final = {"amount": "89.26", "currency": "GBP"}
LAST_INSTALMENT: Final = {"amount": "89.25", "currency": "GBP"}
# The loan's instalments fall due monthly from TODAY; the first, on Christmas Day, is
# collected on the next Bacs business day (Boxing Day's holiday is the Monday).
DATES: Final = ["2026-12-29", "2027-01-25", "2027-02-25", "2027-03-25", "2027-04-26", "2027-05-25"]
FIRST_DAY: Final = dt.date(2026, 12, 29)
SECOND_DAY: Final = dt.date(2027, 1, 25)
_TABLES: Final = ("collection_mandates", "collections", "collection_notices")


def _items(world: PayWorld, url: str, who: LoggedIn) -> list[dict[str, Any]]:
    answer = world.call("GET", url, who)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _set_up(world: PayWorld, who: LoggedIn, loan_id: int, agreed: bool = True) -> Any:
    return world.call("POST", MINE, who, {"loan_id": loan_id, "represent_agreed": agreed})


def _state(world: PayWorld) -> tuple[object, ...]:
    """A digest of every mandate, collection and notice, and the mandates' audit records."""
    with unit_of_work(world.bank.engine) as session:
        digests = tuple(
            session.scalar(
                text(
                    "SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) "
                    f"FROM {table} t"
                )
            )
            for table in _TABLES
        )
        audited = session.scalar(
            text("SELECT count(*) FROM audit_log WHERE target_type = 'collection_mandate'")
        )
    return (*digests, audited)


def _problem(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["type"]


def _pointers(answer: Any) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [e["pointer"] for e in answer.json()["errors"]]


# ------------------------------------------------------------------------------ members


def test_a_member_sets_up_a_direct_debit_and_sees_its_schedule_and_notice(
    world: PayWorld,
) -> None:
    ann = dd.borrower(world.bank)

    made = _set_up(world, ann.login, ann.loan_id)

    assert made.status_code == 201, made.text
    mandate = made.json()
    assert mandate["reference"].startswith("CU") and len(mandate["reference"]) == 16
    assert {k: v for k, v in mandate.items() if k not in ("id", "reference")} == {
        "member_id": ann.member_id,
        "loan_id": ann.loan_id,
        "scheme": "uk",
        "holder_name": "Ann Member",
        "bank_id": "200000",
        "account_number_masked": "****9911",
        "status": "active",
        "represent_agreed": True,
        "signed_on": TODAY.isoformat(),
        "channel": "app",
        "suspended_on": None,
        "cancelled_on": None,
        "cancelled_by": None,
        "cancel_reason": None,
    }
    assert _items(world, MINE, ann.login) == [mandate]
    assert world.call("GET", f"{MINE}/{mandate['id']}", ann.login).json() == mandate
    [notice] = _items(world, "/v1/me/direct-debit-notices", ann.login)
    assert (notice["reason"], notice["given_on"], notice["loan_id"]) == (
        "first",
        TODAY.isoformat(),
        ann.loan_id,
    )
    assert mandate["reference"] in notice["text"]
    assert "89.26 GBP on 2026-12-29 (instalment 1)" in notice["text"]
    assert "89.25 GBP on 2027-05-25 (instalment 6)" in notice["text"]
    upcoming = _items(world, "/v1/me/direct-debit-collections?status=scheduled", ann.login)
    assert [(c["instalment_number"], c["collection_date"], c["amount"]) for c in upcoming] == [
        (n + 1, day, INSTALMENT if n < 5 else LAST_INSTALMENT) for n, day in enumerate(DATES)
    ]
    assert {(c["mandate_id"], c["notice_id"], c["attempt"], c["file_id"]) for c in upcoming} == {
        (mandate["id"], notice["id"], 1, None)
    }
    url = f"/v1/me/direct-debit-collections?loan_id={ann.loan_id}"
    assert _items(world, url, ann.login) == upcoming
    assert _items(world, "/v1/me/direct-debit-collections?status=collected", ann.login) == []
    actions = world.bank.audit_actions("collection_mandate", mandate["id"])
    assert actions == ["collection_mandate.set_up"]


def test_a_member_cancels_their_direct_debit_and_nothing_more_is_collected(
    world: PayWorld,
) -> None:
    ann = dd.borrower(world.bank)
    mandate = _set_up(world, ann.login, ann.loan_id).json()
    url = f"{MINE}/{mandate['id']}/cancel"

    cancelled = world.call("POST", url, ann.login, {"reason": "  paying from my shares  "})

    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["status"], body["cancelled_by"], body["cancelled_on"], body["cancel_reason"]) == (
        "cancelled",
        "member",
        TODAY.isoformat(),
        "paying from my shares",
    )
    collections = _items(world, "/v1/me/direct-debit-collections", ann.login)
    assert [c["status"] for c in collections] == ["cancelled"] * 6
    notices = _items(world, "/v1/me/direct-debit-notices", ann.login)
    assert [n["reason"] for n in notices] == ["first", "cancelled"]
    assert "was cancelled (paying from my shares)" in notices[1]["text"]
    # Again: nothing changes. The loan may then have a new mandate; the old one stays.
    before = _state(world)
    again = world.call("POST", url, ann.login, {"reason": "twice"})
    assert (again.status_code, again.json()) == (200, body)
    assert _state(world)[:3] == before[:3]
    renewed = _set_up(world, ann.login, ann.loan_id)
    assert renewed.status_code == 201, renewed.text
    assert [m["status"] for m in _items(world, MINE, ann.login)] == ["cancelled", "active"]


def test_a_member_cannot_see_or_cancel_another_members_direct_debit(world: PayWorld) -> None:
    ann, bob = dd.borrower(world.bank), dd.borrower(world.bank)
    bobs = dd.mandate(world.bank, bob.loan_id)
    before = _state(world)

    seen = world.call("GET", f"{MINE}/{bobs.id}", ann.login)
    nowhere = world.call("GET", f"{MINE}/{ID_MAX}", ann.login)
    cancel = world.call("POST", f"{MINE}/{bobs.id}/cancel", ann.login, {"reason": "not mine"})
    on_his_loan = _set_up(world, ann.login, bob.loan_id)

    assert _problem(seen) == _problem(nowhere) == _problem(cancel) == (404, "/problems/not-found")
    assert _problem(on_his_loan) == (404, "/problems/not-found")
    for tail in ("direct-debit-mandates", "direct-debit-collections", "direct-debit-notices"):
        assert _items(world, f"/v1/me/{tail}", ann.login) == []
        filtered = world.call("GET", f"/v1/me/{tail}?loan_id={bob.loan_id}", ann.login)
        assert _problem(filtered) == (404, "/problems/loan-not-found")
    assert _state(world) == before
    assert [m["status"] for m in _items(world, MINE, bob.login)] == ["active"]


# -------------------------------------------------------------------------------- staff


def test_a_teller_sets_one_up_at_the_branch_and_staff_find_it(world: PayWorld) -> None:
    ann, bob = dd.borrower(world.bank), dd.borrower(world.bank)
    teller, auditor = world.staff(Role.TELLER), world.staff(Role.AUDITOR)
    bobs = dd.mandate(world.bank, bob.loan_id)

    made = world.call("POST", MANDATES, teller, {"loan_id": ann.loan_id, "represent_agreed": False})

    assert made.status_code == 201, made.text
    mandate = made.json()
    assert (mandate["member_id"], mandate["channel"], mandate["represent_agreed"]) == (
        ann.member_id,
        "branch",
        False,
    )
    assert world.call("GET", f"{MANDATES}/{mandate['id']}", auditor).json() == mandate
    assert [m["id"] for m in _items(world, MANDATES, auditor)] == [bobs.id, mandate["id"]]
    assert _items(world, f"{MANDATES}?member_id={ann.member_id}", auditor) == [mandate]
    assert _items(world, f"{MANDATES}?loan_id={bob.loan_id}", auditor)[0]["id"] == bobs.id
    assert _items(world, f"{MANDATES}?status=cancelled", auditor) == []
    first = world.call("GET", f"{MANDATES}?limit=1", auditor).json()
    assert [m["id"] for m in first["items"]] == [bobs.id]
    rest = world.call("GET", f"{MANDATES}?limit=1&cursor={first['next_cursor']}", auditor)
    assert [m["id"] for m in rest.json()["items"]] == [mandate["id"]]
    assert rest.json()["next_cursor"] is None
    collections = _items(world, f"/v1/direct-debit-collections?member_id={ann.member_id}", teller)
    assert [c["instalment_number"] for c in collections] == [1, 2, 3, 4, 5, 6]
    assert {c["mandate_id"] for c in collections} == {mandate["id"]}
    notices = _items(world, f"/v1/direct-debit-notices?loan_id={ann.loan_id}", auditor)
    assert [(n["mandate_id"], n["reason"]) for n in notices] == [(mandate["id"], "first")]
    body = {"loan_id": bob.loan_id, "represent_agreed": True}
    assert world.call("POST", MANDATES, auditor, body).status_code == 403


def test_a_manager_suspends_and_resumes_and_the_member_is_given_notice_again(
    world: PayWorld,
) -> None:
    ann = dd.borrower(world.bank)
    manager, teller = world.staff(Role.MANAGER), world.staff(Role.TELLER)
    mandate = dd.mandate(world.bank, ann.loan_id)
    url = f"{MANDATES}/{mandate.id}"
    assert world.call("POST", f"{url}/suspend", teller).status_code == 403

    suspended = world.call("POST", f"{url}/suspend", manager)

    assert suspended.status_code == 200, suspended.text
    assert (suspended.json()["status"], suspended.json()["suspended_on"]) == (
        "suspended",
        TODAY.isoformat(),
    )
    mine = "/v1/me/direct-debit-collections"
    assert [c["status"] for c in _items(world, mine, ann.login)] == ["cancelled"] * 6
    assert _problem(world.call("POST", f"{url}/suspend", manager)) == (409, "/problems/conflict")

    resumed = world.call("POST", f"{url}/resume", manager)

    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["status"], resumed.json()["suspended_on"]) == ("active", None)
    notices = _items(world, "/v1/me/direct-debit-notices", ann.login)
    assert [n["reason"] for n in notices] == ["first", "changed"]
    assert notices[1]["text"].startswith("Your Direct Debit collections have changed")
    collections = _items(world, mine, ann.login)
    scheduled = [c for c in collections if c["status"] == "scheduled"]
    assert [c["status"] for c in collections[:6]] == ["cancelled"] * 6
    assert [(c["instalment_number"], c["collection_date"]) for c in scheduled] == [
        (n + 1, day) for n, day in enumerate(DATES)
    ]
    assert {c["notice_id"] for c in scheduled} == {notices[1]["id"]}
    assert _problem(world.call("POST", f"{url}/resume", manager)) == (409, "/problems/conflict")
    assert world.bank.audit_actions("collection_mandate", mandate.id) == [
        "collection_mandate.suspend",
        "collection_mandate.resume",
    ]


def test_a_manager_cancels_one_and_applies_a_banks_advices_together(world: PayWorld) -> None:
    ann, bob = dd.borrower(world.bank), dd.borrower(world.bank)
    manager = world.staff(Role.MANAGER)
    anns, bobs = dd.mandate(world.bank, ann.loan_id), dd.mandate(world.bank, bob.loan_id)

    cancelled = world.call(
        "POST", f"{MANDATES}/{anns.id}/cancel", manager, {"reason": "member phoned the branch"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["cancelled_by"], cancelled.json()["cancel_reason"]) == (
        "staff",
        "member phoned the branch",
    )

    advices = [
        {"reference": bobs.reference, "code": "1"},
        {"reference": anns.reference, "code": "B"},
    ]
    applied = world.call("POST", f"{MANDATES}/advices", manager, {"advices": advices})

    assert applied.status_code == 200, applied.text
    results = applied.json()["applied"]
    assert [(r["reference"], r["code"], r["mandate"]["id"]) for r in results] == [
        (bobs.reference, "1", bobs.id),
        (anns.reference, "B", anns.id),
    ]
    bob_now = results[0]["mandate"]
    assert (bob_now["status"], bob_now["cancelled_by"], bob_now["cancel_reason"]) == (
        "cancelled",
        "bank",
        "your bank told us: instruction cancelled by the payer (ADDACS 1)",
    )
    # Ann's was cancelled already: the advice changes nothing.
    assert results[1]["mandate"] == cancelled.json()
    bobs_collections = _items(world, "/v1/me/direct-debit-collections", bob.login)
    assert {c["status"] for c in bobs_collections} == {"cancelled"}
    assert world.bank.audit_actions("collection_mandate", bobs.id) == []
    with unit_of_work(world.bank.engine) as session:
        summaries = (
            session.execute(
                text(
                    "SELECT summary FROM audit_log WHERE action = 'collection_mandate.apply_addacs'"
                )
            )
            .scalars()
            .all()
        )
    assert [s["mandate_ids"] for s in summaries] == [[bobs.id, anns.id]]


# ----------------------------------------------------------------------------- refusals


def test_a_mandate_is_refused_for_a_loan_it_cannot_collect(world: PayWorld) -> None:
    ann, unnominated = dd.borrower(world.bank), dd.borrower(world.bank, nominated=False)
    ended = dd.borrower(world.bank)
    dd.loans(world.bank).clear(ended.member_id)  # the loan is withdrawn: no longer active
    teller = world.staff(Role.TELLER)
    assert _set_up(world, ann.login, ann.loan_id).status_code == 201
    before = _state(world)

    def staff(loan_id: int) -> Any:
        return world.call("POST", MANDATES, teller, {"loan_id": loan_id, "represent_agreed": True})

    assert _problem(staff(2_000_000_000)) == (404, "/problems/not-found")
    assert _problem(staff(unnominated.loan_id)) == (404, "/problems/no-nominated-account")
    not_active = staff(ended.loan_id)
    assert _problem(not_active) == (409, "/problems/conflict")
    assert "cannot be collected by direct debit: it is withdrawn" in not_active.json()["detail"]
    second = _set_up(world, ann.login, ann.loan_id)
    assert _problem(second) == (409, "/problems/conflict")
    assert "already has mandate" in second.json()["detail"]
    assert _problem(staff(ann.loan_id)) == (409, "/problems/conflict")
    assert _state(world) == before


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"represent_agreed": True, "channel": "branch"}, "#/channel"),  # the app's is "app"
        ({"represent_agreed": "yes"}, "#/represent_agreed"),
        ({"represent_agreed": True, "loan_id": "1"}, "#/loan_id"),
        ({"represent_agreed": True, "loan_id": 0}, "#/loan_id"),
        ({}, "#/represent_agreed"),
    ],
)
def test_a_malformed_mandate_is_refused_naming_the_field(
    world: PayWorld, body: dict[str, Any], pointer: str
) -> None:
    ann = dd.borrower(world.bank)
    before = _state(world)
    answer = world.call("POST", MINE, ann.login, {"loan_id": ann.loan_id} | body)
    assert pointer in _pointers(answer)
    assert _state(world) == before


def test_a_cancellation_needs_a_reason(world: PayWorld) -> None:
    ann = dd.borrower(world.bank)
    manager = world.staff(Role.MANAGER)
    mandate = dd.mandate(world.bank, ann.loan_id)
    before = _state(world)
    for who, url in ((ann.login, MINE), (manager, MANDATES)):
        cancel = f"{url}/{mandate.id}/cancel"
        assert _pointers(world.call("POST", cancel, who, {"reason": "   "})) == ["#/reason"]
        assert _pointers(world.call("POST", cancel, who, {"reason": "x" * 201})) == ["#/reason"]
        assert _pointers(world.call("POST", cancel, who, {})) == ["#/reason"]
    assert _state(world) == before


def test_advices_are_applied_all_or_none(world: PayWorld) -> None:
    ann = dd.borrower(world.bank)
    manager = world.staff(Role.MANAGER)
    mandate = dd.mandate(world.bank, ann.loan_id)
    good = {"reference": mandate.reference, "code": "0"}
    before = _state(world)

    def apply(*advices: dict[str, str]) -> Any:
        return world.call("POST", f"{MANDATES}/advices", manager, {"advices": list(advices)})

    unknown = apply(good, {"reference": "CU0000000000NONE", "code": "1"})
    assert _problem(unknown) == (404, "/problems/not-found")
    assert "'CU0000000000NONE'" in unknown.json()["detail"]
    amended = apply(good, {"reference": mandate.reference, "code": "E"})
    assert _problem(amended) == (409, "/problems/conflict")
    assert "ADDACS code 'E' is not applied automatically" in amended.json()["detail"]
    assert _pointers(apply(good, {"reference": mandate.reference, "code": "Z"})) == [
        "#/advices/1/code"
    ]
    assert _pointers(apply({"reference": "CU!", "code": "1"})) == ["#/advices/0/reference"]
    assert _pointers(apply()) == ["#/advices"]
    assert _state(world) == before
    assert world.call("GET", f"{MANDATES}/{mandate.id}", manager).json()["status"] == "active"


# ---------------------------------------------------------------------------- dashboard


def _collections_of(world: PayWorld, who: LoggedIn, member_id: int) -> list[dict[str, Any]]:
    return _items(world, f"/v1/direct-debit-collections?member_id={member_id}", who)


def test_the_dashboard_counts_collections_by_status_and_unpaid_by_reason(
    world: PayWorld,
) -> None:
    paying, refused, closed, paused = (dd.borrower(world.bank) for _ in range(4))
    auditor = world.staff(Role.AUDITOR)
    mandates = [dd.mandate(world.bank, b.loan_id) for b in (paying, refused, closed, paused)]
    dd.suspended(world.bank, mandates[3].id)
    first = {
        b.member_id: _collections_of(world, auditor, b.member_id)[0]["id"]
        for b in (paying, refused, closed)
    }
    assert len(dd.send(world.bank, FIRST_DAY)) == 1  # the three first collections, sent
    dd.unpaid(world.bank, first[closed.member_id], "AC04", on=FIRST_DAY)  # before its date
    assert dd.collect(world.bank, FIRST_DAY) == 2
    outcome = dd.unpaid(world.bank, first[refused.member_id], "AM04", on=FIRST_DAY)
    assert (outcome.reversed, outcome.represent) == (True, True)
    assert len(dd.send(world.bank, SECOND_DAY)) == 1  # the second collections still live

    figures = world.call(
        "GET", "/v1/direct-debit-collections/dashboard?from=2026-12-01&to=2027-11-30", auditor
    )

    assert figures.status_code == 200, figures.text
    every: list[dict[str, Any]] = []
    for b in (paying, refused, closed, paused):
        every += _collections_of(world, auditor, b.member_id)
    statuses = [c["status"] for c in every]
    assert statuses.count("collected") == 1 and statuses.count("sent") == 2
    assert statuses.count("unpaid") == 2 and statuses.count("scheduled") == 8
    assert statuses.count("cancelled") == 5 + 6  # the closed account's rest, the paused six

    def total(status: str) -> dict[str, str]:
        amounts = [Decimal(c["amount"]["amount"]) for c in every if c["status"] == status]
        return {"amount": str(sum(amounts, Decimal("0.00"))), "currency": "GBP"}

    body = figures.json()
    assert (body["from"], body["to"]) == ("2026-12-01", "2027-11-30")
    assert body["by_status"] == [
        {"status": status, "count": statuses.count(status), "amount": total(status)}
        for status in ("scheduled", "sent", "collected", "unpaid", "cancelled")
    ]
    assert total("collected") == INSTALMENT
    assert total("unpaid") == {"amount": "178.52", "currency": "GBP"}
    assert body["unpaid_by_reason"] == [
        {
            "reason_code": "AC04",
            "reason_text": "B: account closed",
            "count": 1,
            "amount": INSTALMENT,
        },
        {
            "reason_code": "AM04",
            "reason_text": "0: refer to payer (insufficient funds)",
            "count": 1,
            "amount": INSTALMENT,
        },
    ]
    assert body["mandates_by_status"] == {"active": 2, "suspended": 1, "cancelled": 1}

    # Only the first collection date: what was collected or came back, nothing else.
    day = world.call(
        "GET", "/v1/direct-debit-collections/dashboard?from=2026-12-29&to=2026-12-29", auditor
    ).json()
    assert [(f["status"], f["count"]) for f in day["by_status"]] == [
        ("scheduled", 0),
        ("sent", 0),
        ("collected", 1),
        ("unpaid", 2),
        ("cancelled", 1),  # the paused mandate's first
    ]
    unpaid = _items(world, "/v1/direct-debit-collections?status=unpaid", auditor)
    assert [(c["member_id"], c["reason_code"]) for c in unpaid] == [
        (refused.member_id, "AM04"),
        (closed.member_id, "AC04"),
    ]
    mine = _items(world, "/v1/me/direct-debit-collections?status=unpaid", refused.login)
    assert [(c["id"], c["reason_text"]) for c in mine] == [
        (first[refused.member_id], "0: refer to payer (insufficient funds)")
    ]
    world.assert_invariants()


def test_the_dashboard_period_is_checked(world: PayWorld) -> None:
    auditor = world.staff(Role.AUDITOR)
    url = "/v1/direct-debit-collections/dashboard"
    backwards = world.call("GET", f"{url}?from=2027-01-02&to=2027-01-01", auditor)
    assert _pointers(backwards) == ["#/from"]
    too_long = world.call("GET", f"{url}?from=2026-01-01&to=2027-12-31", auditor)
    assert _pointers(too_long) == ["#/to"]
    assert world.call("GET", f"{url}?from=2027-01-01", auditor).status_code == 422
    empty = world.call("GET", f"{url}?from=2027-01-01&to=2027-01-01", auditor).json()
    assert [f["count"] for f in empty["by_status"]] == [0, 0, 0, 0, 0]
    assert empty["unpaid_by_reason"] == []
    assert empty["mandates_by_status"] == {"active": 0, "suspended": 0, "cancelled": 0}
    officer = world.staff(Role.LOAN_OFFICER)
    assert world.call("GET", f"{url}?from=2027-01-01&to=2027-01-01", officer).status_code == 403
