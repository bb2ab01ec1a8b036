"""What the current request (or command) is, for code far from the edge: logs and audit rows.

The HTTP layer sets the request id for the duration of each request; a CLI command or a
scheduled job may set its own. Context variables follow the work into worker threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

REQUEST_ID_LENGTH_MAX: Final = 128

_request_id: ContextVar[str | None] = ContextVar("creditunion_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_id_set(request_id: str) -> Iterator[None]:
    """Make `request_id` current inside the block (and in threads started from it)."""
    if not is_valid_request_id(request_id):
        raise ValueError("a request id is 1 to 128 printable ASCII characters")
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def is_valid_request_id(value: str) -> bool:
    # Printable ASCII only: the id goes into log lines and response headers verbatim.
    return (
        0 < len(value) <= REQUEST_ID_LENGTH_MAX
        and value.isascii()
        and value.isprintable()
        and value.strip() == value
    )
