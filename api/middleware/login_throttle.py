"""Throttling refused sign-ins (`POST /v1/auth/token`) and wrong current passwords
(`POST /v1/auth/password`), by client address and by username.

The lockout (creditunion.auth.login) stops guessing one login's password in the database;
this answers 429 with `Retry-After` before any password is hashed, two ways:

- by username (`CREDITUNION_LOGIN_THROTTLE_USERNAME_FAILURES` refusals within
  `CREDITUNION_LOGIN_THROTTLE_WINDOW_S`, from any address): guessing one login from many
  addresses is slowed, and only that username is;
- by address (`CREDITUNION_LOGIN_THROTTLE_FAILURES` in the same window): one address
  trying many logins (credential stuffing) is slowed.

Only refusals count, never successful sign-ins, and the per-address ceiling is high (100 a
minute by default), so colleagues behind one office address are not held up by each
other's typing mistakes; a colleague's mistakes on their own login only throttle that
username. 0 turns either off.

Counts live in the worker process (each of N workers counts on its own: the effective
ceiling is N times the setting) and are bounded in size. The address is the one the server
reports: the TCP peer, unless `CREDITUNION_TRUSTED_PROXIES` names the reverse proxies whose
`X-Forwarded-For` uvicorn may believe (launch.cli.serve); by default none is believed,
so a client cannot pick a new address per attempt with a header.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import PROBLEM_TYPE_PREFIX, problem_response
from creditunion.auth.models import USERNAME_LENGTH_MAX

PATH: Final = "/v1/auth/token"
SLUG: Final = "too-many-sign-ins"
TITLE: Final = "Too many failed sign-ins"
KEYS_MAX: Final = 10_000
STATE_KEY: Final = "sign_in_throttle"


class FailureWindow:
    """Refusal times per key in a sliding window, for at most KEYS_MAX keys."""

    def __init__(
        self, *, failures: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.window_s = window_s
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float]:
        times = self._seen.get(key)
        if times is None:
            return deque()
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._seen[key]
        return times

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None if it may now."""
        times = self._recent(key)
        if len(times) < self.failures:
            return None
        return max(1, math.ceil(times[0] + self.window_s - self.clock()))

    def refused(self, key: str) -> None:
        times = self._seen.pop(key, None) or deque(maxlen=self.failures)
        times.append(self.clock())
        self._seen[key] = times  # most recently refused last
        while len(self._seen) > KEYS_MAX:
            self._seen.popitem(last=False)


def username_key(username: str) -> str:
    """Usernames are case-insensitive; none is longer than USERNAME_LENGTH_MAX, so a longer
    one is kept to one character past it (still unknown, and the key stays small)."""
    return username[: USERNAME_LENGTH_MAX + 1].lower()


class SignInThrottle:
    def __init__(
        self,
        *,
        address_failures: int,
        username_failures: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = tuple(
            FailureWindow(failures=failures, window_s=window_s, clock=clock) if failures else None
            for failures in (address_failures, username_failures)
        )
        # The routers are synchronous, so FastAPI calls them from a pool of threads.
        self._lock = threading.Lock()

    def retry_after(self, *, address: str, username: str) -> int | None:
        """Seconds until this address may try this username again, or None if it may now."""
        keys = (address, username_key(username))
        with self._lock:
            waits = [
                window.retry_after(key)
                for window, key in zip(self._windows, keys, strict=True)
                if window is not None
            ]
        return max((wait for wait in waits if wait is not None), default=None)

    def refused(self, *, address: str, username: str) -> None:
        keys = (address, username_key(username))
        with self._lock:
            for window, key in zip(self._windows, keys, strict=True):
                if window is not None:
                    window.refused(key)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def throttle_of(request: Request) -> SignInThrottle | None:
    throttle = request.scope.get("state", {}).get(STATE_KEY)
    return throttle if isinstance(throttle, SignInThrottle) else None


def too_many(request: Request, wait_s: int, headers: dict[str, str]) -> JSONResponse:
    return problem_response(
        request,
        status=429,
        title=TITLE,
        type=PROBLEM_TYPE_PREFIX + SLUG,
        detail="too many refused attempts; try again later",
        headers={"Retry-After": str(wait_s), **headers},
    )


class LoginThrottleMiddleware:
    """Holds the app's one throttle and hands it to each request (`throttle_of`)."""

    def __init__(
        self, app: ASGIApp, *, failures: int, window_s: float, username_failures: int = 0
    ) -> None:
        self.app = app
        self.throttle = (
            SignInThrottle(
                address_failures=failures, username_failures=username_failures, window_s=window_s
            )
            if failures or username_failures
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.throttle is not None and scope["type"] == "http":
            scope.setdefault("state", {})[STATE_KEY] = self.throttle
        await self.app(scope, receive, send)
