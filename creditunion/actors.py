"""Who does something: an actor string such as "user:12" or "member:7", kept on every record."""

from __future__ import annotations

from typing import Final

from ledger.actors import COB_ACTOR

ACTOR_LENGTH_MAX: Final = 100


def require_actor(actor: str) -> str:
    """The actor, or `ValueError`: an empty or oversized actor is a programming error."""
    if not isinstance(actor, str) or not actor.strip() or len(actor) > ACTOR_LENGTH_MAX:
        raise ValueError(f"an actor is 1 to {ACTOR_LENGTH_MAX} characters, got {actor!r}")
    if not actor.isprintable():
        raise ValueError("an actor must be printable text")
    return actor


__all__ = ["ACTOR_LENGTH_MAX", "COB_ACTOR", "require_actor"]
