"""The payment endpoints' cases for the role matrix (tests/api/banking/test_role_matrix.py).

Each builds a well-formed request with real objects, so only the role decides the outcome.
A case is built once per role, so what it acts on (a pending payment, a file with its
report, a credit in suspense, a break) is made afresh each time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from creditunion.auth.roles import Role
from creditunion.shares.views import ShareAccountView
from tests.api.banking.bank import Bank, gbp
from tests.api.conftest import LoggedIn
from tests.api.payments import builders
from tests.api.payments.builders import nomination_body


class World(Protocol):
    bank: Bank
    logins: dict[Role, LoggedIn]

    @property
    def member(self) -> LoggedIn: ...

    def member_accounts(self) -> list[ShareAccountView]: ...


@dataclass(frozen=True)
class PaymentCall:
    method: str
    url: str
    ok: int
    json: Any = None
    moves_money: bool = False
    content: bytes | None = None  # an XML document, sent as application/xml


PaymentBuilder = Callable[[World], PaymentCall]


def _member_account(w: World) -> int:
    """The member login's funded account, their nominated account set."""
    account = w.member_accounts()[0]
    builders.nominate_by_staff(w.bank, account.member_id)
    return account.id


def _my_payment(w: World) -> int:
    return builders.payout(w.bank, _member_account(w), "1.00").id


def _nominated_member(w: World) -> int:
    account = w.bank.account(balance="50.00")
    builders.nominate_by_staff(w.bank, account.member_id)
    return account.member_id


def _file_id(w: World) -> int:
    builders.funded_payout(w.bank)
    return builders.produce(w.bank).id


def _status_report(w: World) -> PaymentCall:
    _, report = builders.sent_payment_report(w.bank)
    return PaymentCall("POST", "/v1/payment-files/imports", 201, moves_money=True, content=report)


def _my_payout(w: World) -> PaymentCall:
    body = {"from_account_id": _member_account(w), "amount": gbp("1.00")}
    return PaymentCall("POST", "/v1/me/payments", 201, json=body, moves_money=True)


def _staff_payout(w: World) -> PaymentCall:
    account = w.bank.account(balance="50.00")
    builders.nominate_by_staff(w.bank, account.member_id)
    body = {"from_account_id": account.id, "amount": gbp("2.00")}
    return PaymentCall("POST", "/v1/payments", 201, json=body, moves_money=True)


def _my_nomination(w: World) -> PaymentCall:
    _member_account(w)
    return PaymentCall("GET", "/v1/me/nominated-account", 200)


def _produce(w: World) -> PaymentCall:
    builders.funded_payout(w.bank)  # a payment due, so there is a file to make
    return PaymentCall("POST", "/v1/payment-files", 201)


def _assign(w: World) -> PaymentCall:
    credit = builders.unmatched_credit(w.bank)
    body = {"account_id": w.bank.account(balance="10.00").id, "note": "wages for this member"}
    url = f"/v1/incoming-credits/{credit.id}/assign"
    return PaymentCall("POST", url, 200, json=body, moves_money=True)


PAYMENT_CASES: Final[dict[str, PaymentBuilder]] = {
    "PUT /v1/me/nominated-account": lambda w: PaymentCall(
        "PUT", "/v1/me/nominated-account", 200, json=nomination_body()
    ),
    "GET /v1/me/nominated-account": _my_nomination,
    "POST /v1/me/payments": _my_payout,
    "GET /v1/me/payments": lambda w: PaymentCall("GET", "/v1/me/payments", 200),
    "GET /v1/me/payments/{payment_id}": lambda w: PaymentCall(
        "GET", f"/v1/me/payments/{_my_payment(w)}", 200
    ),
    "PUT /v1/members/{member_id}/nominated-account": lambda w: PaymentCall(
        "PUT",
        f"/v1/members/{w.bank.member().id}/nominated-account",
        200,
        json=nomination_body(),
    ),
    "GET /v1/members/{member_id}/nominated-account": lambda w: PaymentCall(
        "GET", f"/v1/members/{_nominated_member(w)}/nominated-account", 200
    ),
    "POST /v1/payments": _staff_payout,
    "GET /v1/payments": lambda w: PaymentCall("GET", "/v1/payments?status=pending", 200),
    "GET /v1/payments/{payment_id}": lambda w: PaymentCall(
        "GET", f"/v1/payments/{builders.funded_payout(w.bank).id}", 200
    ),
    "POST /v1/payments/{payment_id}/cancel": lambda w: PaymentCall(
        "POST",
        f"/v1/payments/{builders.funded_payout(w.bank).id}/cancel",
        200,
        json={"reason": "asked at the counter"},
        moves_money=True,
    ),
    "POST /v1/payment-files": _produce,
    "GET /v1/payment-files": lambda w: PaymentCall("GET", "/v1/payment-files", 200),
    "GET /v1/payment-files/{file_id}/content": lambda w: PaymentCall(
        "GET", f"/v1/payment-files/{_file_id(w)}/content", 200
    ),
    "POST /v1/payment-files/imports": _status_report,
    "GET /v1/incoming-credits": lambda w: PaymentCall(
        "GET", "/v1/incoming-credits?status=unmatched", 200
    ),
    "POST /v1/incoming-credits/{credit_id}/assign": _assign,
    "POST /v1/incoming-credits/{credit_id}/return": lambda w: PaymentCall(
        "POST",
        f"/v1/incoming-credits/{builders.unmatched_credit(w.bank).id}/return",
        201,
        json={"note": "no such member"},
        moves_money=True,
    ),
    "GET /v1/statement-breaks": lambda w: PaymentCall("GET", "/v1/statement-breaks", 200),
    "POST /v1/statement-lines/{line_id}/resolve": lambda w: PaymentCall(
        "POST",
        f"/v1/statement-lines/{builders.statement_break(w.bank).id}/resolve",
        200,
        json={"note": "bank charge"},
    ),
}
