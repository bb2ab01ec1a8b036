"""Who a recorded actor string names: a member, a staff user or the system.

Records keep the actor as the string the command was given: `user:{id}` for anyone signed
in to the API (a member's login as much as a teller's), `member:{id}` where a member's own
act is recorded by member (accepting an offer), `system:cob` for close of business. Read
back, the same member must read as the same person whichever way the record names them, so
a `user:` label is resolved through the login to its member when it has one.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditunion.auth.models import User

_LABEL: Final = re.compile(r"^(member|user):([1-9][0-9]{0,18})$")
LOOKUP_MAX: Final = 200


class ActorKind(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class WhoActed:
    kind: ActorKind
    id: int | None  # the member's id, the staff user's id, or None for the system
    recorded_as: str  # the label as recorded, as journal entries' `posted_by` carry it


def who_acted(session: Session, labels: Collection[str]) -> dict[str, WhoActed]:
    """Each label's actor; a `user:` label of a member's login names the member.

    A label that names neither a member nor a user (close of business, a job, a
    command-line operator's `cli:` name) is the system. At most `LOOKUP_MAX` distinct user labels are looked up in one call.
    """
    parsed = {label: _LABEL.match(label) for label in set(labels)}
    user_ids = sorted({int(m.group(2)) for m in parsed.values() if m and m.group(1) == "user"})
    if len(user_ids) > LOOKUP_MAX:
        raise ValueError(f"at most {LOOKUP_MAX} users are looked up at once")
    members_of = (
        dict(session.execute(select(User.id, User.member_id).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    out: dict[str, WhoActed] = {}
    for label, match in parsed.items():
        if match is None:
            out[label] = WhoActed(ActorKind.SYSTEM, None, label)
            continue
        number = int(match.group(2))
        if match.group(1) == "member":
            out[label] = WhoActed(ActorKind.MEMBER, number, label)
        elif (member_id := members_of.get(number)) is not None:
            out[label] = WhoActed(ActorKind.MEMBER, int(member_id), label)
        else:
            out[label] = WhoActed(ActorKind.STAFF, number, label)
    return out


__all__ = ["LOOKUP_MAX", "ActorKind", "WhoActed", "who_acted"]
