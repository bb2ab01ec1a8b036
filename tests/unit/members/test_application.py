from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from creditunion.field_problems import FieldProblem, ValidationProblem
from creditunion.members.models import CommonBond, MemberStatus
from creditunion.members.status import TRANSITIONS, StatusTransitionRefused, check_transition
from creditunion.members.validation import (
    MemberApplication,
    validate_application,
    validate_changes,
)

TODAY = dt.date(2026, 11, 25)
GOOD = MemberApplication(
    given_name=" Siobhán ",
    family_name="O'Brien",
    date_of_birth="1990-05-17",
    address_line1="1 High St'; DROP TABLE members; --",
    town="Salford",
    postcode="m1 1ae",
    common_bond="employer",
    bond_detail="Salford City Council",
    email="Siobhan@Example.ORG",
    phone="07911 123456",
    ni_number="ab 12 34 56 c",
)


def problems(application: MemberApplication) -> dict[str, str]:
    with pytest.raises(ValidationProblem) as caught:
        validate_application(application, business_date=TODAY)
    return {p.field: p.message for p in caught.value.problems}


def test_a_good_application_is_normalised() -> None:
    valid = validate_application(GOOD, business_date=TODAY)
    assert valid.given_name == "Siobhán"
    assert valid.date_of_birth == dt.date(1990, 5, 17)
    assert valid.postcode == "M1 1AE"
    assert valid.email == "Siobhan@example.org"
    assert valid.phone == "+447911123456"
    assert valid.ni_number == "AB123456C"
    assert valid.common_bond is CommonBond.EMPLOYER
    assert valid.address_line1 == "1 High St'; DROP TABLE members; --"  # verbatim


def test_every_bad_field_is_reported_at_once() -> None:
    bad = dataclasses.replace(
        GOOD,
        given_name="",
        family_name="X" * 101,
        date_of_birth="2023-02-30",
        address_line1="\x00",
        town=" ",
        postcode="QQ1 1AA",
        common_bond="friend_of_a_friend",
        bond_detail="",
        email="not-an-email",
        phone="12",
        ni_number="QQ123456C",
        address_line2="a\u202eb",
    )
    found = problems(bad)
    assert set(found) == {
        "given_name",
        "family_name",
        "date_of_birth",
        "address_line1",
        "address_line2",
        "town",
        "postcode",
        "common_bond",
        "bond_detail",
        "email",
        "phone",
        "ni_number",
    }
    assert "not a real calendar date" in found["date_of_birth"]
    assert "not a valid UK postcode" in found["postcode"]
    assert "never uses" in found["ni_number"]


def test_optional_fields_may_be_absent_or_blank() -> None:
    valid = validate_application(
        dataclasses.replace(GOOD, email=None, phone="  ", ni_number="", address_line2=None),
        business_date=TODAY,
    )
    assert (valid.email, valid.phone, valid.ni_number, valid.address_line2) == (None,) * 4


@pytest.mark.parametrize("value", [None, 42, ["M1 1AE"], {"postcode": "M1 1AE"}])
def test_wrong_types_are_field_problems_not_crashes(value: object) -> None:
    bad = dataclasses.replace(GOOD, postcode=value, given_name=value)  # type: ignore[arg-type]
    assert set(problems(bad)) == {"postcode", "given_name"}


def test_field_problems_render_as_json_pointers() -> None:
    assert FieldProblem("postcode", "bad").pointer == "/postcode"
    assert FieldProblem("a/b~c", "bad").pointer == "/a~1b~0c"
    with pytest.raises(ValueError):
        ValidationProblem([])


def test_changes_are_validated_and_unknown_fields_refused() -> None:
    assert validate_changes({"postcode": "ec1a1bb", "email": None}) == {
        "postcode": "EC1A 1BB",
        "email": None,
    }
    with pytest.raises(ValidationProblem) as caught:
        validate_changes({"date_of_birth": "2000-01-01", "ni_number": "AB123456C", "town": ""})
    assert {p.field for p in caught.value.problems} == {"date_of_birth", "ni_number", "town"}
    with pytest.raises(ValidationProblem):
        validate_changes({})


S = MemberStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PENDING, S.ACTIVE),
        (S.PENDING, S.CLOSED),
        (S.ACTIVE, S.DORMANT),
        (S.ACTIVE, S.CLOSED),
        (S.DORMANT, S.ACTIVE),
        (S.DORMANT, S.CLOSED),
    ],
)
def test_allowed_transitions(current: MemberStatus, target: MemberStatus) -> None:
    check_transition(current, target)


def test_every_other_transition_is_refused() -> None:
    for current in MemberStatus:
        for target in MemberStatus:
            if target in TRANSITIONS[current]:
                continue
            with pytest.raises(StatusTransitionRefused):
                check_transition(current, target)


def test_closed_is_final() -> None:
    assert TRANSITIONS[S.CLOSED] == frozenset()
    with pytest.raises(StatusTransitionRefused, match="final"):
        check_transition(S.CLOSED, S.ACTIVE)
