"""The one way a state change runs: under its context's deadline, then audited from its result.

A command is a function `(session, context, **arguments) -> Audited[T]` wrapped by
`@command(action=..., target_type=...)`. Calling the wrapped command runs it in the
caller's transaction (commands never commit: the edge does) and writes exactly one audit
record from what it returned, in that same transaction, so the change and its record
commit or roll back together. The API, the command line and close of business all call
commands this way, so every state change is recorded whoever starts it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from creditunion.audit.record import record
from creditunion.commands.context import CommandContext, MissingIdempotencyKey
from ledger.deadline import deadline_set
from ledger.transaction import DeadlineExceeded, require_transaction

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Audited(Generic[T]):
    """A command's result and what its audit record says about it."""

    value: T
    target_id: str | int | None
    summary: Mapping[str, Any] = field(default_factory=dict)


Body = Callable[Concatenate[Session, CommandContext, P], Audited[T]]


@dataclass(frozen=True, slots=True)
class Command(Generic[P, T]):
    action: str
    target_type: str | None
    moves_money: bool
    body: Body[P, T]

    def __call__(
        self, session: Session, context: CommandContext, /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        require_transaction(session)
        if self.moves_money and context.idempotency is None:
            raise MissingIdempotencyKey()
        with deadline_set(context.deadline) as deadline:
            if deadline.expired:
                raise DeadlineExceeded(deadline)
            done = self.body(session, context, *args, **kwargs)
        record(
            session,
            actor=context.actor,
            action=self.action,
            target_type=self.target_type,
            target_id=done.target_id,
            summary=done.summary,
            business_date=context.business_date,
        )
        return done.value

    @property
    def name(self) -> str:
        return self.action


def command(
    *, action: str, target_type: str | None, moves_money: bool = False
) -> Callable[[Body[P, T]], Command[P, T]]:
    """Make `body` a command recorded in the audit log as `action` on `target_type`.

    `moves_money`: the command posts to the ledger, so it refuses to run without an
    idempotency key (its postings' keys derive from it).
    """

    def wrap(body: Body[P, T]) -> Command[P, T]:
        return Command(action=action, target_type=target_type, moves_money=moves_money, body=body)

    return wrap
