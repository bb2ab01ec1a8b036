"""Kinds of refusal the application's services raise, so the edge can answer each alike.

A service defines its own typed error beside the code that raises it and derives it from
one of these; the HTTP layer maps each kind to a status once (a subclass can still be
mapped on its own when it needs a different title).
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the caller can understand; its message is safe to show to the user."""


class NotFound(DomainError, LookupError):
    """The thing does not exist, or the caller may not know that it exists."""


class Conflict(DomainError):
    """The request clashes with the current state (a name taken, a state already left)."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class InvalidInput(DomainError, ValueError):
    """The input is well formed but breaks a rule (a weak password, an unknown role)."""
