"""The audit sweep's table: every state-changing operation of the API, how to make one
successful call of it, and the one audit record that call must write.

`SWEEP` maps each non-GET operation (`"METHOD /path/template"`, as the OpenAPI document
names it) to its cases: the role calling, the status of success, the action and target
type of the record, and a builder that makes the objects the call needs (through the
services or, where a second person must act first, through the API) and returns the
request. An operation with several paths to success (a withdrawal posted or held for
approval, an approval of each kind) has a case for each.

`READS_BY_POST` are the exemptions: operations sent as POST that change nothing, so they
write no record; the sweep calls them all the same and checks that nothing changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from creditunion.auth.roles import Role
from tests.api.banking.bank import Bank, gbp, idem
from tests.api.conftest import LoggedIn
from tests.api.factories import PASSWORD, make_user
from tests.api.loans.builders import Builders
from tests.api.loans.lending import Borrower, Lending, application
from tests.api.loans.matrix_cases import new_code, product_body, quote_body
from tests.api.payments import builders as payments
from tests.api.payments import collection_builders as direct_debits
from tests.api.payments.builders import nomination_body
from tests.factories import ni_number


class _Caller:
    """The record names whoever sent the request (the usual case)."""


CALLER: Final = _Caller()


@dataclass(frozen=True)
class ApiCall:
    """One request: where, as whom, with what; and whom its record must name."""

    url: str
    who: LoggedIn | None
    json: Any = None
    form: dict[str, str] | None = None
    actor_user_id: int | _Caller | None = CALLER
    content: bytes | None = None  # an XML document, sent as application/xml

    def expected_actor(self) -> int | None:
        if isinstance(self.actor_user_id, _Caller):
            assert self.who is not None, "a public call names its actor explicitly"
            return self.who.user.id
        return self.actor_user_id


@dataclass
class Sweep:
    """The sweep's database: the books, loan products, and a login per staff role."""

    lending: Lending
    loans: Builders
    _staff: dict[Role, LoggedIn] = field(default_factory=dict)

    @classmethod
    def open(cls, bank: Bank) -> Sweep:
        return cls(lending=Lending.open(bank), loans=Builders(bank))

    @property
    def bank(self) -> Bank:
        return self.lending.bank

    def staff(self, role: Role) -> LoggedIn:
        """The sweep's one login of `role` (signed in once)."""
        if role not in self._staff:
            self._staff[role] = self.bank.staff(role)
        return self._staff[role]

    def borrower(self, *, accounts: int = 1) -> Borrower:
        """A new adult member of long standing, with a funded account and a login."""
        return self.lending.borrower(accounts=accounts)

    def borrower_with_loan(self, *, accounts: int = 1) -> tuple[Borrower, int]:
        who = self.borrower(accounts=accounts)
        return who, self.loans.loan(who.member_id, who.shares)

    def api(self, method: str, url: str, who: LoggedIn, json: Any = None) -> dict[str, Any]:
        """A request that prepares a case (made by someone other than the caller)."""
        response = self.bank.client.request(method, url, json=json, headers=idem(who))
        assert response.status_code < 300, response.text
        body: dict[str, Any] = response.json()
        return body


Build = Callable[[Sweep], ApiCall]


@dataclass(frozen=True)
class Case:
    """How to call one operation successfully, and the one record it writes (`action`
    None: a read sent as POST, which writes none)."""

    role: Role | None
    status: int
    action: str | None
    target_type: str | None
    build: Build
    variant: str = ""


# ------------------------------------------------------------------- platform and logins


def _token(_w: Sweep) -> ApiCall:
    user = make_user(Role.TELLER)
    return ApiCall(
        "/v1/auth/token",
        None,
        form={"username": user.username, "password": PASSWORD},
        actor_user_id=user.id,
    )


