"""Password hashing (Argon2id through pwdlib) and the rules a new password must meet."""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Final

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from creditunion.errors import InvalidInput
from creditunion.platform.settings import Settings

PASSWORD_LENGTH_MAX: Final = 128  # hashing a megabyte on every login attempt is a DoS


class WeakPassword(InvalidInput):
    pass


class Passwords:
    """Hash and verify with the configured cost; verify a dummy for unknown users."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )
        # Checked against when the username is unknown, so that answer takes as long as
        # a wrong password for a real user and does not reveal which usernames exist.
        self._dummy = self._hash.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Whether it matches, and a new hash when the stored one used weaker settings."""
        if len(password) > PASSWORD_LENGTH_MAX:
            self._hash.verify("", self._dummy)
            return False, None
        return self._hash.verify_and_update(password, password_hash)

    def burn_time(self, password: str) -> None:
        """Spend what a verification costs, for an answer that must not be faster."""
        self._hash.verify(password[:PASSWORD_LENGTH_MAX], self._dummy)


@lru_cache(maxsize=8)
def _passwords(time_cost: int, memory_kib: int, parallelism: int) -> Passwords:
    return Passwords(time_cost=time_cost, memory_kib=memory_kib, parallelism=parallelism)


def passwords_for(settings: Settings) -> Passwords:
    return _passwords(
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    )


def check_password_rules(password: str, *, username: str, settings: Settings) -> None:
    """Length is what matters (NIST SP 800-63B): no composition rules, no forced symbols."""
    minimum = settings.password_min_length
    if len(password) < minimum:
        raise WeakPassword(f"a password needs at least {minimum} characters")
    if len(password) > PASSWORD_LENGTH_MAX:
        raise WeakPassword(f"a password has at most {PASSWORD_LENGTH_MAX} characters")
    if not password.isprintable():
        raise WeakPassword("a password must be printable text")
    if username.lower() in password.lower():
        raise WeakPassword("a password must not contain the username")
