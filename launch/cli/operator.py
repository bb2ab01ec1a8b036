"""Who runs a command line, as the audit log records it: `cli:{name}`.

The name is the one given (`creditunion --actor NAME ...` or `CREDITUNION_ACTOR`), else the
operating-system user. A command line has no sign-in, so the name is what the operator or
the deployment says; the OS user is the fallback an administrator can trace on the host.
"""

from __future__ import annotations

import getpass
import os
from contextvars import ContextVar
from typing import Final

from creditunion.actors import require_actor
from creditunion.auth.actor import Actor

PREFIX: Final = "cli:"
# Set once per command by the command line's root callback, read by the command it runs.
_current: ContextVar[Actor | None] = ContextVar("creditunion_operator", default=None)


def operator_actor(name: str | None = None) -> Actor:
    """The actor for a command run by `name` (None: the OS user). `ValueError` if the name
    is not printable or too long."""
    chosen = (name or "").strip() or _os_user()
    return Actor(user_id=None, username=require_actor(f"{PREFIX}{chosen}"), role=None)


def set_operator(actor: Actor) -> None:
    _current.set(actor)


def current_operator() -> Actor:
    """The operator the command line was started by (the OS user if none was set)."""
    return _current.get() or operator_actor()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No name for the uid (a container's arbitrary user): the uid itself.
        return f"uid:{os.getuid()}"
