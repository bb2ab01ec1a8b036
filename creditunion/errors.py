"""The kinds of domain error, as the application's services use them.

The root and its kinds are the ledger's (`ledger.errors`), so a refusal of any layer is
answered alike; this module names them for the application and adds two refusals of its
own kind. A service defines its typed error beside the code that raises it and derives it
from one of these; the HTTP layer maps each kind to a status once (a subclass can still be
mapped on its own when it needs a different title).
"""

from __future__ import annotations

from ledger.errors import Conflict, DomainError, NotFound, Refused, Unavailable

__all__ = [
    "Conflict",
    "DomainError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "Refused",
    "Unavailable",
]


class PermissionDenied(Refused):
    """The caller is known but may not do this."""


class InvalidInput(Refused, ValueError):
    """The input is well formed but breaks a rule (a weak password, an unknown role)."""
