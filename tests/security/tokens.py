"""Forging access tokens: the claims of a real one, changed, and signed as the test says."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def forged(token: str, key: str, *, algorithm: str = "HS256", **changes: Any) -> str:
    """`token`'s claims with `changes`, signed with `key`."""
    return jwt.encode({**claims_of(token), **changes}, key, algorithm=algorithm)


def unsigned(token: str, **changes: Any) -> str:
    """`alg: none`: the claims with no signature at all."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return part({"alg": "none", "typ": "JWT"}) + "." + part({**claims_of(token), **changes}) + "."
