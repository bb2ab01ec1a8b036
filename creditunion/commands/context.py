"""What every command runs with, whoever starts it: the HTTP API, the command line or close
of business. Frozen, built once at the edge, and passed down unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Final

from creditunion.auth.actor import Actor
from creditunion.platform.request_context import current_request_id
from ledger.deadline import Deadline
from ledger.entry import KEY_LENGTH_MAX as LEDGER_KEY_LENGTH_MAX
from ledger.ownership import STAFF, MemberScope, Scope


class ScopeMismatch(ValueError):
    """A context whose scope does not fit its actor: a programming error at the edge."""


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A caller's key for one operation, made unique by who gave it (`namespace:owner`)."""

    namespace: str
    owner: str
    key: str

    def ledger_key(self, suffix: str = "") -> str:
        """A ledger idempotency key (`suffix` tells several postings of one command apart);
        a hash of the caller's key when the plain form would be too long for the ledger."""
        tail = f":{suffix}" if suffix else ""
        plain = f"{self.namespace}:{self.owner}:{self.key}{tail}"
        if len(plain) <= LEDGER_KEY_LENGTH_MAX:
            return plain
        digest = hashlib.sha256(self.key.encode()).hexdigest()
        return f"{self.namespace}:{self.owner}:sha256:{digest}{tail}"[:LEDGER_KEY_LENGTH_MAX]


@dataclass(frozen=True, slots=True)
class CommandContext:
    actor: Actor
    business_date: dt.date
    scope: Scope
    deadline: Deadline
    request_id: str | None
    idempotency: IdempotencyKey | None

    def __post_init__(self) -> None:
        if isinstance(self.scope, MemberScope) and self.scope.member_id != self.actor.member_id:
            raise ScopeMismatch("a member scope is only ever the acting member's own")
        if self.scope is STAFF and self.actor.is_member:
            raise ScopeMismatch("a member never acts in staff scope")

    @property
    def actor_ref(self) -> str:
        """How services record who acted: `user:{id}` for a signed-in user (so a renamed
        login stays the same actor), else the system or operator name."""
        if self.actor.user_id is not None:
            return f"user:{self.actor.user_id}"
        return self.actor.label

    def ledger_key(self, suffix: str = "") -> str:
        if self.idempotency is None:
            raise MissingIdempotencyKey()
        return self.idempotency.ledger_key(suffix)


class MissingIdempotencyKey(RuntimeError):
    """A command that moves money was started without an idempotency key."""

    def __init__(self) -> None:
        super().__init__("this command moves money: start it with an idempotency key")


DEFAULT_BUDGET_S: Final = 30.0


def staff_context(
    actor: Actor,
    *,
    business_date: dt.date,
    deadline: Deadline,
    idempotency: IdempotencyKey | None = None,
) -> CommandContext:
    """A staff user, an operator or the system acting for the credit union."""
    return CommandContext(
        actor=actor,
        business_date=business_date,
        scope=STAFF,
        deadline=deadline,
        request_id=current_request_id(),
        idempotency=idempotency,
    )


def member_context(
    actor: Actor,
    *,
    business_date: dt.date,
    deadline: Deadline,
    idempotency: IdempotencyKey | None = None,
) -> CommandContext:
    """A member acting for themselves: only their own records."""
    if actor.member_id is None:
        raise ScopeMismatch("a member context needs a login that belongs to a member")
    return CommandContext(
        actor=actor,
        business_date=business_date,
        scope=MemberScope(actor.member_id),
        deadline=deadline,
        request_id=current_request_id(),
        idempotency=idempotency,
    )
