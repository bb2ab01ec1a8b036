"""Per-address throttling of refused sign-ins (`POST /v1/auth/token`).

The lockout (creditunion.auth.login) stops guessing one login's password; this stops one
address from guessing across many logins (credential stuffing). An address whose sign-ins
were refused `CREDITUNION_LOGIN_THROTTLE_FAILURES` times within
`CREDITUNION_LOGIN_THROTTLE_WINDOW_S` seconds gets 429 with `Retry-After` until the oldest
of those leaves the window; successful sign-ins never count, so a busy office behind one
address is not slowed. 0 failures turns it off.

Counts live in the worker process (each of N workers counts on its own: the effective
ceiling is N times the setting) and are bounded in size. The address is the one uvicorn
reports: behind a reverse proxy, run uvicorn with `--proxy-headers` and
`--forwarded-allow-ips` so that it is the client's, not the proxy's.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_TYPE_PREFIX, problem_response, register_problem

PATH: Final = "/v1/auth/token"
SLUG: Final = "too-many-sign-ins"
TITLE: Final = "Too many failed sign-ins"
ADDRESSES_MAX: Final = 10_000
REFUSED: Final = 401


class TooManySignIns(Exception):
    """Answered by the middleware itself; registered so `/problems/too-many-sign-ins` exists."""


register_problem(TooManySignIns, 429, TITLE, SLUG)


class FailureWindow:
    """Refusal times per address in a sliding window, for at most ADDRESSES_MAX addresses."""

    def __init__(
        self, *, failures: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.window_s = window_s
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        times = self._seen.get(address)
        if times is None:
            return deque()
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._seen[address]
        return times

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None if it may now."""
        times = self._recent(address)
        if len(times) < self.failures:
            return None
        return max(1, math.ceil(times[0] + self.window_s - self.clock()))

    def refused(self, address: str) -> None:
        times = self._seen.pop(address, None) or deque(maxlen=self.failures)
        times.append(self.clock())
        self._seen[address] = times  # most recently refused last
        while len(self._seen) > ADDRESSES_MAX:
            self._seen.popitem(last=False)


class LoginThrottleMiddleware:
    def __init__(self, app: ASGIApp, *, failures: int, window_s: float) -> None:
        self.app = app
        self.window = FailureWindow(failures=failures, window_s=window_s) if failures else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.window is None
            or scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        wait_s = self.window.retry_after(address)
        if wait_s is not None:
            response = problem_response(
                Request(scope),
                status=429,
                title=TITLE,
                type=PROBLEM_TYPE_PREFIX + SLUG,
                detail="too many refused sign-ins from this address; try again later",
                headers={"Retry-After": str(wait_s)},
            )
            await response(scope, receive, send)
            return
        window = self.window

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == REFUSED:
                window.refused(address)
            await send(message)

        await self.app(scope, receive, watching_send)
