"""Bodies of the member endpoints (staff) and of a member's own profile.

Field lengths here only bound what is read; the member service validates every field
(postcode, NI number, date of birth, ...) and reports each problem with its pointer.
"""

from __future__ import annotations

import datetime as dt

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from api.out import OutModel
from creditunion.members.models import CommonBond, MemberStatus
from creditunion.members.validation import MemberApplication
from creditunion.members.views import NiVisibility

TEXT_MAX = 200


class MemberLoginIn(BaseModel):
    """A mobile app login for the member, created with the registration."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$"
    )
    password: str = Field(min_length=1, max_length=128)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(max_length=TEXT_MAX, examples=["Aisha"])
    family_name: str = Field(max_length=TEXT_MAX, examples=["Khan"])
    date_of_birth: str = Field(
        min_length=1,
        max_length=10,
        description="YYYY-MM-DD; a real date, not in the future, an age up to 120.",
        examples=["1988-04-17"],
        json_schema_extra={"format": "date"},
    )
    address_line1: str = Field(max_length=TEXT_MAX, examples=["12 Mill Lane"])
    address_line2: str | None = Field(default=None, max_length=TEXT_MAX)
    town: str = Field(max_length=TEXT_MAX, examples=["Manchester"])
    postcode: str = Field(max_length=16, examples=["M1 1AE"])
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)
    ni_number: str | None = Field(
        default=None,
        max_length=20,
        description="National Insurance number: two letters, six digits and A, B, C or D.",
        examples=["AB123456C"],
    )
    common_bond: CommonBond = Field(description="How the member qualifies for membership.")
    bond_detail: str = Field(
        max_length=TEXT_MAX, description="The area, employer or association of the bond."
    )
    login: MemberLoginIn | None = Field(
        default=None, description="Also create the member's app login (role member)."
    )

    def application(self) -> MemberApplication:
        """Every field but the login, which is not part of the member's record."""
        return MemberApplication(**self.model_dump(exclude={"login"}))


class MemberChangesIn(BaseModel):
    """Only the fields sent change; null clears an optional field. Date of birth and NI
    number identify the person and are not changed here."""

    model_config = ConfigDict(extra="forbid")

    given_name: str | None = Field(default=None, max_length=TEXT_MAX)
    family_name: str | None = Field(default=None, max_length=TEXT_MAX)
    address_line1: str | None = Field(default=None, max_length=TEXT_MAX)
    address_line2: str | None = Field(default=None, max_length=TEXT_MAX)
    town: str | None = Field(default=None, max_length=TEXT_MAX)
    postcode: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)
    common_bond: CommonBond | None = None
    bond_detail: str | None = Field(default=None, max_length=TEXT_MAX)


class MemberStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: MemberStatus = Field(
        description="pending -> active | closed; active -> dormant | closed; "
        "dormant -> active | closed; closed is final."
    )


class MemberOut(OutModel):
    id: int
    membership_number: str = Field(examples=["M00000042"])
    given_name: str
    family_name: str
    date_of_birth: dt.date
    address_line1: str
    address_line2: str | None
    town: str
    postcode: str
    email: str | None
    phone: str | None
    ni_number: str | None = Field(
        description="Masked (AB******C) unless `ni_visibility` is `full` (managers)."
    )
    ni_visibility: NiVisibility
    common_bond: CommonBond
    bond_detail: str
    status: MemberStatus
    joined_on: dt.date
    activated_on: dt.date | None
    closed_on: dt.date | None


class MemberLoginOut(OutModel):
    user_id: int = Field(validation_alias=AliasChoices("user_id", "id"))
    username: str


class MemberRegisteredOut(BaseModel):
    member: MemberOut
    login: MemberLoginOut | None = Field(description="The app login, when one was asked for.")
