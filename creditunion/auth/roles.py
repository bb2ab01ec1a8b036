"""Roles and what each may do: the one table every permission check reads.

Permissions come from the role alone; nobody is granted anything on top of their role,
so the matrix in the docs is the whole truth. An endpoint declares the one permission it
needs (see `api.security.require`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final


class Role(enum.StrEnum):
    MEMBER = "member"
    TELLER = "teller"
    LOAN_OFFICER = "loan_officer"
    MANAGER = "manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


STAFF_ROLES: Final = frozenset(Role) - {Role.MEMBER}


class Permission(enum.StrEnum):
    # Any signed-in user, about their own login.
    SESSION = "session"
    # Users and logins (administration, not money).
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    CONFIG_MANAGE = "config:manage"
    AUDIT_READ = "audit:read"
    # Members and their share accounts, as staff see them.
    MEMBERS_READ = "members:read"
    MEMBERS_READ_NI = "members:read_ni"
    MEMBERS_WRITE = "members:write"
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_MANAGE = "accounts:manage"
    # Money moved by staff.
    CASH_TRANSACT = "cash:transact"
    TRANSFERS_CREATE = "transfers:create"
    REVERSALS_REQUEST = "reversals:request"
    APPROVALS_DECIDE = "approvals:decide"
    # A member's own records and money (object-level checks stay with each endpoint).
    SELF_READ = "self:read"
    SELF_TRANSFER = "self:transfer"
    # Loans.
    LOANS_READ = "loans:read"
    LOANS_MANAGE = "loans:manage"
    LOANS_APPLY_SELF = "loans:apply_self"
    # A manager's: loan products (what may be lent, at what price) and write-offs.
    LOAN_PRODUCTS_MANAGE = "loan_products:manage"
    LOANS_WRITE_OFF = "loans:write_off"
    # The books.
    LEDGER_READ = "ledger:read"
    COB_READ = "cob:read"
    COB_RUN = "cob:run"
    # Bulk exports (the ledger's reports, the audit trail): data leaving the system whole.
    EXPORTS_READ = "exports:read"
    # Payments to and from members' external bank accounts. Staff make and cancel payouts
    # and nominate the account they go to; a manager produces the bank's files, imports its
    # reports and works the suspense queue and the statement's breaks. Reading the files
    # (every payee's full account details) is a permission of its own.
    PAYMENTS_READ = "payments:read"
    PAYMENTS_CREATE = "payments:create"
    PAYMENTS_MANAGE = "payments:manage"
    PAYMENT_FILES_READ = "payment_files:read"
    # A member paying out to their own nominated account: money leaving the credit union,
    # apart from moving it between members (`self:transfer`).
    SELF_PAYMENTS = "self:payments"
    # Loan instalments collected from members' own banks by direct debit. Staff set up a
    # member's mandate at the branch and see mandates, collections, notices and the
    # dashboard; a manager suspends, resumes and cancels mandates and applies the advices
    # of members' banks that end them.
    COLLECTIONS_READ = "collections:read"
    COLLECTIONS_CREATE = "collections:create"
    COLLECTIONS_MANAGE = "collections:manage"
    # A member setting up or cancelling the direct debit of their own loan in the app.
    SELF_COLLECTIONS = "self:collections"


# Permissions that move money or change what is owed: an admin must never hold one.
MONEY_PERMISSIONS: Final = frozenset(
    {
        Permission.CASH_TRANSACT,
        Permission.TRANSFERS_CREATE,
        Permission.REVERSALS_REQUEST,
        Permission.APPROVALS_DECIDE,
        Permission.SELF_TRANSFER,
        Permission.LOANS_MANAGE,
        Permission.LOAN_PRODUCTS_MANAGE,
        Permission.LOANS_WRITE_OFF,
        Permission.ACCOUNTS_MANAGE,
        Permission.COB_RUN,
        Permission.PAYMENTS_CREATE,
        Permission.PAYMENTS_MANAGE,
        Permission.SELF_PAYMENTS,
        Permission.COLLECTIONS_CREATE,
        Permission.COLLECTIONS_MANAGE,
        Permission.SELF_COLLECTIONS,
    }
)
# What an auditor may do is read: these write nothing.
READ_PERMISSIONS: Final = frozenset(
    {
        Permission.SESSION,
        Permission.USERS_READ,
        Permission.AUDIT_READ,
        Permission.MEMBERS_READ,
        Permission.MEMBERS_READ_NI,
        Permission.ACCOUNTS_READ,
        Permission.SELF_READ,
        Permission.LOANS_READ,
        Permission.LEDGER_READ,
        Permission.COB_READ,
        Permission.EXPORTS_READ,
        Permission.PAYMENTS_READ,
        Permission.PAYMENT_FILES_READ,
        Permission.COLLECTIONS_READ,
    }
)

_P = Permission
ROLE_PERMISSIONS: Final[Mapping[Role, frozenset[Permission]]] = {
    Role.MEMBER: frozenset(
        {
            _P.SESSION,
            _P.SELF_READ,
            _P.SELF_TRANSFER,
            _P.SELF_PAYMENTS,
            _P.SELF_COLLECTIONS,
            _P.LOANS_APPLY_SELF,
        },
    ),
    Role.TELLER: frozenset(
        {
            _P.SESSION,
            _P.COB_READ,
            _P.MEMBERS_READ,
            _P.MEMBERS_WRITE,
            _P.ACCOUNTS_READ,
            _P.ACCOUNTS_MANAGE,
            _P.CASH_TRANSACT,
            _P.TRANSFERS_CREATE,
            _P.REVERSALS_REQUEST,
            _P.LOANS_READ,  # a repayment taken at the till needs the loan and what is due
            _P.PAYMENTS_READ,
            _P.PAYMENTS_CREATE,
            _P.COLLECTIONS_READ,
            _P.COLLECTIONS_CREATE,
        }
    ),
    Role.LOAN_OFFICER: frozenset(
        {
            _P.SESSION,
            _P.COB_READ,
            _P.MEMBERS_READ,
            _P.ACCOUNTS_READ,
            _P.LOANS_READ,
            _P.LOANS_MANAGE,
        }
    ),
    Role.MANAGER: frozenset(
        {
            _P.SESSION,
            _P.COB_READ,
            _P.USERS_READ,
            _P.AUDIT_READ,
            _P.MEMBERS_READ,
            _P.MEMBERS_READ_NI,
            _P.MEMBERS_WRITE,
            _P.ACCOUNTS_READ,
            _P.ACCOUNTS_MANAGE,
            _P.CASH_TRANSACT,
            _P.TRANSFERS_CREATE,
            _P.REVERSALS_REQUEST,
            _P.APPROVALS_DECIDE,
            _P.LOANS_READ,
            _P.LOANS_MANAGE,
            _P.LOAN_PRODUCTS_MANAGE,
            _P.LOANS_WRITE_OFF,
            _P.LEDGER_READ,
            _P.COB_RUN,
            _P.EXPORTS_READ,
            _P.PAYMENTS_READ,
            _P.PAYMENTS_CREATE,
            _P.PAYMENTS_MANAGE,
            _P.PAYMENT_FILES_READ,
            _P.COLLECTIONS_READ,
            _P.COLLECTIONS_CREATE,
            _P.COLLECTIONS_MANAGE,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            _P.SESSION,
            _P.COB_READ,
            _P.USERS_READ,
            _P.AUDIT_READ,
            _P.MEMBERS_READ,
            _P.ACCOUNTS_READ,
            _P.LOANS_READ,
            _P.LEDGER_READ,
            _P.EXPORTS_READ,
            _P.PAYMENTS_READ,
            _P.PAYMENT_FILES_READ,
            _P.COLLECTIONS_READ,
        }
    ),
    Role.ADMIN: frozenset(
        {_P.SESSION, _P.USERS_READ, _P.USERS_MANAGE, _P.CONFIG_MANAGE, _P.COB_READ},
    ),
}

# Checked at import: the separation of duties the architecture promises.
assert not ROLE_PERMISSIONS[Role.ADMIN] & MONEY_PERMISSIONS, "an admin never moves money"
assert ROLE_PERMISSIONS[Role.AUDITOR] <= READ_PERMISSIONS, "an auditor only reads"
assert set(ROLE_PERMISSIONS) == set(Role), "every role has its permissions listed"


def roles_with(permission: Permission) -> tuple[Role, ...]:
    """The roles holding `permission`, in the enum's order."""
    return tuple(role for role in Role if permission in ROLE_PERMISSIONS[role])


def has_permission(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
