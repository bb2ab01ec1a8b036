"""The middleware that counts and times every request, for Prometheus.

Requests are labelled with their route template (`/v1/members/{member_id}`), never the
raw path, so ids do not multiply the series; a path no route matches is `<unmatched>`.
The figures describe the business's activity, so the API's own listener does not serve
them: `creditunion serve` answers `GET /metrics` on a listener of its own
(`CREDITUNION_METRICS_HOST`, default loopback, and `CREDITUNION_METRICS_PORT`; see
`creditunion.platform.metrics.serve_in_background`).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import app_context
from creditunion.platform import metrics


def route_template(scope: Scope) -> str:
    """The matched route's path template, with the prefixes of the routers it is under."""
    # FastAPI (0.165+) keeps included routers whole and records the effective route, whose
    # path carries the include prefixes; older versions copied routes with the full path.
    effective: Any = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(effective, "path_format", None) or getattr(
        scope.get("route"), "path_format", None
    )
    return path if isinstance(path, str) else metrics.UNMATCHED_ROUTE


class MetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI, so streaming bodies are timed whole)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._pool_watched = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._watch_pool(scope)
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped the application

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        metrics.HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            metrics.HTTP_IN_PROGRESS.dec()
            metrics.observe_request(
                method=scope["method"],
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - started,
            )

    def _watch_pool(self, scope: Scope) -> None:
        if self._pool_watched:
            return
        app = scope.get("app")
        if app is not None and hasattr(app, "state"):
            # Making the engine connects nothing; the first query would make it anyway.
            metrics.watch_pool(app_context(app).engine())
            self._pool_watched = True
