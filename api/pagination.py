"""Cursor pagination: `?limit=&cursor=` in, `{"items": [...], "next_cursor": ...}` out.

A cursor is opaque to clients: base64url JSON of the list it belongs to and the position
of the last item sent, with an HMAC so that a cursor edited, forged or carried to another
list is refused (422) instead of being trusted as a position.

   @router.get("/things")  # the response model is the return annotation
    def list_things(page: Annotated[PageRequest, Depends(paginate("things"))], ...) -> Page[ThingOut]:
        rows = things.list(session, after_id=page.after_int(), limit=page.fetch)
        return page.build(rows, position=lambda r: [r.id], convert=ThingOut.of)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, Field

from api.context import request_context
from api.problems import InvalidField, RequestInvalid

LIMIT_DEFAULT: Final = 50
LIMIT_MAX: Final = 100
CURSOR_LENGTH_MAX: Final = 512
_SIGNATURE_BYTES: Final = 16

T = TypeVar("T")
R = TypeVar("R")
Position = list[int | str]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def encode(self, scope: str, position: Position) -> str:
        payload = json.dumps({"s": scope, "p": position}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, scope: str, cursor: str) -> Position:
        """The position, or `ValueError` for anything not made by `encode` for `scope`."""
        if len(cursor) > CURSOR_LENGTH_MAX or not cursor.isascii():
            raise ValueError("cursor too long")
        body, dot, signature = cursor.partition(".")
        if not dot:
            raise ValueError("not a cursor")
        try:
            payload = _unb64(body)
            given = _unb64(signature)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not a cursor") from exc
        if not hmac.compare_digest(given, self._sign(payload)):
            raise ValueError("cursor signature mismatch")
        data = json.loads(payload)
        if not isinstance(data, dict) or data.get("s") != scope:
            raise ValueError("cursor of another list")
        position = data.get("p")
        if not isinstance(position, list) or not all(
            isinstance(v, int | str) and not isinstance(v, bool) for v in position
        ):
            raise ValueError("malformed cursor position")
        return position


@dataclass(frozen=True, slots=True)
class PageRequest:
    scope: str
    limit: int
    after: Position | None
    codec: CursorCodec

    @property
    def fetch(self) -> int:
        """How many rows to ask for: one more than the page, to know if another follows."""
        return self.limit + 1

    def after_int(self, index: int = 0) -> int | None:
        if self.after is None:
            return None
        value = self.after[index] if index < len(self.after) else None
        if not isinstance(value, int):
            raise _invalid_cursor()
        return value

    def build(
        self,
        rows: Sequence[R],
        *,
        position: Callable[[R], Position],
        convert: Callable[[R], T],
    ) -> Page[T]:
        """The page from up to `fetch` rows fetched in list order."""
        shown = list(rows[: self.limit])
        more = len(rows) > self.limit and shown
        next_cursor = self.codec.encode(self.scope, position(shown[-1])) if more else None
        return Page[Any](items=[convert(r) for r in shown], next_cursor=next_cursor)


def _invalid_cursor() -> RequestInvalid:
    return RequestInvalid(
        InvalidField("query", "cursor", "is not a cursor this list gave out (or was changed)")
    )


def paginate(scope: str) -> Callable[..., PageRequest]:
    """A dependency reading `limit` and `cursor` for the list named `scope`."""

    def dependency(
        request: Request,
        limit: Annotated[
            int, Query(ge=1, le=LIMIT_MAX, description="Items per page (1-100).")
        ] = LIMIT_DEFAULT,
        cursor: Annotated[
            str | None,
            Query(
                max_length=CURSOR_LENGTH_MAX,
                description="`next_cursor` of the previous page; omit for the first page.",
            ),
        ] = None,
    ) -> PageRequest:
        codec = CursorCodec(request_context(request).cursor_key)
        after = None
        if cursor is not None:
            try:
                after = codec.decode(scope, cursor)
            except ValueError as exc:
                raise _invalid_cursor() from exc
        return PageRequest(scope=scope, limit=limit, after=after, codec=codec)

    return dependency
