"""Signed JSON Web Tokens for access and refresh (HS256, one secret from the settings).

Decoding is strict: HS256 only (never `none`, never a public-key algorithm confused for
an HMAC secret), our issuer, every claim present, and the token type the caller expects,
so a refresh token is never accepted as an access token or the other way round.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Final

import jwt

from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings

ALGORITHM: Final = "HS256"
ISSUER: Final = "creditunion"
REQUIRED_CLAIMS: Final = ("iss", "sub", "iat", "exp", "jti", "typ", "role", "pwv")
TOKEN_LENGTH_MAX: Final = 4_096

log = logging.getLogger(__name__)


class TokenType(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class InvalidToken(Exception):
    """The token is not one we issued, has expired, or is of the wrong type."""


class MissingSecret(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    role: Role
    member_id: int | None
    token_type: TokenType
    token_id: uuid.UUID
    issued_at: dt.datetime
    expires_at: dt.datetime
    # Which password the token was issued under: changing the password ends the token.
    password_version: int
    # The sign-in the token belongs to: its refresh-token family. An access token names it
    # (`sid`) so that signing out, or a reused refresh token, ends the access token too.
    family_id: uuid.UUID | None = None


_generated_secret: str | None = None


def resolve_secret(settings: Settings) -> str:
    """The signing secret; outside production a random one when none is configured."""
    global _generated_secret
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if settings.environment == "production":
        raise MissingSecret("CREDITUNION_JWT_SECRET must be set (32+ bytes) in production")
    if _generated_secret is None:
        _generated_secret = secrets.token_urlsafe(48)
        log.warning(
            "!!! CREDITUNION_JWT_SECRET is not set: using a random secret for this process. "
            "Tokens stop working when it exits and are not shared between processes. "
            "Never run like this in production. !!!"
        )
    return _generated_secret


def password_version(changed_at: dt.datetime) -> int:
    """A number that changes whenever the password does (microseconds since the epoch)."""
    return int(changed_at.timestamp() * 1_000_000)


class TokenCodec:
    def __init__(self, secret: str) -> None:
        if len(secret.encode()) < 32:
            raise MissingSecret("the JWT secret must be at least 32 bytes")
        self._secret = secret

    def encode(self, claims: TokenClaims) -> str:
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "sub": str(claims.user_id),
            "role": claims.role.value,
            "member_id": claims.member_id,
            "iat": int(claims.issued_at.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
            "jti": str(claims.token_id),
            "typ": claims.token_type.value,
            "pwv": claims.password_version,
        }
        if claims.family_id is not None:
            key = "sid" if claims.token_type is TokenType.ACCESS else "fam"
            payload[key] = str(claims.family_id)
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str, *, expected: TokenType) -> TokenClaims:
        if len(token) > TOKEN_LENGTH_MAX:
            raise InvalidToken("token too long")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM:
                raise InvalidToken("unexpected signing algorithm")
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return _claims(payload, expected)


def _claims(payload: dict[str, Any], expected: TokenType) -> TokenClaims:
    try:
        token_type = TokenType(payload["typ"])
        if token_type is not expected:
            raise InvalidToken(f"a {token_type.value} token where an {expected.value} was needed")
        member_id = payload.get("member_id")
        if member_id is not None and (
            isinstance(member_id, bool) or not isinstance(member_id, int)
        ):
            raise InvalidToken("member_id is not an integer")
        pwv = payload["pwv"]
        if isinstance(pwv, bool) or not isinstance(pwv, int):
            raise InvalidToken("pwv is not an integer")
        family = payload.get("sid" if token_type is TokenType.ACCESS else "fam")
        if not isinstance(family, str):
            raise InvalidToken(f"an {token_type.value} token needs its sign-in")
        return TokenClaims(
            user_id=int(payload["sub"]),
            role=Role(payload["role"]),
            member_id=member_id,
            token_type=token_type,
            token_id=uuid.UUID(str(payload["jti"])),
            issued_at=dt.datetime.fromtimestamp(int(payload["iat"]), dt.UTC),
            expires_at=dt.datetime.fromtimestamp(int(payload["exp"]), dt.UTC),
            password_version=pwv,
            family_id=uuid.UUID(family) if isinstance(family, str) else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken(f"malformed claims: {exc}") from exc
