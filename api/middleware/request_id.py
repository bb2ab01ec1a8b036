"""Request ids: taken from `X-Request-ID` when it is sane, else a new UUID; echoed back.

Pure ASGI (not BaseHTTPMiddleware) so the context variable it sets is the one the
endpoint, its worker thread, the logs and the audit trail all see.
"""

from __future__ import annotations

import uuid
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditunion.platform.request_context import is_valid_request_id, request_id_set

HEADER: Final = "X-Request-ID"
_HEADER_BYTES: Final = HEADER.lower().encode()


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_BYTES:
            try:
                text = value.decode("ascii")
            except UnicodeDecodeError:
                return None
            return text if is_valid_request_id(text) else None
    return None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with request_id_set(request_id):
            await self.app(scope, receive, send_with_id)
