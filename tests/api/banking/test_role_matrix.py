"""The role matrix: every endpoint of the API, called by every role and anonymously.

The operations come from the application's own route table (its OpenAPI document) and the
expected outcome from each endpoint's declared permission: roles holding it get the
endpoint's success status, the others 403, an anonymous caller 401 (public endpoints
answer everyone alike). Each operation needs a case below that builds a well-formed
request with real objects, so only the role decides the outcome; an endpoint added
without a case fails `test_every_operation_has_a_case`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.permissions_matrix import operations
from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings
from creditunion.shares.views import ShareAccountView
from tests.api.banking.bank import Bank, gbp, new_key
from tests.api.conftest import LoggedIn, login
from tests.api.factories import PASSWORD, make_user
from tests.api.loans.matrix_cases import LOAN_CASES, LoanBuilder
from tests.api.payments.matrix_cases import PAYMENT_CASES, PaymentBuilder
from tests.factories import ni_number

OPERATIONS = operations(create_app(Settings(environment="test", jwt_secret="x" * 32)).openapi())


@dataclass(frozen=True)
class Call:
    """A request and the status it gets when the role may make it."""

    method: str
    url: str
    ok: int
    json: Any = None
    data: dict[str, str] | None = None
    moves_money: bool = False
    content: bytes | None = None  # an XML document, sent as application/xml


@dataclass
class World:
    bank: Bank
    logins: dict[Role, LoggedIn]
    _member_accounts: list[ShareAccountView] = field(default_factory=list)

    @property
    def member(self) -> LoggedIn:
        return self.logins[Role.MEMBER]

    def member_accounts(self) -> list[ShareAccountView]:
        """Two accounts of the member login's own, one funded (activating the member)."""
        if not self._member_accounts:
            member_id = self.member.user.member_id
            assert member_id is not None
            self._member_accounts = [
                self.bank.account(member_id=member_id, balance="500.00"),
                self.bank.account(member_id=member_id),
            ]
        return self._member_accounts

    def funded(self, balance: str = "300.00") -> ShareAccountView:
        return self.bank.account(balance=balance)

    def maker(self) -> str:
        return f"user:{make_user(Role.TELLER).id}"


Builder = Callable[[World], Call]


def _member_body() -> dict[str, Any]:
    return {
        "given_name": "Matrix",
        "family_name": "Case",
        "date_of_birth": "1990-05-06",
        "address_line1": "3 Canal Street",
        "town": "Manchester",
        "postcode": "M1 3HE",
        "common_bond": "works_in_area",
        "bond_detail": "Manchester city centre",
        "ni_number": ni_number(uuid.uuid4().int),
    }


def _new_user_body() -> dict[str, Any]:
    return {"username": f"n{uuid.uuid4().hex[:10]}", "password": PASSWORD, "role": "auditor"}


def _approval(w: World) -> int:
    account = w.funded("3000.00")
    return w.bank.pending_withdrawal(account.id, "1500.00", maker=w.maker()).id


def _dividend(w: World) -> Call:
    product = w.bank.product()
    today = w.bank.today
    body = {
        "product_code": product.code,
        "period_start": today.replace(year=today.year - 1).isoformat(),
        "period_end": today.fromordinal(today.toordinal() - 1).isoformat(),
        "pay_on": today.isoformat(),
        "annual_rate": "0.025",
    }
    return Call("POST", "/v1/dividends", 201, json=body)


def _refresh(w: World) -> Call:
    fresh = login(w.bank.client, make_user(Role.AUDITOR))
    return Call("POST", "/v1/auth/refresh", 200, json={"refresh_token": fresh.refresh_token})


def _token(_w: World) -> Call:
    user = make_user(Role.TELLER)
    return Call(
        "POST", "/v1/auth/token", 200, data={"username": user.username, "password": PASSWORD}
    )


def _transactions(w: World) -> Call:
    account = w.funded()
    return Call("GET", f"/v1/share-accounts/{account.id}/transactions", 200)


