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
from creditunion.payments.collections.views import MandateView
from creditunion.shares.views import ShareAccountView
from tests.api.banking.bank import Bank, gbp
from tests.api.conftest import LoggedIn
from tests.api.loans.matrix_cases import member_loan
from tests.api.payments import builders
from tests.api.payments import collection_builders as dd
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


def _my_direct_debit_loan(w: World) -> int:
    """A new active loan of the member login's (the earlier ones settled), and their
    nominated account."""
    builders.nominate_by_staff(w.bank, w.member_accounts()[0].member_id)
    return member_loan(w)


def _my_mandate(w: World) -> int:
    return dd.mandate(w.bank, _my_direct_debit_loan(w)).id


def _mandate(w: World, *, suspended: bool = False) -> MandateView:
    """A new member's active (or suspended) mandate."""
    _, _, loan_id = dd.nominated_loan(w.bank)
    made = dd.mandate(w.bank, loan_id)
    return dd.suspended(w.bank, made.id) if suspended else made


def _my_set_up(w: World) -> PaymentCall:
    body = {"loan_id": _my_direct_debit_loan(w), "represent_agreed": True}
    return PaymentCall("POST", "/v1/me/direct-debit-mandates", 201, json=body)


def _staff_set_up(w: World) -> PaymentCall:
    _, _, loan_id = dd.nominated_loan(w.bank)
    body = {"loan_id": loan_id, "represent_agreed": False}
    return PaymentCall("POST", "/v1/direct-debit-mandates", 201, json=body)


def _on_mandate(tail: str, *, suspended: bool = False, json: Any = None) -> PaymentBuilder:
    return lambda w: PaymentCall(
        "POST", f"/v1/direct-debit-mandates/{_mandate(w, suspended=suspended).id}/{tail}", 200, json
    )


def _advices(w: World) -> PaymentCall:
    body = {"advices": [{"reference": _mandate(w).reference, "code": "1"}]}
    return PaymentCall("POST", "/v1/direct-debit-mandates/advices", 200, json=body)


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
    # Direct debits: a member's own, then staff's.
    "POST /v1/me/direct-debit-mandates": _my_set_up,
    "GET /v1/me/direct-debit-mandates": lambda w: PaymentCall(
        "GET", "/v1/me/direct-debit-mandates", 200
    ),
    "GET /v1/me/direct-debit-mandates/{mandate_id}": lambda w: PaymentCall(
        "GET", f"/v1/me/direct-debit-mandates/{_my_mandate(w)}", 200
    ),
    "POST /v1/me/direct-debit-mandates/{mandate_id}/cancel": lambda w: PaymentCall(
        "POST",
        f"/v1/me/direct-debit-mandates/{_my_mandate(w)}/cancel",
        200,
        json={"reason": "paying from my shares"},
    ),
    "GET /v1/me/direct-debit-collections": lambda w: PaymentCall(
        "GET", "/v1/me/direct-debit-collections?status=scheduled", 200
    ),
    "GET /v1/me/direct-debit-notices": lambda w: PaymentCall(
        "GET", "/v1/me/direct-debit-notices", 200
    ),
    "POST /v1/direct-debit-mandates": _staff_set_up,
    "GET /v1/direct-debit-mandates": lambda w: PaymentCall(
        "GET", "/v1/direct-debit-mandates?status=active", 200
    ),
    "GET /v1/direct-debit-mandates/{mandate_id}": lambda w: PaymentCall(
        "GET", f"/v1/direct-debit-mandates/{_mandate(w).id}", 200
    ),
    "POST /v1/direct-debit-mandates/{mandate_id}/suspend": _on_mandate("suspend"),
    "POST /v1/direct-debit-mandates/{mandate_id}/resume": _on_mandate("resume", suspended=True),
    "POST /v1/direct-debit-mandates/{mandate_id}/cancel": _on_mandate(
        "cancel", json={"reason": "member asked at the branch"}
    ),
    "POST /v1/direct-debit-mandates/advices": _advices,
    "GET /v1/direct-debit-collections": lambda w: PaymentCall(
        "GET", "/v1/direct-debit-collections?status=unpaid", 200
    ),
    "GET /v1/direct-debit-collections/dashboard": lambda w: PaymentCall(
        "GET", "/v1/direct-debit-collections/dashboard?from=2026-11-01&to=2027-10-31", 200
    ),
    "GET /v1/direct-debit-notices": lambda w: PaymentCall(
        "GET", "/v1/direct-debit-notices?limit=5", 200
    ),
}
