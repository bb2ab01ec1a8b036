"""A ceiling on request bodies (`CREDITUNION_MAX_BODY_BYTES`), so no request can make a
worker buffer megabytes.

Pure ASGI. A declared `Content-Length` above the ceiling is answered 413 at once, before a
byte of the body is read. A body sent without one (chunked) is counted as it arrives; the
first chunk past the ceiling raises `BodyTooLarge` from `receive`, an HTTPException that
FastAPI's body reading passes through untouched, so the route answers the same 413
problem and nothing past the ceiling is ever kept.
"""

from __future__ import annotations

from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response

STATUS: Final = 413


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(STATUS, detail=f"the request body is larger than {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            response = problem_response(
                Request(scope),
                status=STATUS,
                detail=str(BodyTooLarge(self.max_bytes).detail),
                # The body is left unread: the connection cannot be reused after it.
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None