def _my_transfer(w: World) -> Call:
    source, target = w.member_accounts()
    body = {"from_account_id": source.id, "to_account_id": target.id, "amount": gbp("1.00")}
    return Call("POST", "/v1/me/transfers", 201, json=body, moves_money=True)


def _transfer(w: World) -> Call:
    source, target = w.funded(), w.funded()
    body = {
        "from_account_id": source.id,
        "to_account_number": target.account_number,
        "amount": gbp("5.00"),
    }
    return Call("POST", "/v1/transfers", 201, json=body, moves_money=True)


def _reversal(w: World) -> Call:
    entry = w.bank.deposit(w.funded().id, "10.00").entry_id
    body = {"entry_id": str(entry), "reason": "keyed twice"}
    return Call("POST", "/v1/reversals", 202, json=body, moves_money=True)


_PAST = "from=2001-01-01&to=2001-01-31"


def _loan_case(build: LoanBuilder) -> Builder:
    return lambda w: Call(**vars(build(w)))


def _payment_case(build: PaymentBuilder) -> Builder:
    return lambda w: Call(**vars(build(w)))


def _proposed_manager_id() -> int:
    """A manager's login another admin proposed: the role's admin is the second pair of eyes."""
    proposer = make_user(Role.ADMIN)
    return make_user(Role.MANAGER, approval_pending=True, created_by_user_id=proposer.id).id


