"""Validating a membership application and changes to a member's details (pure).

Every field is checked and every problem reported together, as (field, message) pairs in a
`ValidationProblem`, so a form can show them all at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from creditunion.field_problems import FieldError, Problems
from creditunion.members.contact import normalise_email, normalise_phone
from creditunion.members.dates import check_date_of_birth
from creditunion.members.models import CommonBond
from creditunion.members.ni_number import normalise_ni_number
from creditunion.members.postcode import normalise_postcode
from creditunion.members.text import clean_name, clean_text

T = TypeVar("T")

NAME_LENGTH_MAX: Final = 100
ADDRESS_LINE_LENGTH_MAX: Final = 200
TOWN_LENGTH_MAX: Final = 100
BOND_DETAIL_LENGTH_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class MemberApplication:
    """What staff enter to register a member, as received (validated by the service).

    `common_bond` is how the member qualifies; `bond_detail` names the area they live or
    work in, their employer, or the association, as the bond requires.
    """

    given_name: str
    family_name: str
    date_of_birth: dt.date | str
    address_line1: str
    town: str
    postcode: str
    common_bond: CommonBond | str
    bond_detail: str
    address_line2: str | None = None
    email: str | None = None
    phone: str | None = None
    ni_number: str | None = None


@dataclass(frozen=True, slots=True)
class ValidMember:
    given_name: str
    family_name: str
    date_of_birth: dt.date
    address_line1: str
    address_line2: str | None
    town: str
    postcode: str
    email: str | None
    phone: str | None
    ni_number: str | None
    common_bond: CommonBond
    bond_detail: str


def check_common_bond(raw: object) -> CommonBond:
    if isinstance(raw, CommonBond):
        return raw
    try:
        return CommonBond(str(raw) if isinstance(raw, str) else "")
    except ValueError:
        allowed = ", ".join(b.value for b in CommonBond)
        raise FieldError(f"must be one of {allowed}") from None


def _name(raw: object) -> str:
    return clean_name(raw, max_length=NAME_LENGTH_MAX)


def _address_line(raw: object) -> str:
    return clean_text(raw, max_length=ADDRESS_LINE_LENGTH_MAX)


def _town(raw: object) -> str:
    return clean_text(raw, max_length=TOWN_LENGTH_MAX)


def _bond_detail(raw: object) -> str:
    return clean_text(raw, max_length=BOND_DETAIL_LENGTH_MAX)


def _optional(check: Callable[[object], T]) -> Callable[[object], T | None]:
    """An optional field: None or blank means absent; anything else must pass `check`."""

    def run(raw: object) -> T | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        return check(raw)

    return run


# The fields staff may change after registration, and how each is checked. Date of birth
# and NI number identify the person and are not edited in place.
CHANGEABLE_FIELDS: Final[Mapping[str, Callable[[object], Any]]] = {
    "given_name": _name,
    "family_name": _name,
    "address_line1": _address_line,
    "address_line2": _optional(_address_line),
    "town": _town,
    "postcode": normalise_postcode,
    "email": _optional(normalise_email),
    "phone": _optional(normalise_phone),
    "common_bond": check_common_bond,
    "bond_detail": _bond_detail,
}


def _checked(problems: Problems, field: str, check: Callable[[object], T], raw: object) -> T:
    try:
        return check(raw)
    except FieldError as exc:
        problems.add(field, str(exc))
        return None  # type: ignore[return-value]  # never used: raise_if_any raises


def validate_application(application: MemberApplication, *, business_date: dt.date) -> ValidMember:
    """The application normalised, or `ValidationProblem` listing every bad field."""
    problems = Problems()
    a = application
    valid = ValidMember(
        given_name=_checked(problems, "given_name", _name, a.given_name),
        family_name=_checked(problems, "family_name", _name, a.family_name),
        date_of_birth=_checked(
            problems,
            "date_of_birth",
            lambda raw: check_date_of_birth(raw, business_date=business_date),
            a.date_of_birth,
        ),
        address_line1=_checked(problems, "address_line1", _address_line, a.address_line1),
        address_line2=_checked(
            problems, "address_line2", _optional(_address_line), a.address_line2
        ),
        town=_checked(problems, "town", _town, a.town),
        postcode=_checked(problems, "postcode", normalise_postcode, a.postcode),
        email=_checked(problems, "email", _optional(normalise_email), a.email),
        phone=_checked(problems, "phone", _optional(normalise_phone), a.phone),
        ni_number=_checked(problems, "ni_number", _optional(normalise_ni_number), a.ni_number),
        common_bond=_checked(problems, "common_bond", check_common_bond, a.common_bond),
        bond_detail=_checked(problems, "bond_detail", _bond_detail, a.bond_detail),
    )
    problems.raise_if_any()
    return valid


def validate_changes(changes: Mapping[str, object]) -> dict[str, Any]:
    """The changed fields normalised, or `ValidationProblem` (unknown fields included)."""
    problems = Problems()
    if not changes:
        problems.add("changes", "name at least one field to change")
    valid: dict[str, Any] = {}
    for field, raw in changes.items():
        check = CHANGEABLE_FIELDS.get(field)
        if check is None:
            problems.add(str(field)[:100], "cannot be changed here")
            continue
        valid[field] = _checked(problems, field, check, raw)
    problems.raise_if_any()
    return valid