def _refresh(w: Sweep) -> ApiCall:
    fresh = w.bank.staff(Role.AUDITOR)
    return ApiCall(
        "/v1/auth/refresh",
        None,
        json={"refresh_token": fresh.refresh_token},
        actor_user_id=fresh.user.id,
    )


def _logout(w: Sweep) -> ApiCall:
    # The refresh token is the only credential; the record names the login it ends.
    fresh = w.bank.staff(Role.AUDITOR)
    body = {"refresh_token": fresh.refresh_token}
    return ApiCall("/v1/auth/logout", None, json=body, actor_user_id=fresh.user.id)


def _own_password(w: Sweep) -> ApiCall:
    body = {"current_password": PASSWORD, "new_password": "a different long passphrase"}
    return ApiCall("/v1/auth/password", w.bank.staff(Role.TELLER), json=body)


def _new_staff_user(w: Sweep) -> ApiCall:
    body = {"username": f"n{uuid.uuid4().hex[:10]}", "password": PASSWORD, "role": "auditor"}
    return ApiCall("/v1/users", w.staff(Role.ADMIN), json=body)


def _on_user(tail: str, json: Any = None) -> Build:
    return lambda w: ApiCall(f"/v1/users/{make_user().id}/{tail}", w.staff(Role.ADMIN), json=json)


def _unlock(w: Sweep) -> ApiCall:
    # Locked after wrong passwords, so unlocking changes something.
    locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    user = make_user(Role.TELLER, locked_until=locked_until)
    return ApiCall(f"/v1/users/{user.id}/unlock", w.staff(Role.ADMIN))


def _approve_user(w: Sweep) -> ApiCall:
    # A manager's login another admin proposed: the sweep's admin is the second pair of eyes.
    proposer = make_user(Role.ADMIN)
    proposed = make_user(Role.MANAGER, approval_pending=True, created_by_user_id=proposer.id)
    return ApiCall(f"/v1/users/{proposed.id}/approve", w.staff(Role.ADMIN))


# ------------------------------------------------------------------------ members, shares


def member_body() -> dict[str, Any]:
    return {
        "given_name": "Sweep",
        "family_name": "Case",
        "date_of_birth": "1990-05-06",
        "address_line1": "3 Canal Street",
        "town": "Manchester",
        "postcode": "M1 3HE",
        "common_bond": "works_in_area",
        "bond_detail": "Manchester city centre",
        "ni_number": ni_number(uuid.uuid4().int),
    }


def _new_login() -> dict[str, str]:
    return {"username": f"m{uuid.uuid4().hex[:10]}", "password": PASSWORD}


def _register(w: Sweep) -> ApiCall:
    return ApiCall("/v1/members", w.staff(Role.TELLER), json=member_body())


def _register_with_login(w: Sweep) -> ApiCall:
    # One request, one change (a member and their login together): one record.
    body = member_body() | {"login": _new_login()}
    return ApiCall("/v1/members", w.staff(Role.TELLER), json=body)


def _on_member(tail: str, json: Any) -> Build:
    return lambda w: ApiCall(
        f"/v1/members/{w.bank.member().id}{tail}", w.staff(Role.TELLER), json=json
    )


def _member_login(w: Sweep) -> ApiCall:
    url = f"/v1/members/{w.bank.member().id}/login"
    return ApiCall(url, w.staff(Role.TELLER), json=_new_login())


def _open_account(w: Sweep) -> ApiCall:
    body = {"member_id": w.bank.member().id, "product_code": "INSTANT"}
    return ApiCall("/v1/share-accounts", w.staff(Role.TELLER), json=body)


def _mandate(w: Sweep) -> ApiCall:
    url = f"/v1/share-accounts/{w.bank.account(balance='300.00').id}/repayment-mandate"
    return ApiCall(url, w.staff(Role.TELLER), json={"given": True})


def _close_account(w: Sweep) -> ApiCall:
    return ApiCall(f"/v1/share-accounts/{w.bank.account().id}/close", w.staff(Role.TELLER))


