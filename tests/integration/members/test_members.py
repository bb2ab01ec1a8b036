"""Registering, reading, changing and searching members against real PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import Engine, text

from creditunion.field_problems import ValidationProblem
from creditunion.lending.closure import MEMBER_CLOSURE_CHECKS
from creditunion.members.models import MemberStatus
from creditunion.members.service import (
    DuplicateMember,
    MemberClosed,
    MemberNotFound,
    change_member_status,
    get_member,
    get_member_by_number,
    register_member,
    search_members,
    update_member_details,
)
from creditunion.members.views import NiVisibility
from creditunion.platform.database import unit_of_work
from tests.factories import STAFF, TODAY, MemberApplicationFactory, MemberFactory


def test_registration_stores_normalised_values_and_starts_pending(books: Engine) -> None:
    application = MemberApplicationFactory.build(
        given_name="  Zoe\u0308 ",
        family_name="O'Brien",
        postcode="ec1a1bb",
        phone="+44 (0) 20 7946 0018",
        email="Zoe@Example.ORG",
        ni_number=None,
        address_line1="Flat 1'; DROP TABLE members; --",
        date_of_birth="1990-02-28",
    )
    with unit_of_work(books) as s:
        member = register_member(s, application=application, actor=STAFF, business_date=TODAY)
    with unit_of_work(books) as s:
        again = get_member(s, member_id=member.id)
        stored = s.execute(
            text("SELECT address_line1, given_name FROM members WHERE id = :id"), {"id": member.id}
        ).one()
    assert again == member
    assert member.status is MemberStatus.PENDING
    assert member.joined_on == TODAY and member.activated_on is None
    assert (member.given_name, member.family_name) == ("Zoë", "O'Brien")
    assert member.postcode == "EC1A 1BB"
    assert member.phone == "+442079460018"
    assert member.email == "Zoe@example.org"
    assert member.date_of_birth == dt.date(1990, 2, 28)
    assert stored == ("Flat 1'; DROP TABLE members; --", "Zoë")
    assert re.fullmatch(r"M[0-9]{8}", member.membership_number)


def test_membership_numbers_come_from_a_sequence_and_are_never_reused(books: Engine) -> None:
    with unit_of_work(books) as s:
        first = MemberFactory.create(session=s)
    # A registration that rolls back still consumes its number.
    with pytest.raises(RuntimeError), unit_of_work(books) as s:
        MemberFactory.create(session=s)
        raise RuntimeError("roll back")
    with unit_of_work(books) as s:
        second = MemberFactory.create(session=s)
    assert int(second.membership_number[1:]) >= int(first.membership_number[1:]) + 2


def test_ni_number_masked_unless_full_is_asked_for(books: Engine) -> None:
    application = MemberApplicationFactory.build()
    with unit_of_work(books) as s:
        member = register_member(s, application=application, actor=STAFF, business_date=TODAY)
        full = get_member(s, member_id=member.id, ni_visibility=NiVisibility.FULL)
        by_number = get_member_by_number(s, membership_number=member.membership_number.lower())
    normalised = application.ni_number.replace(" ", "").upper()
    assert member.ni_number == f"{normalised[:2]}******{normalised[-1]}"
    assert member.ni_visibility is NiVisibility.MASKED
    assert full.ni_number == normalised
    assert by_number.ni_number == member.ni_number


def test_invalid_application_writes_nothing(books: Engine) -> None:
    marker = f"Nobody{uuid.uuid4().hex[:6]}".replace("0", "o")
    marker = "".join(c for c in marker if c.isalpha())
    bad = MemberApplicationFactory.build(
        family_name=marker, postcode="QQ1 1AA", ni_number="TN123456A"
    )
    with unit_of_work(books) as s, pytest.raises(ValidationProblem) as caught:
        register_member(s, application=bad, actor=STAFF, business_date=TODAY)
    assert {p.field for p in caught.value.problems} == {"postcode", "ni_number"}
    with unit_of_work(books) as s:
        assert search_members(s, name_prefix=marker).items == ()


def test_future_date_of_birth_is_relative_to_the_business_date(books: Engine) -> None:
    application = MemberApplicationFactory.build(date_of_birth="2026-12-01")
    with unit_of_work(books) as s, pytest.raises(ValidationProblem, match="future"):
        register_member(s, application=application, actor=STAFF, business_date=TODAY)
    with unit_of_work(books) as s:
        later = dt.date(2026, 12, 1)
        member = register_member(s, application=application, actor=STAFF, business_date=later)
    assert member.date_of_birth == later


def test_a_live_ni_number_is_held_by_one_member(books: Engine) -> None:
    application = MemberApplicationFactory.build()
    with unit_of_work(books) as s:
        first = register_member(s, application=application, actor=STAFF, business_date=TODAY)
    spaced = dataclasses.replace(application, ni_number=application.ni_number.lower())
    with unit_of_work(books) as s:
        with pytest.raises(DuplicateMember):
            register_member(s, application=spaced, actor=STAFF, business_date=TODAY)
        # The refusal left the transaction usable.
        assert get_member(s, member_id=first.id).id == first.id
    # Once the first membership is closed, the person may join again.
    with unit_of_work(books) as s:
        change_member_status(
            s,
            member_id=first.id,
            status=MemberStatus.CLOSED,
            actor=STAFF,
            business_date=TODAY,
            closure_checks=MEMBER_CLOSURE_CHECKS,
        )
    with unit_of_work(books) as s:
        again = register_member(s, application=spaced, actor=STAFF, business_date=TODAY)
    assert again.membership_number != first.membership_number


def test_unknown_member_is_not_found(books: Engine) -> None:
    with unit_of_work(books) as s:
        with pytest.raises(MemberNotFound):
            get_member(s, member_id=10**12)
        with pytest.raises(MemberNotFound):
            get_member_by_number(s, membership_number="M99999999")
        with pytest.raises(MemberNotFound):
            get_member_by_number(s, membership_number="x" * 10_000)


def test_update_details(books: Engine) -> None:
    with unit_of_work(books) as s:
        member = MemberFactory.create(session=s)
    with unit_of_work(books) as s:
        changed = update_member_details(
            s,
            member_id=member.id,
            changes={
                "postcode": "sw1a2aa",
                "email": None,
                "town": "London",
                "address_line2": "Flat 2",
            },
            actor=STAFF,
        )
    assert (changed.postcode, changed.email, changed.town, changed.address_line2) == (
        "SW1A 2AA",
        None,
        "London",
        "Flat 2",
    )
    assert changed.ni_number == member.ni_number
    with unit_of_work(books) as s, pytest.raises(ValidationProblem) as caught:
        update_member_details(
            s, member_id=member.id, changes={"postcode": "nope", "status": "active"}, actor=STAFF
        )
    assert {p.field for p in caught.value.problems} == {"postcode", "status"}


def test_a_closed_member_cannot_be_changed(books: Engine) -> None:
    with unit_of_work(books) as s:
        member = MemberFactory.create(session=s)
        change_member_status(
            s,
            member_id=member.id,
            status=MemberStatus.CLOSED,
            actor=STAFF,
            business_date=TODAY,
            closure_checks=MEMBER_CLOSURE_CHECKS,
        )
    with unit_of_work(books) as s, pytest.raises(MemberClosed):
        update_member_details(s, member_id=member.id, changes={"town": "Leeds"}, actor=STAFF)


def test_search_filters_and_pages_by_id(books: Engine) -> None:
    family = "Zz" + "".join(c for c in uuid.uuid4().hex if c.isalpha())[:6] + "son"
    with unit_of_work(books) as s:
        made = [
            MemberFactory.create(session=s, family_name=family, postcode="DN55 1PT")
            for _ in range(5)
        ]
        other = MemberFactory.create(session=s, given_name=family.upper(), postcode="M1 1AE")
    ids = [m.id for m in made]
    with unit_of_work(books) as s:
        first = search_members(s, name_prefix=family[:5].lower(), limit=2)
        assert [m.id for m in first.items] == ids[:2]
        second = search_members(s, name_prefix=family[:5], limit=2, after_id=first.next_after_id)
        assert [m.id for m in second.items] == ids[2:4]
        rest = search_members(s, name_prefix=family[:5], limit=10, after_id=second.next_after_id)
        assert [m.id for m in rest.items] == [ids[4], other.id]
        assert rest.next_after_id is None
        in_area = search_members(s, name_prefix=family, postcode="dn55 1pt", limit=50)
        assert [m.id for m in in_area.items] == ids
        by_outward = search_members(s, name_prefix=family, postcode="DN55", limit=50)
        assert [m.id for m in by_outward.items] == ids
        by_number = search_members(s, membership_number=made[3].membership_number)
        assert [m.id for m in by_number.items] == [ids[3]]
        pending = search_members(s, name_prefix=family, status="pending", limit=50)
        assert len(pending.items) == 6
        assert search_members(s, name_prefix=family, status=MemberStatus.ACTIVE).items == ()


@pytest.mark.parametrize("prefix", ["%", "_", "\\", "%%%", "' OR 1=1 --"])
def test_search_wildcards_are_literal(books: Engine, prefix: str) -> None:
    with unit_of_work(books) as s:
        assert search_members(s, name_prefix=prefix, limit=200).items == ()


def test_search_refuses_bad_filters(books: Engine) -> None:
    with unit_of_work(books) as s, pytest.raises(ValidationProblem) as caught:
        search_members(s, name_prefix="", postcode="??", status="gone", limit=0, after_id=-1)
    assert {p.field for p in caught.value.problems} == {
        "name_prefix",
        "postcode",
        "status",
        "limit",
        "after_id",
    }
    with unit_of_work(books) as s, pytest.raises(ValidationProblem):
        search_members(s, limit=201)
