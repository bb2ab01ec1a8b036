"""`Idempotency-Key` for POSTs that move money: a replay gets the first answer back.

   @router.post("/deposits", status_code=201, dependencies=[require(Permission.CASH_TRANSACT)])
    def deposit(body: DepositIn, idem: IdempotencyDep, session: DbSession, ...):
        post_entry(session, EntryRequest(idempotency_key=idem.ledger_key(), ...))

The dependency claims the key for the signed-in user before the handler runs; the answer
(status and JSON body) is stored in the same transaction as the operation. The same key
with the same method, path and body replays that answer with `Idempotent-Replayed: true`;
with anything else it is a 409. Keys are scoped to the user.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Header, Request

from api.problems import InvalidField, RequestInvalid
from api.security import CurrentActor
from api.transactions import IdempotentReplay, get_unit_of_work
from creditunion.idempotency import store
from ledger.entry import KEY_LENGTH_MAX as LEDGER_KEY_LENGTH_MAX

HEADER: Final = "Idempotency-Key"
KEY_LENGTH_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class IdempotencyContext:
    key: str
    user_id: int

    def ledger_key(self, suffix: str = "") -> str:
        """A ledger idempotency key for this operation (`suffix` tells several postings apart).

        `http:{user id}:{key}`; a hash of the key when that would be too long for the ledger.
        """
        tail = f":{suffix}" if suffix else ""
        plain = f"http:{self.user_id}:{self.key}{tail}"
        if len(plain) <= LEDGER_KEY_LENGTH_MAX:
            return plain
        digest = hashlib.sha256(self.key.encode()).hexdigest()
        return f"http:{self.user_id}:sha256:{digest}{tail}"[:LEDGER_KEY_LENGTH_MAX]


def valid_key(key: str) -> bool:
    return (
        0 < len(key) <= KEY_LENGTH_MAX
        and key.isascii()
        and key.isprintable()
        and key.strip() == key
    )


async def request_body_hash(request: Request) -> bytes:
    """SHA-256 of the body; JSON is hashed in a canonical form so key order does not matter."""
    raw = await request.body()
    try:
        canonical = json.dumps(
            json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = raw
    return hashlib.sha256(canonical).digest()


def idempotency(
    request: Request,
    actor: CurrentActor,
    body_hash: Annotated[bytes, Depends(request_body_hash)],
    key: Annotated[
        str,
        Header(
            alias=HEADER,
            description="A unique key per operation (1-200 printable ASCII characters), "
            "reused only to retry the same request.",
            examples=["3f1c9a52-6b8e-4c1e-9f0a-2d7c5e4b1a90"],
        ),
    ],
) -> IdempotencyContext:
    if not valid_key(key):
        raise RequestInvalid(
            InvalidField("header", HEADER, "must be 1 to 200 printable ASCII characters")
        )
    assert actor.user_id is not None, "requests come from users"
    unit = get_unit_of_work(request)
    outcome = store.claim(
        unit.session,
        actor_user_id=actor.user_id,
        key=key,
        method=request.method,
        path=request.url.path,
        request_hash=body_hash,
    )
    if isinstance(outcome, store.StoredResponse):
        raise IdempotentReplay(outcome)
    unit.idempotency_claim = outcome
    return IdempotencyContext(key=key, user_id=actor.user_id)


IdempotencyDep = Annotated[IdempotencyContext, Depends(idempotency)]