def _deposit(w: Sweep) -> ApiCall:
    body = {"account_id": w.bank.account().id, "amount": gbp("25.00")}
    return ApiCall("/v1/cash/deposits", w.staff(Role.TELLER), json=body)


def _withdraw(amount: str, balance: str) -> Build:
    def build(w: Sweep) -> ApiCall:
        body = {"account_id": w.bank.account(balance=balance).id, "amount": gbp(amount)}
        return ApiCall("/v1/cash/withdrawals", w.staff(Role.TELLER), json=body)

    return build


def _transfer(w: Sweep) -> ApiCall:
    source, target = w.bank.account(balance="300.00"), w.bank.account(balance="300.00")
    body = {
        "from_account_id": source.id,
        "to_account_number": target.account_number,
        "amount": gbp("5.00"),
    }
    return ApiCall("/v1/transfers", w.staff(Role.TELLER), json=body)


def _my_transfer(w: Sweep) -> ApiCall:
    who = w.borrower(accounts=2)
    body = {"from_account_id": who.accounts[0], "to_account_id": who.accounts[1]}
    return ApiCall("/v1/me/transfers", who.login, json=body | {"amount": gbp("1.00")})


def _deposited_entry(w: Sweep) -> str:
    return str(w.bank.deposit(w.bank.account(balance="300.00").id, "10.00").entry_id)


def _reversal(w: Sweep) -> ApiCall:
    body = {"entry_id": _deposited_entry(w), "reason": "keyed twice"}
    return ApiCall("/v1/reversals", w.staff(Role.TELLER), json=body)


def _dividend(w: Sweep) -> ApiCall:
    product = w.bank.product()
    today = w.bank.today
    body = {
        "product_code": product.code,
        "period_start": today.replace(year=today.year - 1).isoformat(),
        "period_end": (today - dt.timedelta(days=1)).isoformat(),
        "pay_on": today.isoformat(),
        "annual_rate": "0.025",
    }
    return ApiCall("/v1/dividends", w.staff(Role.MANAGER), json=body)


# ------------------------------------------------------------------------------ approvals


def _pending_withdrawal(w: Sweep) -> int:
    account = w.bank.account(balance="3000.00")
    maker = f"user:{make_user(Role.TELLER).id}"
    return w.bank.pending_withdrawal(account.id, "1500.00", maker=maker).id


def _pending_reversal(w: Sweep) -> int:
    body = {"entry_id": _deposited_entry(w), "reason": "keyed twice"}
    return int(w.api("POST", "/v1/reversals", w.bank.staff(Role.TELLER), body)["id"])


def _pending_write_off(w: Sweep) -> int:
    # Asked for by another manager: the sweep's manager is the checker.
    url = f"/v1/loans/{w.loans.overdue_loan()}/write-off"
    return int(w.api("POST", url, w.bank.staff(Role.MANAGER), {"reason": "no contact"})["id"])


def _decide(decision: str, pending: Callable[[Sweep], int], json: Any) -> Build:
    return lambda w: ApiCall(
        f"/v1/approvals/{pending(w)}/{decision}", w.staff(Role.MANAGER), json=json
    )


# ------------------------------------------------------------------------------- payments


def _my_nomination(w: Sweep) -> ApiCall:
    return ApiCall("/v1/me/nominated-account", w.borrower().login, json=nomination_body())


def _staff_nomination(w: Sweep) -> ApiCall:
    url = f"/v1/members/{w.bank.member().id}/nominated-account"
    return ApiCall(url, w.staff(Role.TELLER), json=nomination_body())


def _my_payout(w: Sweep) -> ApiCall:
    who = w.borrower()
    payments.nominate_by_staff(w.bank, who.member_id)
    body = {"from_account_id": who.shares, "amount": gbp("3.00")}
    return ApiCall("/v1/me/payments", who.login, json=body)


