"""What the member services return: plain dataclasses, the NI number masked unless asked."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from creditunion.members.models import CommonBond, Member, MemberStatus
from creditunion.members.ni_number import mask_ni_number


class NiVisibility(enum.StrEnum):
    """Who is looking decides: `full` for managers only (the router checks the role)."""

    MASKED = "masked"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class MemberView:
    id: int
    membership_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    address_line1: str
    address_line2: str | None
    town: str
    postcode: str
    email: str | None
    phone: str | None
    ni_number: str | None  # "QQ******C" unless ni_visibility is FULL
    ni_visibility: NiVisibility
    common_bond: CommonBond
    bond_detail: str
    status: MemberStatus
    joined_on: dt.date
    activated_on: dt.date | None
    closed_on: dt.date | None

    @classmethod
    def of(cls, row: Member, ni_visibility: NiVisibility = NiVisibility.MASKED) -> MemberView:
        ni = row.ni_number
        if ni is not None and ni_visibility is not NiVisibility.FULL:
            ni = mask_ni_number(ni)
        return cls(
            id=row.id,
            membership_number=row.membership_number,
            given_name=row.given_name,
            family_name=row.family_name,
            date_of_birth=row.date_of_birth,
            address_line1=row.address_line1,
            address_line2=row.address_line2,
            town=row.town,
            postcode=row.postcode,
            email=row.email,
            phone=row.phone,
            ni_number=ni,
            ni_visibility=NiVisibility(ni_visibility),
            common_bond=row.common_bond,
            bond_detail=row.bond_detail,
            status=row.status,
            joined_on=row.joined_on,
            activated_on=row.activated_on,
            closed_on=row.closed_on,
        )


@dataclass(frozen=True, slots=True)
class MemberPage:
    items: tuple[MemberView, ...]
    next_after_id: int | None  # pass as `after_id` for the next page; None at the end
