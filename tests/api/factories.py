"""factory-boy factories for logins, written straight to the shared test database.

A member's login belongs to a real member, registered through the member service.
"""

from __future__ import annotations

import uuid
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creditunion.auth.models import User
from creditunion.auth.passwords import Passwords
from creditunion.auth.roles import Role
from tests.factories import MemberFactory

PASSWORD = "correct horse battery staple"
# Cheap hashing for tests only; production settings refuse anything this weak.
TEST_PASSWORDS = Passwords(time_cost=1, memory_kib=8, parallelism=1)


class _SessionSource:
    engine: Engine | None = None

    @classmethod
    def session(cls) -> Session:
        assert cls.engine is not None, "tests/api/conftest.py binds the factories to the engine"
        return Session(cls.engine, expire_on_commit=False)


def bind_factories(engine: Engine) -> None:
    _SessionSource.engine = engine


def registered_member_id() -> int:
    """A newly registered (pending) member's id, for a member's login."""
    with _SessionSource.session() as session, session.begin():
        return int(MemberFactory.create(session=session).id)


class UserFactory(SQLAlchemyModelFactory):  # type: ignore[misc]
    class Meta:
        model = User
        sqlalchemy_session_factory = _SessionSource.session
        sqlalchemy_session_persistence = "commit"

    class Params:
        password = PASSWORD

    username = factory.LazyFunction(lambda: f"u{uuid.uuid4().hex[:12]}")
    role = Role.TELLER
    password_hash = factory.LazyAttribute(lambda o: TEST_PASSWORDS.hash(o.password))
    member_id = factory.LazyAttribute(
        lambda o: registered_member_id() if o.role is Role.MEMBER else None
    )


def make_user(role: Role = Role.TELLER, **kwargs: Any) -> User:
    user = UserFactory(role=role, **kwargs)
    assert isinstance(user, User)
    return user
