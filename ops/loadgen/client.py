"""A signed-in load client, and the book of every money-moving operation it attempted.

Each operation that moves money gets one `Idempotency-Key` and one `reference` (its op id)
for its whole life: a retry after a 503, a dropped connection or a server killed mid-request
sends exactly the same request again, as a mobile client would. The book then says what
the client saw: confirmed (2xx, with the journal entry id), refused (a definitive 4xx) or
unconfirmed (never got an answer it could trust).
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from ops.loadgen.recorder import TRANSPORT_ERROR, Recorder

RETRY_AFTER_CAP_S: Final = 5.0
BACKOFF_S_BASE: Final = 0.05


@dataclass
class MoneyOp:
    op_id: str
    user_id: int
    key: str
    endpoint: str
    path: str
    body: dict[str, Any]
    attempts: int = 0
    outcome: str = "unconfirmed"  # confirmed | refused | unconfirmed
    last_status: int | None = None
    entry_id: str | None = None
    replayed: bool = False

    @property
    def ledger_key(self) -> str:
        """The ledger's idempotency key for it (api.idempotency.IdempotencyContext)."""
        return f"http:{self.user_id}:{self.key}"


@dataclass
class OpBook:
    ops: dict[str, MoneyOp] = field(default_factory=dict)

    def new(self, *, user_id: int, endpoint: str, path: str, body: dict[str, Any]) -> MoneyOp:
        op_id = "L" + uuid.uuid4().hex[:16]
        op = MoneyOp(
            op_id=op_id,
            user_id=user_id,
            key=str(uuid.uuid4()),
            endpoint=endpoint,
            path=path,
            body={**body, "reference": op_id},
        )
        self.ops[op_id] = op
        return op

    def counts(self) -> dict[str, int]:
        outcomes = Counter(op.outcome for op in self.ops.values())
        return {
            "attempted": len(self.ops),
            "confirmed": outcomes["confirmed"],
            "refused": outcomes["refused"],
            "unconfirmed": outcomes["unconfirmed"],
            "retried": sum(1 for op in self.ops.values() if op.attempts > 1),
            "replayed_answers": sum(1 for op in self.ops.values() if op.replayed),
        }

    def unconfirmed(self) -> list[MoneyOp]:
        return [op for op in self.ops.values() if op.outcome == "unconfirmed"]


def token_subject(access_token: str) -> int:
    """The user id (`sub`) in a JWT we were issued; read, not verified (the server does)."""
    payload = access_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(claims["sub"])


def _entry_id(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    if "entry_id" in body:
        return str(body["entry_id"])
    movement = body.get("movement")
    return str(movement["entry_id"]) if isinstance(movement, dict) else None


@dataclass
class Client:
    """One signed-in user over a shared `httpx.AsyncClient`; every request is recorded."""

    http: httpx.AsyncClient
    recorder: Recorder
    username: str
    password: str
    token: str | None = None
    user_id: int = 0

    async def login(self, *, attempts: int = 20) -> None:
        for attempt in range(attempts):
            response = await self.request(
                "POST /v1/auth/token",
                "POST",
                "/v1/auth/token",
                data={"username": self.username, "password": self.password},
                authenticated=False,
            )
            if response is not None and response.status_code == 200:
                self.token = response.json()["access_token"]
                self.user_id = token_subject(self.token)
                return
            await asyncio.sleep(min(2.0, BACKOFF_S_BASE * 2**attempt))
        raise RuntimeError(f"{self.username} could not sign in")

    async def request(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response | None:
        """The response, or None after a transport error (both recorded)."""
        sent = dict(headers or {})
        if authenticated and self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        began = self.recorder.now()
        clock = time.perf_counter()
        try:
            response = await self.http.request(
                method, path, json=json_body, data=data, headers=sent
            )
        except httpx.HTTPError:
            self.recorder.record(endpoint, TRANSPORT_ERROR, began, time.perf_counter() - clock)
            return None
        self.recorder.record(endpoint, response.status_code, began, time.perf_counter() - clock)
        return response

    async def get(self, endpoint: str, path: str) -> httpx.Response | None:
        response = await self.request(endpoint, "GET", path)
        if response is not None and response.status_code == 401:
            await self.login()
            response = await self.request(endpoint, "GET", path)
        return response

    async def move_money(self, op: MoneyOp, *, give_up_at: float) -> None:
        """Send `op` until it is confirmed or refused, or `give_up_at` (monotonic) passes.

        5xx and transport errors are retried with the same key (after `Retry-After`,
        capped, or a jittered backoff); a 401 signs in again first.
        """
        while op.outcome == "unconfirmed" and time.monotonic() < give_up_at:
            op.attempts += 1
            response = await self.request(
                op.endpoint,
                "POST",
                op.path,
                json_body=op.body,
                headers={"Idempotency-Key": op.key},
            )
            if response is not None:
                op.last_status = response.status_code
                if response.status_code < 300:
                    op.outcome = "confirmed"
                    op.entry_id = _entry_id(response.json())
                    op.replayed = response.headers.get("Idempotent-Replayed") == "true"
                    return
                if response.status_code == 401:
                    await self.login()
                    continue
                if 400 <= response.status_code < 500:
                    op.outcome = "refused"
                    return
            await asyncio.sleep(_pause(response, op.attempts))


def _pause(response: httpx.Response | None, attempt: int) -> float:
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after is not None and retry_after.isdigit():
        return min(RETRY_AFTER_CAP_S, float(retry_after)) * random.uniform(0.5, 1.0)
    return random.uniform(0, min(2.0, BACKOFF_S_BASE * 2 ** min(attempt, 6)))
