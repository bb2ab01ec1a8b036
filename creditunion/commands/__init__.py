"""The command pipeline: one context, one way to run a state change, one audit record each."""

from creditunion.commands.context import (
    CommandContext,
    IdempotencyKey,
    MissingIdempotencyKey,
    ScopeMismatch,
    member_context,
    staff_context,
)
from creditunion.commands.pipeline import Audited, Command, command

__all__ = [
    "Audited",
    "Command",
    "CommandContext",
    "IdempotencyKey",
    "MissingIdempotencyKey",
    "ScopeMismatch",
    "command",
    "member_context",
    "staff_context",
]
