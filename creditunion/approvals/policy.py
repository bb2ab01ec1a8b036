"""Who may decide a request (pure). Routers check permissions too; the service checks again,
so no route can forget to.

It reads the one role table (`creditunion.auth.roles`): deciding a withdrawal or a
reversal takes the `approvals:decide` permission, a loan write-off `loans:write_off`; only
managers hold either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from creditunion.approvals.models import ApprovalKind
from creditunion.auth.roles import Permission, Role, has_permission, roles_with

DECIDE_PERMISSION: Final[Mapping[ApprovalKind, Permission]] = {
    ApprovalKind.CASH_WITHDRAWAL: Permission.APPROVALS_DECIDE,
    ApprovalKind.REVERSAL: Permission.APPROVALS_DECIDE,
    # The checker of a write-off must be someone who may write a loan off (a manager).
    ApprovalKind.LOAN_WRITE_OFF: Permission.LOANS_WRITE_OFF,
    ApprovalKind.PAYMENT: Permission.APPROVALS_DECIDE,
}


def may_decide(kind: ApprovalKind, role: str) -> bool:
    try:
        known = Role(str(role))
    except ValueError:
        return False
    return has_permission(known, DECIDE_PERMISSION[kind])


def deciding_roles(kind: ApprovalKind) -> tuple[str, ...]:
    return tuple(role.value for role in roles_with(DECIDE_PERMISSION[kind]))
