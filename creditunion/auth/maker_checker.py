"""Maker-checker: a second, different staff user with the right role confirms an action.

Nothing here is about money; the services that need a checker (large withdrawals,
reversals) call `require_checker` before carrying out what the maker asked.
"""

from __future__ import annotations

from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.errors import PermissionDenied


class SelfApprovalRefused(PermissionDenied):
    def __init__(self) -> None:
        super().__init__("the user who made a request cannot approve it")


class CheckerNotAllowed(PermissionDenied):
    def __init__(self, permission: Permission) -> None:
        super().__init__(f"approving needs a staff user with the {permission.value} permission")
        self.permission = permission


def require_checker(*, maker_user_id: int | None, checker: Actor, permission: Permission) -> None:
    """Raise unless `checker` is a staff user other than the maker holding `permission`."""
    if not checker.is_staff or checker.user_id is None or not checker.can(permission):
        raise CheckerNotAllowed(permission)
    if maker_user_id is not None and checker.user_id == maker_user_id:
        raise SelfApprovalRefused()
