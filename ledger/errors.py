"""The one root of every domain error, and its four kinds.

A domain error is a refusal the caller can understand: its message is safe to show to the
user. Each is defined beside the code that raises it and derives from one of the kinds
(directly or through a family such as `ledger.checks.PostingRefused`), so the edge answers
every one of them alike, whichever package it comes from:

* `NotFound`: the thing does not exist, or the caller may not know that it exists;
* `Conflict`: the request clashes with the current state (a name taken, a state already
  left, a balance too small): the same request may succeed later;
* `Refused`: the request is well formed but breaks a rule, whatever the state;
* `Unavailable`: the service cannot do it now (contention, not yet set up); try again.

An error that means a bug (a missing transaction, a broken invariant) is not a domain
error: it stays an ordinary exception and is answered as an internal error.

It lives in the lowest layer because the ledger raises domain errors too; `loans` and
`creditunion` build their families on these kinds.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the caller can understand; its message is safe to show to the user."""


class NotFound(DomainError, LookupError):
    """The thing does not exist, or the caller may not know that it exists."""


class Conflict(DomainError):
    """The request clashes with the current state; the same request may succeed later."""


class Refused(DomainError):
    """The request is well formed but breaks a rule, whatever the state."""


class Unavailable(DomainError):
    """The service cannot do this now (contention, not yet set up); trying again may work."""
