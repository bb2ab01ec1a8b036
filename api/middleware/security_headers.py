"""Headers every response carries, so browsers and caches treat the API's answers safely.

- `Cache-Control: no-store`: answers hold personal data (balances, names, statements);
  no shared or browser cache may keep them. The documentation's static assets are exempt.
- `X-Content-Type-Options: nosniff`: a browser never reads JSON or CSV as a script or page.
- `Content-Security-Policy`: an API answer runs nothing and may not be framed; the
  documentation pages set their own, narrower than any CDN's (api/docs_pages.py).
- `Referrer-Policy: no-referrer`: URLs with ids in them never leave in a Referer header.
- `Strict-Transport-Security` when `CREDITUNION_HSTS_MAX_AGE_S` is above 0 (off by
  default: only a deployment served over HTTPS, end to end, should promise it).

Pure ASGI, so streamed bodies (exports) pass through untouched.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CONTENT_SECURITY_POLICY: Final = "default-src 'none'; frame-ancestors 'none'"


def set_fixed_headers(headers: MutableHeaders) -> None:
    """The headers every answer carries whatever the settings (HSTS is a deployment's)."""
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)


class SecurityHeadersMiddleware:
    def __init__(
        self, app: ASGIApp, *, hsts_max_age_s: int, cacheable_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age_s}" if hsts_max_age_s > 0 else None
        self.cacheable_prefixes = cacheable_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        cacheable = any(path.startswith(f"{prefix}/") for prefix in self.cacheable_prefixes)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                set_fixed_headers(headers)
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
                if self.hsts is not None:
                    headers.setdefault("Strict-Transport-Security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)