def _payout(amount: str, balance: str) -> Build:
    def build(w: Sweep) -> ApiCall:
        account = w.bank.account(balance=balance)
        payments.nominate_by_staff(w.bank, account.member_id)
        body = {"from_account_id": account.id, "amount": gbp(amount)}
        return ApiCall("/v1/payments", w.staff(Role.TELLER), json=body)

    return build


def _cancel_payment(w: Sweep) -> ApiCall:
    url = f"/v1/payments/{payments.funded_payout(w.bank).id}/cancel"
    return ApiCall(url, w.staff(Role.TELLER), json={"reason": "asked at the counter"})


def _produce_file(w: Sweep) -> ApiCall:
    payments.funded_payout(w.bank)  # a payment due, so there is a file to make
    return ApiCall("/v1/payment-files", w.staff(Role.MANAGER))


def _import_report(w: Sweep) -> ApiCall:
    _, report = payments.sent_payment_report(w.bank)
    return ApiCall("/v1/payment-files/imports", w.staff(Role.MANAGER), content=report)


def _assign_credit(w: Sweep) -> ApiCall:
    url = f"/v1/incoming-credits/{payments.unmatched_credit(w.bank).id}/assign"
    body = {"account_id": w.bank.account(balance="10.00").id, "note": "wages for this member"}
    return ApiCall(url, w.staff(Role.MANAGER), json=body)


def _return_credit(w: Sweep) -> ApiCall:
    url = f"/v1/incoming-credits/{payments.unmatched_credit(w.bank).id}/return"
    return ApiCall(url, w.staff(Role.MANAGER), json={"note": "no such member"})


def _resolve_break(w: Sweep) -> ApiCall:
    url = f"/v1/statement-lines/{payments.statement_break(w.bank).id}/resolve"
    return ApiCall(url, w.staff(Role.MANAGER), json={"note": "bank charge"})


def _direct_debit_loan(w: Sweep) -> tuple[Borrower, int]:
    """A borrower with an active loan and a nominated account."""
    who, loan_id = w.borrower_with_loan()
    payments.nominate_by_staff(w.bank, who.member_id)
    return who, loan_id


def _my_mandate(w: Sweep) -> ApiCall:
    who, loan_id = _direct_debit_loan(w)
    body = {"loan_id": loan_id, "represent_agreed": True}
    return ApiCall("/v1/me/direct-debit-mandates", who.login, json=body)


def _cancel_my_mandate(w: Sweep) -> ApiCall:
    who, loan_id = _direct_debit_loan(w)
    url = f"/v1/me/direct-debit-mandates/{direct_debits.mandate(w.bank, loan_id).id}/cancel"
    return ApiCall(url, who.login, json={"reason": "paying from my shares"})


def _staff_mandate(w: Sweep) -> ApiCall:
    _, loan_id = _direct_debit_loan(w)
    body = {"loan_id": loan_id, "represent_agreed": False}
    return ApiCall("/v1/direct-debit-mandates", w.staff(Role.TELLER), json=body)


def _on_mandate(tail: str, *, suspended: bool = False, json: Any = None) -> Build:
    def build(w: Sweep) -> ApiCall:
        made = direct_debits.mandate(w.bank, _direct_debit_loan(w)[1])
        if suspended:
            direct_debits.suspended(w.bank, made.id)
        url = f"/v1/direct-debit-mandates/{made.id}/{tail}"
        return ApiCall(url, w.staff(Role.MANAGER), json=json)

    return build


def _advices(w: Sweep) -> ApiCall:
    made = direct_debits.mandate(w.bank, _direct_debit_loan(w)[1])
    body = {"advices": [{"reference": made.reference, "code": "B"}]}
    return ApiCall("/v1/direct-debit-mandates/advices", w.staff(Role.MANAGER), json=body)


