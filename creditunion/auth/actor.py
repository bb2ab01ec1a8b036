"""Who is doing something: handed from the edge to every service that records or checks it."""

from __future__ import annotations

from dataclasses import dataclass

from creditunion.auth.roles import STAFF_ROLES, Permission, Role, has_permission


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user, or (with no user id and no role) the system itself.

    `member_id` is set for a member's login and is the only member whose records that
    actor may see or move.
    """

    user_id: int | None
    username: str
    role: Role | None
    member_id: int | None = None

    @classmethod
    def system(cls, process: str) -> Actor:
        """The application acting on its own (close of business, a migration script)."""
        return cls(user_id=None, username=f"system:{process}", role=None)

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_member(self) -> bool:
        return self.role is Role.MEMBER

    def can(self, permission: Permission) -> bool:
        return self.role is not None and has_permission(self.role, permission)

    @property
    def label(self) -> str:
        """What a journal entry's `posted_by` holds: the username, at most 100 characters."""
        return self.username[:100]
