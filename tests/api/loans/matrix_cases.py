"""The loans endpoints' cases for the role matrix (tests/api/banking/test_role_matrix.py).

Each builds a well-formed request with real objects, so only the role decides the outcome.
A case is built once per role: what a member's own case needs (an offer, an active loan)
is made afresh each time, the member's earlier loans settled first so the one-loan limit
never refuses the request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from creditunion.auth.roles import Role
from creditunion.shares.views import ShareAccountView
from tests.api.banking.bank import Bank, gbp
from tests.api.conftest import LoggedIn
from tests.api.loans.builders import Builders
from tests.api.loans.lending import Lending, application


class World(Protocol):
    bank: Bank
    logins: dict[Role, LoggedIn]

    @property
    def member(self) -> LoggedIn: ...

    def member_accounts(self) -> list[ShareAccountView]: ...


@dataclass(frozen=True)
class LoanCall:
    method: str
    url: str
    ok: int
    json: Any = None
    moves_money: bool = False


LoanBuilder = Callable[[World], LoanCall]
_prepared: dict[int, Builders] = {}


def builders(w: World) -> Builders:
    """The bank's builders; the loan products seeded and the member login an adult."""
    found = _prepared.get(id(w))
    if found is None:
        Lending.open(w.bank)
        found = _prepared[id(w)] = Builders(w.bank)
        found.adult(member_id(w))
    return found


def member_id(w: World) -> int:
    found = w.member.user.member_id
    assert found is not None
    return found


def member_offer(w: World) -> int:
    w.member_accounts()
    return builders(w).offer(member_id(w))


def member_loan(w: World) -> int:
    account = w.member_accounts()[0].id
    return builders(w).loan(member_id(w), account)


def any_loan(w: World) -> int:
    loans = builders(w)
    return loans.loan(*loans.member_with_shares())


def new_code() -> str:
    return f"M-{uuid.uuid4().hex[:10].upper()}"


def product_body(code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Matrix loan",
        "currency": "GBP",
        "amounts": {"minimum": gbp("100.00"), "maximum": gbp("900.00")},
        "terms": {"minimum": 3, "maximum": 12, "unit": "months"},
        "frequencies": ["monthly"],
        "rate": {"value": "0.015", "basis": "monthly"},
        "rule_set": "gb",
    }
    if code is not None:
        body["code"] = code
    return body


def _product_code(w: World) -> str:
    code = new_code()
    made = w.bank.client.post(
        "/v1/loan-products", json=product_body(code), headers=w.logins[Role.MANAGER].headers
    )
    assert made.status_code == 201, made.text
    return code


def quote_body(member: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_code": "GB-PAYDAY-ALT",
        "amount": gbp("400.00"),
        "term": 6,
        "frequency": "monthly",
    }
    if member is not None:
        body["member_id"] = member
    return body


def _seeded(w: World, method: str, url: str) -> LoanCall:
    """A read of a seeded product (seeded first: a case may run before any other)."""
    builders(w)
    return LoanCall(method, url, 200)


def _staff_quote(w: World) -> LoanCall:
    member, _ = builders(w).member_with_shares()
    return LoanCall("POST", "/v1/loan-quotes", 200, json=quote_body(member))


def _my_quote(w: World) -> LoanCall:
    builders(w)
    return LoanCall("POST", "/v1/me/loan-quotes", 200, json=quote_body())


def _my_application(w: World) -> LoanCall:
    w.member_accounts()
    builders(w).clear(member_id(w))
    return LoanCall("POST", "/v1/me/loan-applications", 201, json=application(amount="300.00"))


def _accept(w: World) -> LoanCall:
    body = {"share_account_id": w.member_accounts()[0].id}
    url = f"/v1/me/loan-applications/{member_offer(w)}/accept"
    return LoanCall("POST", url, 201, json=body, moves_money=True)


def _my_loan(tail: str) -> LoanBuilder:
    return lambda w: LoanCall("GET", f"/v1/me/loans/{member_loan(w)}{tail}", 200)


def _my_repayment(w: World) -> LoanCall:
    body = {"from_account_id": w.member_accounts()[0].id, "amount": gbp("1.00")}
    url = f"/v1/me/loans/{member_loan(w)}/repayments"
    return LoanCall("POST", url, 201, json=body, moves_money=True)


def _from_shares(action: str) -> LoanBuilder:
    def build(w: World) -> LoanCall:
        body = {"from_account_id": w.member_accounts()[0].id}
        url = f"/v1/me/loans/{member_loan(w)}/{action}"
        return LoanCall("POST", url, 201, json=body, moves_money=True)

    return build


def _my_notice(w: World) -> LoanCall:
    url = f"/v1/me/loans/{member_loan(w)}/withdrawal-notice"
    return LoanCall("POST", url, 201, moves_money=True)


def _staff_notice(w: World) -> LoanCall:
    url = f"/v1/loans/{any_loan(w)}/withdrawal-notice"
    return LoanCall("POST", url, 201, moves_money=True)


def _mandate(w: World) -> LoanCall:
    body = {"share_account_id": w.member_accounts()[1].id}
    return LoanCall("PUT", f"/v1/me/loans/{member_loan(w)}/collection-mandate", 200, json=body)


def _staff_repayment(kind: str) -> LoanBuilder:
    def build(w: World) -> LoanCall:
        url = f"/v1/loans/{any_loan(w)}/repayments/{kind}"
        return LoanCall("POST", url, 201, json={"amount": gbp("2.00")}, moves_money=True)

    return build