def _pending_payment(w: Sweep) -> int:
    payment = payments.funded_payout(w.bank, "1500.00", balance="3000.00")
    assert payment.approval_id is not None
    return payment.approval_id


# ---------------------------------------------------------------------------------- loans


def _create_product(w: Sweep) -> ApiCall:
    return ApiCall("/v1/loan-products", w.staff(Role.MANAGER), json=product_body(new_code()))


def _product(w: Sweep, *, active: bool = True) -> str:
    code = new_code()
    manager = w.staff(Role.MANAGER)
    w.api("POST", "/v1/loan-products", manager, product_body(code))
    if not active:
        w.api("PUT", f"/v1/loan-products/{code}/active", manager, {"active": False})
    return code


def _update_product(w: Sweep) -> ApiCall:
    url = f"/v1/loan-products/{_product(w)}"
    return ApiCall(url, w.staff(Role.MANAGER), json=product_body() | {"name": "Renamed loan"})


def _set_active(active: bool) -> Build:
    def build(w: Sweep) -> ApiCall:
        url = f"/v1/loan-products/{_product(w, active=not active)}/active"
        return ApiCall(url, w.staff(Role.MANAGER), json={"active": active})

    return build


def _staff_quote(w: Sweep) -> ApiCall:
    member_id, _ = w.loans.member_with_shares()
    return ApiCall("/v1/loan-quotes", w.staff(Role.LOAN_OFFICER), json=quote_body(member_id))


def _my_quote(w: Sweep) -> ApiCall:
    return ApiCall("/v1/me/loan-quotes", w.borrower().login, json=quote_body())


def _officer(decision: str) -> Build:
    return lambda w: ApiCall(
        f"/v1/loan-applications/{w.loans.referral()}/{decision}",
        w.staff(Role.LOAN_OFFICER),
        json={"note": "payslips seen"},
    )


def _apply(w: Sweep) -> ApiCall:
    body = application(amount="300.00")
    return ApiCall("/v1/me/loan-applications", w.borrower().login, json=body)


def _withdraw_application(w: Sweep) -> ApiCall:
    who = w.borrower()
    url = f"/v1/me/loan-applications/{w.loans.offer(who.member_id)}/withdraw"
    return ApiCall(url, who.login)


def _accept(w: Sweep) -> ApiCall:
    who = w.borrower()
    url = f"/v1/me/loan-applications/{w.loans.offer(who.member_id)}/accept"
    return ApiCall(url, who.login, json={"share_account_id": who.shares})


def _my_repayment(w: Sweep) -> ApiCall:
    who, loan_id = w.borrower_with_loan()
    body = {"from_account_id": who.shares, "amount": gbp("1.00")}
    return ApiCall(f"/v1/me/loans/{loan_id}/repayments", who.login, json=body)


def _from_shares(tail: str) -> Build:
    def build(w: Sweep) -> ApiCall:
        who, loan_id = w.borrower_with_loan()
        body = {"from_account_id": who.shares}
        return ApiCall(f"/v1/me/loans/{loan_id}/{tail}", who.login, json=body)

    return build


def _my_notice(w: Sweep) -> ApiCall:
    who, loan_id = w.borrower_with_loan()
    return ApiCall(f"/v1/me/loans/{loan_id}/withdrawal-notice", who.login)


def _collection_mandate(w: Sweep) -> ApiCall:
    who, loan_id = w.borrower_with_loan(accounts=2)
    body = {"share_account_id": who.accounts[1]}
    return ApiCall(f"/v1/me/loans/{loan_id}/collection-mandate", who.login, json=body)


def _any_loan(w: Sweep) -> int:
    return w.loans.loan(*w.loans.member_with_shares())


def _staff_repayment(kind: str, role: Role) -> Build:
    return lambda w: ApiCall(
        f"/v1/loans/{_any_loan(w)}/repayments/{kind}", w.staff(role), json={"amount": gbp("2.00")}
    )


