"""What the member and share account routers share: today's date, lists, NI numbers.

Who acts, as the services record it, comes from the command context
(`CommandContext.actor_ref`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from sqlalchemy.orm import Session

from api.pagination import Page, PageRequest
from api.problems import InvalidField, RequestInvalid
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.business_date.service import current_business_date
from creditunion.field_problems import ValidationProblem
from creditunion.members.views import NiVisibility

ID_MAX: Final = 2**63 - 1

V = TypeVar("V")
T = TypeVar("T")


def business_date(session: Session) -> dt.date:
    """The business date, share-locked for this request (close of business waits for it)."""
    return current_business_date(session)


def ni_visibility(actor: Actor) -> NiVisibility:
    """Full National Insurance numbers only for roles holding `members:read_ni` (managers)."""
    return NiVisibility.FULL if actor.can(Permission.MEMBERS_READ_NI) else NiVisibility.MASKED


def page_after_id(
    page: PageRequest,
    items: Sequence[V],
    next_after_id: int | None,
    convert: Callable[[V], T],
) -> Page[T]:
    """A page from a service that pages by id itself (`items`, `next_after_id`)."""
    cursor = None if next_after_id is None else page.codec.encode(page.scope, [next_after_id])
    return Page[Any](items=[convert(item) for item in items], next_cursor=cursor)


def as_query_problem(exc: ValidationProblem) -> RequestInvalid:
    """A service's input refusal about query parameters, pointed at the query, not the body."""
    return RequestInvalid(*(InvalidField("query", p.field, p.message) for p in exc.problems))