CASES: dict[str, Builder] = {
    # The platform's endpoints.
    "GET /health/live": lambda w: Call("GET", "/health/live", 200),
    "GET /health/ready": lambda w: Call("GET", "/health/ready", 200),
    "GET /problems": lambda w: Call("GET", "/problems", 200),
    "GET /problems/{slug}": lambda w: Call("GET", "/problems/above-maximum-balance", 200),
    "GET /v1/audit-log": lambda w: Call("GET", "/v1/audit-log", 200),
    "POST /v1/auth/logout": lambda w: Call(
        "POST", "/v1/auth/logout", 204, json={"refresh_token": "not-a-token"}
    ),
    "GET /v1/auth/me": lambda w: Call("GET", "/v1/auth/me", 200),
    # A wrong current password: a 422 shows the role got through without ending its tokens.
    "POST /v1/auth/password": lambda w: Call(
        "POST",
        "/v1/auth/password",
        422,
        json={"current_password": "wrong", "new_password": "a long new password"},
    ),
    "POST /v1/auth/refresh": _refresh,
    "POST /v1/auth/token": _token,
    "GET /v1/users": lambda w: Call("GET", "/v1/users", 200),
    "POST /v1/users": lambda w: Call("POST", "/v1/users", 201, json=_new_user_body()),
    "GET /v1/users/{user_id}": lambda w: Call("GET", f"/v1/users/{make_user().id}", 200),
    "POST /v1/users/{user_id}/deactivate": lambda w: Call(
        "POST", f"/v1/users/{make_user().id}/deactivate", 200
    ),
    "POST /v1/users/{user_id}/password": lambda w: Call(
        "POST", f"/v1/users/{make_user().id}/password", 204, json={"new_password": PASSWORD + "!"}
    ),
    "POST /v1/users/{user_id}/unlock": lambda w: Call(
        "POST", f"/v1/users/{make_user().id}/unlock", 200
    ),
    "POST /v1/users/{user_id}/approve": lambda w: Call(
        "POST", f"/v1/users/{_proposed_manager_id()}/approve", 200
    ),
    "GET /v1/cob/status": lambda w: Call("GET", "/v1/cob/status", 200),
    "GET /v1/cob/runs": lambda w: Call("GET", "/v1/cob/runs", 200),
    # Members and share accounts.
    "GET /v1/business-date": lambda w: Call("GET", "/v1/business-date", 200),
    "GET /v1/share-products": lambda w: Call("GET", "/v1/share-products", 200),
    "GET /v1/share-products/{code}": lambda w: Call("GET", "/v1/share-products/INSTANT", 200),
    "POST /v1/members": lambda w: Call("POST", "/v1/members", 201, json=_member_body()),
    "GET /v1/members": lambda w: Call("GET", "/v1/members?limit=5", 200),
    "GET /v1/members/{member_id}": lambda w: Call("GET", f"/v1/members/{w.bank.member().id}", 200),
    "PATCH /v1/members/{member_id}": lambda w: Call(
        "PATCH", f"/v1/members/{w.bank.member().id}", 200, json={"town": "Salford"}
    ),
    "POST /v1/members/{member_id}/status": lambda w: Call(
        "POST", f"/v1/members/{w.bank.member().id}/status", 200, json={"status": "closed"}
    ),
    "POST /v1/members/{member_id}/login": lambda w: Call(
        "POST",
        f"/v1/members/{w.bank.member().id}/login",
        201,
        json={"username": f"m{uuid.uuid4().hex[:10]}", "password": PASSWORD},
    ),
    "GET /v1/members/{member_id}/accounts": lambda w: Call(
        "GET", f"/v1/members/{w.funded().member_id}/accounts", 200
    ),
    "POST /v1/share-accounts": lambda w: Call(
        "POST",
        "/v1/share-accounts",
        201,
        json={"member_id": w.bank.member().id, "product_code": "INSTANT"},
    ),
    "GET /v1/share-accounts/{account_id}": lambda w: Call(
        "GET", f"/v1/share-accounts/{w.funded().id}", 200
    ),
    "GET /v1/share-accounts/by-number/{account_number}": lambda w: Call(
        "GET", f"/v1/share-accounts/by-number/{w.funded().account_number}", 200
    ),
    "GET /v1/share-accounts/{account_id}/transactions": _transactions,
    "PUT /v1/share-accounts/{account_id}/repayment-mandate": lambda w: Call(
        "PUT", f"/v1/share-accounts/{w.funded().id}/repayment-mandate", 200, json={"given": True}
    ),
    "POST /v1/share-accounts/{account_id}/close": lambda w: Call(
        "POST", f"/v1/share-accounts/{w.bank.account().id}/close", 200
    ),
    "POST /v1/cash/deposits": lambda w: Call(
        "POST",
        "/v1/cash/deposits",
        201,
        json={"account_id": w.bank.account().id, "amount": gbp("25.00")},
        moves_money=True,
    ),
    "POST /v1/cash/withdrawals": lambda w: Call(
        "POST",
        "/v1/cash/withdrawals",
        201,
        json={"account_id": w.funded().id, "amount": gbp("20.00")},
        moves_money=True,
    ),
    "POST /v1/transfers": _transfer,
    "POST /v1/reversals": _reversal,
    "GET /v1/approvals": lambda w: Call("GET", "/v1/approvals", 200),
    "GET /v1/approvals/{approval_id}": lambda w: Call("GET", f"/v1/approvals/{_approval(w)}", 200),
    "POST /v1/approvals/{approval_id}/approve": lambda w: Call(
        "POST", f"/v1/approvals/{_approval(w)}/approve", 200, json={}, moves_money=True
    ),
    "POST /v1/approvals/{approval_id}/reject": lambda w: Call(
        "POST", f"/v1/approvals/{_approval(w)}/reject", 200, json={"note": "no ID shown"}
    ),
    "POST /v1/dividends": _dividend,
    "GET /v1/dividends": lambda w: Call("GET", "/v1/dividends", 200),
    # A member's own.
    "GET /v1/me": lambda w: Call("GET", "/v1/me", 200),
    "GET /v1/me/accounts": lambda w: Call("GET", "/v1/me/accounts", 200),
    "GET /v1/me/accounts/{account_id}": lambda w: Call(
        "GET", f"/v1/me/accounts/{w.member_accounts()[0].id}", 200
    ),
    "GET /v1/me/accounts/{account_id}/transactions": lambda w: Call(
        "GET", f"/v1/me/accounts/{w.member_accounts()[0].id}/transactions", 200
    ),
    "POST /v1/me/transfers": _my_transfer,
    # Loans (their cases are in tests/api/loans/matrix_cases.py).
    **{name: _loan_case(build) for name, build in LOAN_CASES.items()},
    # Payments (their cases are in tests/api/payments/matrix_cases.py).
    **{name: _payment_case(build) for name, build in PAYMENT_CASES.items()},
    # Auditors' exports and proof (a month before anything was posted: small answers).
    "GET /v1/exports/gl": lambda w: Call("GET", f"/v1/exports/gl?format=csv&{_PAST}", 200),
    "GET /v1/exports/trial-balance": lambda w: Call(
        "GET", "/v1/exports/trial-balance?format=jsonl&as_of=2001-01-31", 200
    ),
    "GET /v1/exports/reconciliation": lambda w: Call(
        "GET", "/v1/exports/reconciliation?format=csv&as_of=2001-01-31", 200
    ),
    "GET /v1/exports/chart-of-accounts": lambda w: Call(
        "GET", "/v1/exports/chart-of-accounts?format=csv&as_of=2001-01-31", 200
    ),
    "GET /v1/exports/member-balances": lambda w: Call(
        "GET", "/v1/exports/member-balances?format=jsonl&as_of=2001-01-31", 200
    ),
    "GET /v1/exports/loan-book": lambda w: Call(
        "GET", "/v1/exports/loan-book?format=csv&from=2001-01-01&as_of=2001-01-31", 200
    ),
    "GET /v1/exports/cut-off": lambda w: Call(
        "GET", f"/v1/exports/cut-off?format=csv&{_PAST}", 200
    ),
    "GET /v1/exports/interest-report": lambda w: Call(
        "GET", f"/v1/exports/interest-report?format=xlsx&{_PAST}", 200
    ),
    "GET /v1/exports/user-access": lambda w: Call(
        "GET", f"/v1/exports/user-access?format=csv&{_PAST}", 200
    ),
    "GET /v1/exports/settings-changes": lambda w: Call(
        "GET", f"/v1/exports/settings-changes?format=jsonl&{_PAST}", 200
    ),
    "GET /v1/exports/journal": lambda w: Call(
        "GET", f"/v1/exports/journal?format=xlsx&{_PAST}", 200
    ),
    "GET /v1/exports/statement": lambda w: Call(
        "GET", f"/v1/exports/statement?format=csv&account=1100&{_PAST}", 200
    ),
    "GET /v1/exports/audit-log": lambda w: Call(
        "GET", f"/v1/exports/audit-log?format=csv&{_PAST}", 200
    ),
    "GET /v1/audit/verify": lambda w: Call("GET", f"/v1/audit/verify?{_PAST}", 200),
    "GET /v1/audit/seals": lambda w: Call("GET", "/v1/audit/seals", 200),
}


