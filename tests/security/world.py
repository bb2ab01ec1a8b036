"""Two members, A (the attacker, signed in) and B (the victim), with money and history.

`snapshot` is what must not change when A probes: B's balances, B's member row and login,
every journal entry, approval and user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from api.app import create_app
from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings
from creditunion.shares.views import ShareAccountView
from tests.api.banking.bank import Bank
from tests.api.conftest import LoggedIn

OPENAPI = create_app(Settings(environment="test", jwt_secret="x" * 32)).openapi()
METHODS = ("get", "put", "post", "delete", "patch")


@dataclass
class Pair:
    a: LoggedIn
    a_accounts: list[ShareAccountView]
    b: LoggedIn
    b_member_id: int
    b_membership_number: str
    b_accounts: list[ShareAccountView]
    b_entry_id: str
    b_approval_id: int
    staff: dict[Role, LoggedIn]


def make_pair(bank: Bank) -> Pair:
    a_member, b_member = bank.member(), bank.member()
    a_accounts = [bank.account(member_id=a_member.id, balance="200.00") for _ in range(2)]
    b_accounts = [
        bank.account(member_id=b_member.id, balance="5000.00"),
        bank.account(member_id=b_member.id, balance="300.00"),
    ]
    b_entry = bank.deposit(b_accounts[1].id, "10.00").entry_id
    teller = bank.staff(Role.TELLER)
    approval = bank.pending_withdrawal(b_accounts[0].id, "1200.00", maker=f"user:{teller.user.id}")
    return Pair(
        a=bank.member_login(a_member.id),
        a_accounts=a_accounts,
        b=bank.member_login(b_member.id),
        b_member_id=b_member.id,
        b_membership_number=b_member.membership_number,
        b_accounts=b_accounts,
        b_entry_id=str(b_entry),
        b_approval_id=approval.id,
        staff={Role.TELLER: teller, Role.MANAGER: bank.staff(Role.MANAGER)},
    )


def snapshot(bank: Bank) -> dict[str, Any]:
    """Everything an attacker might try to change, read straight from the database."""
    queries = {
        "balances": "SELECT id, balance_minor, floor_minor, status FROM ledger_accounts ORDER BY id",
        "journal": "SELECT count(*), max(sequence_no) FROM journal_entries",
        "members": "SELECT id, status, given_name, family_name, ni_number, date_of_birth "
        "FROM members ORDER BY id",
        "users": "SELECT id, username, role, member_id, active, password_hash FROM users ORDER BY id",
        "share_accounts": "SELECT id, member_id, status, repayment_mandate FROM share_accounts "
        "ORDER BY id",
        "approvals": "SELECT id, status FROM pending_approvals ORDER BY id",
    }
    with bank.session() as session:
        return {
            name: [tuple(row) for row in session.execute(text(sql)).all()]
            for name, sql in queries.items()
        }


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the API."""
    found = []
    for path, item in OPENAPI["paths"].items():
        for method in METHODS:
            if method in item:
                found.append((method.upper(), path, item[method]))
    return found


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def body_schema(operation: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(content type, resolved schema) of the operation's request body, if it has one."""
    body = operation.get("requestBody")
    if not body:
        return None
    content_type, media = next(iter(body["content"].items()))
    return content_type, resolve(media["schema"])


def inputs(operation: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(location, name, schema) of every parameter and top-level body field."""
    found = [
        (p["in"], p["name"], resolve(p.get("schema", {}))) for p in operation.get("parameters", [])
    ]
    body = body_schema(operation)
    if body is not None:
        for name, schema in body[1].get("properties", {}).items():
            found.append(("body", name, resolve(schema)))
    return found


def may_call(operation: dict[str, Any], role: Role) -> bool:
    return bool(operation["x-permission"] == "public" or role.value in operation["x-roles"])
