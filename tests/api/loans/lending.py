"""Builders for the loans API tests: borrowers with share accounts and logins, and loans
made through the API itself (apply, decide, accept), as the app would make them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from creditunion.auth.roles import Role
from creditunion.platform.database import unit_of_work
from ledger.invariants import check_invariants
from loans.services.seed import seed_products
from tests.api.banking.bank import Bank, gbp, idem
from tests.api.conftest import LoggedIn

PAYDAY = "GB-PAYDAY-ALT"  # £100-£1,000, 3-12 months, 2% a month, no fees, no waiting
FAMILY = "GB-FAMILY"  # £500-£5,000, 6-36 months, 1% a month, 28 days of membership
ADULT = dt.date(1985, 6, 1)


def statement(income: str = "2500.00", **outgoings: str) -> dict[str, Any]:
    items = outgoings or {"rent": "700.00", "food": "300.00", "utilities": "150.00"}
    return {
        "monthly_net_income": gbp(income),
        "outgoings": [{"category": name, "amount": gbp(value)} for name, value in items.items()],
        "dependants": 0,
    }


def application(
    *,
    product: str = PAYDAY,
    amount: str = "500.00",
    term: int = 6,
    frequency: str = "monthly",
    income: str = "2500.00",
    refinances_existing: bool = False,
    **outgoings: str,
) -> dict[str, Any]:
    return {
        "product_code": product,
        "amount": gbp(amount),
        "term": term,
        "frequency": frequency,
        "purpose": "boiler repair",
        "statement": statement(income, **outgoings),
        "refinances_existing": refinances_existing,
    }


@dataclass
class Borrower:
    member_id: int
    login: LoggedIn
    accounts: list[int] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return self.login.headers

    @property
    def shares(self) -> int:
        return self.accounts[0]


@dataclass
class Lending:
    """A bank with the seeded loan products, and borrowers who use the API."""

    bank: Bank

    @classmethod
    def open(cls, bank: Bank) -> Lending:
        with unit_of_work(bank.engine) as session:
            seed_products(session, currency="GBP", actor="user:tests", business_date=bank.today)
        return cls(bank)

    @property
    def client(self) -> TestClient:
        return self.bank.client

    def staff(self, role: Role) -> LoggedIn:
        return self.bank.staff(role)

    def borrower(
        self, *, balance: str = "300.00", member_days: int = 400, accounts: int = 1
    ) -> Borrower:
        """An adult member for `member_days` days, with funded share accounts and a login."""
        member = self.bank.member(date_of_birth=ADULT)
        ids = [self.bank.account(member_id=member.id, balance=balance).id]
        ids += [self.bank.account(member_id=member.id).id for _ in range(accounts - 1)]
        self.member_since(member.id, self.bank.today - dt.timedelta(days=member_days))
        return Borrower(member.id, self.bank.member_login(member.id), ids)

    def member_since(self, member_id: int, since: dt.date) -> None:
        with unit_of_work(self.bank.engine) as session:
            session.execute(
                text("UPDATE members SET joined_on = :d, activated_on = :d WHERE id = :m"),
                {"d": since, "m": member_id},
            )

    def apply(self, who: Borrower, **request: Any) -> Any:
        return self.client.post(
            "/v1/me/loan-applications", json=application(**request), headers=who.headers
        )

    def offer(self, who: Borrower, **request: Any) -> dict[str, Any]:
        response = self.apply(who, **request)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        assert body["status"] == "offered", body["reasons"]
        return body

    def accept(
        self, who: Borrower, application_id: int, *, mandate: bool = True, key: str | None = None
    ) -> Any:
        return self.client.post(
            f"/v1/me/loan-applications/{application_id}/accept",
            json={"share_account_id": who.shares, "collection_mandate": mandate},
            headers=idem(who.login, key),
        )

    def loan(self, who: Borrower, *, mandate: bool = True, **request: Any) -> dict[str, Any]:
        """A loan made through the API: applied for, offered, accepted and paid out."""
        offered = self.offer(who, **request)
        response = self.accept(who, offered["id"], mandate=mandate)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def invariants_hold(self) -> None:
        with unit_of_work(self.bank.engine) as session:
            report = check_invariants(session)
        assert report.ok, report


def close_days(lending: Lending, *, until: dt.date) -> None:
    """Close of business for every day up to `until`: the business date is then the next."""
    from creditunion.cob.plan import run_close_of_business

    run_close_of_business(lending.bank.engine, until=until)
    lending.bank.today = until + dt.timedelta(days=1)