@pytest.fixture(scope="module")
def world(bank: Bank) -> World:
    return World(bank=bank, logins={role: bank.staff(role) for role in Role})


def _send(client: TestClient, call: Call, who: LoggedIn | None) -> Any:
    headers = {} if who is None else dict(who.headers)
    if call.moves_money:
        headers["Idempotency-Key"] = new_key()
    if call.content is not None:
        headers["Content-Type"] = "application/xml"
    return client.request(
        call.method, call.url, json=call.json, data=call.data, content=call.content, headers=headers
    )


def test_every_operation_has_a_case() -> None:
    routes = {f"{method} {path}" for method, path, _, _ in OPERATIONS}
    missing = sorted(routes - set(CASES))
    assert not missing, f"add a role-matrix case for: {missing}"
    assert not set(CASES) - routes, f"cases for routes that no longer exist: {set(CASES) - routes}"


@pytest.mark.parametrize(
    ("method", "path", "permission", "allowed"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _, _ in OPERATIONS],
)
def test_every_role_on(
    world: World, client: TestClient, method: str, path: str, permission: str, allowed: list[str]
) -> None:
    build = CASES.get(f"{method} {path}")
    if build is None:
        pytest.fail(f"no role-matrix case for {method} {path}")
    for role in Role:
        call = build(world)
        response = _send(client, call, world.logins[role])
        if permission == "public" or role.value in allowed:
            assert response.status_code == call.ok, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["type"] == "/problems/forbidden"
    call = build(world)
    anonymous = _send(client, call, None)
    if permission == "public":
        assert anonymous.status_code == call.ok, anonymous.text
    else:
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
