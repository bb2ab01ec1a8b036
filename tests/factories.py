"""factory-boy factories: valid inputs by default, created through the services.

`Factory.build()` gives the input (an application or product definition) to tamper with;
`Factory.create(session=..., ...)` registers or opens it through the real service, so what
a test gets is exactly what the application would have made. Other engineers add theirs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import factory

from creditunion.members.models import CommonBond
from creditunion.members.service import register_member
from creditunion.members.validation import MemberApplication
from creditunion.members.views import MemberView
from creditunion.shares.models import PostingFrequency, ProductKind, ReturnBasis
from creditunion.shares.product_service import create_share_product
from creditunion.shares.products import INSTANT_ACCESS, ProductDefinition
from creditunion.shares.service import open_share_account
from creditunion.shares.views import ShareAccountView, ShareProductView

TODAY = dt.date(2026, 11, 25)
STAFF = "user:teller-1"

# Real postcodes of several shapes (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA).
POSTCODES = ("M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB", "SW1A 2AA")
PHONES = ("07911 123456", "020 7946 0018", "+44 161 496 0000", "07400 123456")


def ni_number(n: int) -> str:
    """A well-formed NINO, unique per n (prefix AB is allowed)."""
    return f"AB{n % 1_000_000:06d}{'ABCD'[n % 4]}"


class MemberApplicationFactory(factory.Factory):  # type: ignore[misc]
    class Meta:
        model = MemberApplication

    given_name = factory.Faker("first_name", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    # Adults (born 1960-1999): a member the tests make may borrow; a child is asked for.
    date_of_birth = factory.Sequence(lambda n: dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28))
    address_line1 = factory.Sequence(lambda n: f"{n % 300 + 1} High Street")
    town = "Manchester"
    postcode = factory.Sequence(lambda n: POSTCODES[n % len(POSTCODES)])
    common_bond = CommonBond.LIVES_IN_AREA
    bond_detail = "Greater Manchester"
    address_line2 = None
    email = factory.Sequence(lambda n: f"member{n}.{uuid.uuid4().hex[:6]}@example.org")
    phone = factory.Sequence(lambda n: PHONES[n % len(PHONES)])
    # Unique across test runs sharing a database: a random base per process.
    ni_number = factory.Sequence(lambda n: ni_number(_NI_BASE + n))


_NI_BASE = uuid.uuid4().int % 900_000


class MemberFactory(MemberApplicationFactory):
    """`create(session=s)` registers the member (pending) and returns its `MemberView`."""

    @classmethod
    def _create(cls, model_class: type[MemberApplication], *args: Any, **kwargs: Any) -> MemberView:
        session = kwargs.pop("session")
        actor = kwargs.pop("actor", STAFF)
        business_date = kwargs.pop("business_date", TODAY)
        ni_visibility = kwargs.pop("ni_visibility", None)
        extra = {"ni_visibility": ni_visibility} if ni_visibility is not None else {}
        return register_member(
            session,
            application=model_class(*args, **kwargs),
            actor=actor,
            business_date=business_date,
            **extra,
        )


class ShareProductFactory(factory.Factory):  # type: ignore[misc]
    """`create(session=s)` defines the product; codes are unique per call."""

    class Meta:
        model = ProductDefinition

    code = factory.LazyFunction(lambda: f"T{uuid.uuid4().hex[:12].upper()}")
    name = "Test shares"
    kind = ProductKind.INSTANT_ACCESS
    currency = "GBP"
    minimum_balance = "1.00"
    maximum_balance = "5000.00"
    return_basis = ReturnBasis.DIVIDEND
    posting_frequency = PostingFrequency.ANNUALLY
    annual_rate = None
    withdrawal_windows = None
    maximum_age_years = None

    @classmethod
    def _create(
        cls, model_class: type[ProductDefinition], *args: Any, **kwargs: Any
    ) -> ShareProductView:
        session = kwargs.pop("session")
        actor = kwargs.pop("actor", "user:manager-1")
        return create_share_product(session, definition=model_class(*args, **kwargs), actor=actor)


class ShareAccountFactory(factory.Factory):  # type: ignore[misc]
    """`create(session=s, member_id=..., product_code=...)` opens an account through the
    service; without `member_id` a new member is registered for it."""

    class Meta:
        model = dict

    product_code = INSTANT_ACCESS
    repayment_mandate = False

    @classmethod
    def _create(
        cls, model_class: type[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> ShareAccountView:
        session = kwargs.pop("session")
        business_date = kwargs.pop("business_date", TODAY)
        member_id = kwargs.pop("member_id", None)
        if member_id is None:
            member_id = MemberFactory.create(session=session, business_date=business_date).id
        return open_share_account(
            session,
            member_id=member_id,
            product_code=kwargs.pop("product_code"),
            actor=kwargs.pop("actor", STAFF),
            business_date=business_date,
            repayment_mandate=kwargs.pop("repayment_mandate"),
        )