def _staff_notice(w: Sweep) -> ApiCall:
    return ApiCall(f"/v1/loans/{_any_loan(w)}/withdrawal-notice", w.staff(Role.LOAN_OFFICER))


def _write_off(w: Sweep) -> ApiCall:
    url = f"/v1/loans/{w.loans.overdue_loan()}/write-off"
    return ApiCall(url, w.staff(Role.MANAGER), json={"reason": "no contact"})


def _recovery(w: Sweep) -> ApiCall:
    url = f"/v1/loans/{w.loans.written_off_loan()}/recoveries"
    return ApiCall(url, w.staff(Role.MANAGER), json={"amount": gbp("5.00"), "source": "cash"})


# ---------------------------------------------------------------------------------- table

T, M, LO, A = Role.TELLER, Role.MANAGER, Role.LOAN_OFFICER, Role.ADMIN
ME = Role.MEMBER

SWEEP: Final[dict[str, tuple[Case, ...]]] = {
    # Sign-in is not a command: it records a refused attempt in a transaction of its own
    # (so the refusal stays recorded). A successful one still writes exactly one record.
    "POST /v1/auth/token": (Case(None, 200, "auth.login", "user", _token),),
    "POST /v1/auth/refresh": (Case(None, 200, "auth.token_refresh", "user", _refresh),),
    "POST /v1/auth/logout": (Case(None, 204, "auth.logout", "user", _logout),),
    "POST /v1/auth/password": (Case(T, 204, "auth.password_change", "user", _own_password),),
    "POST /v1/users": (Case(A, 201, "user.create", "user", _new_staff_user),),
    "POST /v1/users/{user_id}/deactivate": (
        Case(A, 200, "user.deactivate", "user", _on_user("deactivate")),
    ),
    "POST /v1/users/{user_id}/approve": (Case(A, 200, "user.approve", "user", _approve_user),),
    "POST /v1/users/{user_id}/unlock": (Case(A, 200, "user.unlock", "user", _unlock),),
    "POST /v1/users/{user_id}/password": (
        Case(
            A,
            204,
            "user.password_reset",
            "user",
            _on_user("password", {"new_password": "a reset long passphrase"}),
        ),
    ),
    "POST /v1/members": (
        Case(T, 201, "member.register", "member", _register),
        Case(T, 201, "member.register", "member", _register_with_login, "with a login"),
    ),
    "PATCH /v1/members/{member_id}": (
        Case(T, 200, "member.update", "member", _on_member("", {"town": "Salford"})),
    ),
    "POST /v1/members/{member_id}/status": (
        Case(T, 200, "member.status_change", "member", _on_member("/status", {"status": "closed"})),
    ),
    "POST /v1/members/{member_id}/login": (
        Case(T, 201, "user.member_login_create", "user", _member_login),
    ),
    "POST /v1/share-accounts": (
        Case(T, 201, "share_account.open", "share_account", _open_account),
    ),
    "PUT /v1/share-accounts/{account_id}/repayment-mandate": (
        Case(T, 200, "share_account.mandate", "share_account", _mandate),
    ),
    "POST /v1/share-accounts/{account_id}/close": (
        Case(T, 200, "share_account.close", "share_account", _close_account),
    ),
    "POST /v1/cash/deposits": (Case(T, 201, "cash.deposit", "share_account", _deposit),),
    "POST /v1/cash/withdrawals": (
        Case(T, 201, "cash.withdrawal", "share_account", _withdraw("20.00", "300.00")),
        Case(
            T,
            202,
            "cash.withdrawal",
            "share_account",
            _withdraw("1500.00", "3000.00"),
            "above the approval limit",
        ),
    ),
    "POST /v1/transfers": (Case(T, 201, "transfer.create", "share_account", _transfer),),
    "POST /v1/me/transfers": (Case(ME, 201, "transfer.create", "share_account", _my_transfer),),
    "POST /v1/reversals": (Case(T, 202, "reversal.request", "journal_entry", _reversal),),
    "POST /v1/approvals/{approval_id}/approve": (
        Case(M, 200, "approval.approve", "approval", _decide("approve", _pending_withdrawal, {})),
        Case(
            M,
            200,
            "approval.approve",
            "approval",
            _decide("approve", _pending_reversal, {}),
            "a reversal",
        ),
        Case(
            M,
            200,
            "approval.approve",
            "approval",
            _decide("approve", _pending_write_off, {}),
            "a loan write-off",
        ),
        Case(
            M,
            200,
            "approval.approve",
            "approval",
            _decide("approve", _pending_payment, {}),
            "a payment out",
        ),
    ),
    "POST /v1/approvals/{approval_id}/reject": (
        Case(
            M,
            200,
            "approval.reject",
            "approval",
            _decide("reject", _pending_withdrawal, {"note": "no ID shown"}),
        ),
        Case(
            M,
            200,
            "approval.reject",
            "approval",
            _decide("reject", _pending_payment, {"note": "not the member's account"}),
            "a payment out",
        ),
    ),
    "POST /v1/dividends": (Case(M, 201, "dividend.declare", "dividend", _dividend),),
    "POST /v1/loan-products": (
        Case(M, 201, "loan_product.create", "loan_product", _create_product),
    ),
    "PUT /v1/loan-products/{code}": (
        Case(M, 200, "loan_product.update", "loan_product", _update_product),
    ),
    "PUT /v1/loan-products/{code}/active": (
        Case(M, 200, "loan_product.deactivate", "loan_product", _set_active(False)),
        Case(M, 200, "loan_product.activate", "loan_product", _set_active(True), "offered again"),
    ),
    "POST /v1/loan-quotes": (Case(LO, 200, None, None, _staff_quote),),
    "POST /v1/me/loan-quotes": (Case(ME, 200, None, None, _my_quote),),
    "POST /v1/loan-applications/{application_id}/approve": (
        Case(LO, 200, "loan_application.approve", "loan_application", _officer("approve")),
    ),
    "POST /v1/loan-applications/{application_id}/decline": (
        Case(LO, 200, "loan_application.decline", "loan_application", _officer("decline")),
    ),
    "POST /v1/me/loan-applications": (
        Case(ME, 201, "loan_application.submit", "loan_application", _apply),
    ),
    "POST /v1/me/loan-applications/{application_id}/withdraw": (
        Case(ME, 200, "loan_application.withdraw", "loan_application", _withdraw_application),
    ),
    "POST /v1/me/loan-applications/{application_id}/accept": (
        Case(ME, 201, "loan.disburse", "loan", _accept),
    ),
    "POST /v1/me/loans/{loan_id}/repayments": (Case(ME, 201, "loan.repay", "loan", _my_repayment),),
    "POST /v1/me/loans/{loan_id}/settle": (
        Case(ME, 201, "loan.settle", "loan", _from_shares("settle")),
    ),
    "POST /v1/me/loans/{loan_id}/withdrawal-notice": (
        Case(ME, 201, "loan.withdrawal_notice", "loan", _my_notice),
    ),
    "POST /v1/me/loans/{loan_id}/withdraw": (
        Case(ME, 201, "loan.withdraw", "loan", _from_shares("withdraw")),
    ),
    "PUT /v1/me/loans/{loan_id}/collection-mandate": (
        Case(ME, 200, "loan.mandate", "loan", _collection_mandate),
    ),
    "POST /v1/loans/{loan_id}/repayments/cash": (
        Case(T, 201, "loan.repay", "loan", _staff_repayment("cash", T)),
    ),
    "POST /v1/loans/{loan_id}/repayments/external": (
        Case(LO, 201, "loan.repay", "loan", _staff_repayment("external", LO)),
    ),
    "POST /v1/loans/{loan_id}/withdrawal-notice": (
        Case(LO, 201, "loan.withdrawal_notice", "loan", _staff_notice),
    ),
    "POST /v1/loans/{loan_id}/write-off": (
        Case(M, 202, "loan.write_off_request", "loan", _write_off),
    ),
    "POST /v1/loans/{loan_id}/recoveries": (Case(M, 201, "loan.recovery", "loan", _recovery),),
    "PUT /v1/me/nominated-account": (
        Case(ME, 200, "payment_account.nominate", "member", _my_nomination),
    ),
    "PUT /v1/members/{member_id}/nominated-account": (
        Case(T, 200, "payment_account.nominate", "member", _staff_nomination),
    ),
    "POST /v1/me/payments": (Case(ME, 201, "payment.create", "payment", _my_payout),),
    "POST /v1/payments": (
        Case(T, 201, "payment.create", "payment", _payout("5.00", "300.00")),
        Case(
            T,
            201,
            "payment.create",
            "payment",
            _payout("1500.00", "3000.00"),
            "above the approval limit",
        ),
    ),
    "POST /v1/payments/{payment_id}/cancel": (
        Case(T, 200, "payment.cancel", "payment", _cancel_payment),
    ),
    "POST /v1/payment-files": (
        Case(M, 201, "payment_file.produce", "payment_file", _produce_file),
    ),
    "POST /v1/payment-files/imports": (
        Case(M, 201, "payment_file.import", "payment_file", _import_report),
    ),
    "POST /v1/incoming-credits/{credit_id}/assign": (
        Case(M, 200, "incoming_credit.assign", "incoming_credit", _assign_credit),
    ),
    "POST /v1/incoming-credits/{credit_id}/return": (
        Case(M, 201, "incoming_credit.return", "incoming_credit", _return_credit),
    ),
    "POST /v1/statement-lines/{line_id}/resolve": (
        Case(M, 200, "statement_line.resolve", "statement_line", _resolve_break),
    ),
    "POST /v1/me/direct-debit-mandates": (
        Case(ME, 201, "collection_mandate.set_up", "collection_mandate", _my_mandate),
    ),
    "POST /v1/me/direct-debit-mandates/{mandate_id}/cancel": (
        Case(ME, 200, "collection_mandate.cancel", "collection_mandate", _cancel_my_mandate),
    ),
    "POST /v1/direct-debit-mandates": (
        Case(T, 201, "collection_mandate.set_up", "collection_mandate", _staff_mandate),
    ),
    "POST /v1/direct-debit-mandates/{mandate_id}/suspend": (
        Case(M, 200, "collection_mandate.suspend", "collection_mandate", _on_mandate("suspend")),
    ),
    "POST /v1/direct-debit-mandates/{mandate_id}/resume": (
        Case(
            M,
            200,
            "collection_mandate.resume",
            "collection_mandate",
            _on_mandate("resume", suspended=True),
        ),
    ),
    "POST /v1/direct-debit-mandates/{mandate_id}/cancel": (
        Case(
            M,
            200,
            "collection_mandate.cancel",
            "collection_mandate",
            _on_mandate("cancel", json={"reason": "member asked at the branch"}),
        ),
    ),
    "POST /v1/direct-debit-mandates/advices": (
        Case(M, 200, "collection_mandate.apply_addacs", "collection_mandate", _advices),
    ),
}

READS_BY_POST: Final[dict[str, str]] = {
    "POST /v1/loan-quotes": "a quote prices a loan and stores nothing (POST for its body)",
    "POST /v1/me/loan-quotes": "a quote prices a loan and stores nothing (POST for its body)",
}


def sweep_ids() -> list[tuple[str, Case]]:
    """(operation, case) for every case, in table order."""
    return [(operation, case) for operation, cases in SWEEP.items() for case in cases]


def case_id(operation: str, case: Case) -> str:
    return f"{operation} ({case.variant})" if case.variant else operation