def _write_off(w: World) -> LoanCall:
    url = f"/v1/loans/{builders(w).overdue_loan()}/write-off"
    return LoanCall("POST", url, 202, json={"reason": "no contact"}, moves_money=True)


def _recovery(w: World) -> LoanCall:
    url = f"/v1/loans/{builders(w).written_off_loan()}/recoveries"
    body = {"amount": gbp("5.00"), "source": "cash"}
    return LoanCall("POST", url, 201, json=body, moves_money=True)


def _staff_loan(tail: str) -> LoanBuilder:
    return lambda w: LoanCall("GET", f"/v1/loans/{any_loan(w)}{tail}", 200)


def _application(tail: str) -> LoanBuilder:
    def build(w: World) -> LoanCall:
        loans = builders(w)
        application_id, _ = loans.application(loans.member_with_shares()[0])
        return LoanCall("GET", f"/v1/loan-applications/{application_id}{tail}", 200)

    return build


def _officer(action: str) -> LoanBuilder:
    def build(w: World) -> LoanCall:
        url = f"/v1/loan-applications/{builders(w).referral()}/{action}"
        return LoanCall("POST", url, 200, json={"note": "payslips seen"})

    return build


LOAN_CASES: dict[str, LoanBuilder] = {
    "GET /v1/loan-products": lambda w: LoanCall("GET", "/v1/loan-products", 200),
    "POST /v1/loan-products": lambda w: LoanCall(
        "POST", "/v1/loan-products", 201, json=product_body(new_code())
    ),
    "GET /v1/loan-products/{code}": lambda w: _seeded(w, "GET", "/v1/loan-products/GB-FAMILY"),
    "PUT /v1/loan-products/{code}": lambda w: LoanCall(
        "PUT", f"/v1/loan-products/{_product_code(w)}", 200, json=product_body()
    ),
    "PUT /v1/loan-products/{code}/active": lambda w: LoanCall(
        "PUT", f"/v1/loan-products/{_product_code(w)}/active", 200, json={"active": False}
    ),
    "GET /v1/me/loan-products": lambda w: LoanCall("GET", "/v1/me/loan-products", 200),
    "GET /v1/me/loan-products/{code}": lambda w: _seeded(
        w, "GET", "/v1/me/loan-products/GB-PAYDAY-ALT"
    ),
    "POST /v1/loan-quotes": _staff_quote,
    "POST /v1/me/loan-quotes": _my_quote,
    "GET /v1/loan-applications": lambda w: LoanCall(
        "GET", "/v1/loan-applications?status=referred", 200
    ),
    "GET /v1/loan-applications/{application_id}": _application(""),
    "GET /v1/loan-applications/{application_id}/events": _application("/events"),
    "POST /v1/loan-applications/{application_id}/approve": _officer("approve"),
    "POST /v1/loan-applications/{application_id}/decline": _officer("decline"),
    "POST /v1/me/loan-applications": _my_application,
    "GET /v1/me/loan-applications": lambda w: LoanCall("GET", "/v1/me/loan-applications", 200),
    "GET /v1/me/loan-applications/{application_id}": lambda w: LoanCall(
        "GET", f"/v1/me/loan-applications/{member_offer(w)}", 200
    ),
    "POST /v1/me/loan-applications/{application_id}/withdraw": lambda w: LoanCall(
        "POST", f"/v1/me/loan-applications/{member_offer(w)}/withdraw", 200
    ),
    "POST /v1/me/loan-applications/{application_id}/accept": _accept,
    "GET /v1/me/loans": lambda w: LoanCall("GET", "/v1/me/loans", 200),
    "GET /v1/me/loans/{loan_id}": _my_loan(""),
    "GET /v1/me/loans/{loan_id}/schedule": _my_loan("/schedule"),
    "GET /v1/me/loans/{loan_id}/transactions": _my_loan("/transactions"),
    "GET /v1/me/loans/{loan_id}/settlement": _my_loan("/settlement"),
    "PUT /v1/me/loans/{loan_id}/collection-mandate": _mandate,
    "POST /v1/me/loans/{loan_id}/repayments": _my_repayment,
    "POST /v1/me/loans/{loan_id}/settle": _from_shares("settle"),
    "POST /v1/me/loans/{loan_id}/withdraw": _from_shares("withdraw"),
    "POST /v1/me/loans/{loan_id}/withdrawal-notice": _my_notice,
    "GET /v1/loans": lambda w: LoanCall("GET", "/v1/loans?status=active&limit=5", 200),
    "GET /v1/loans/write-off-candidates": lambda w: LoanCall(
        "GET", "/v1/loans/write-off-candidates", 200
    ),
    "GET /v1/loans/{loan_id}": _staff_loan(""),
    "GET /v1/loans/{loan_id}/schedule": _staff_loan("/schedule"),
    "GET /v1/loans/{loan_id}/transactions": _staff_loan("/transactions"),
    "GET /v1/loans/{loan_id}/ledger-entries": _staff_loan("/ledger-entries"),
    "GET /v1/loans/{loan_id}/settlement": _staff_loan("/settlement"),
    "POST /v1/loans/{loan_id}/repayments/cash": _staff_repayment("cash"),
    "POST /v1/loans/{loan_id}/repayments/external": _staff_repayment("external"),
    "POST /v1/loans/{loan_id}/withdrawal-notice": _staff_notice,
    "POST /v1/loans/{loan_id}/write-off": _write_off,
    "POST /v1/loans/{loan_id}/recoveries": _recovery,
    "GET /v1/members/{member_id}/loans": lambda w: LoanCall(
        "GET", f"/v1/members/{builders(w).member_with_shares()[0]}/loans", 200
    ),
}
