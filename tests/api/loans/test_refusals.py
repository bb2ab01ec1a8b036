"""Every rule-set refusal through the API, each naming its rule: what a quote breaks (422
`loan-quote-refused`), what an application is declined for (201, its reasons), and what a
manager's product breaks (422 `loan-product-breaks-rules`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from creditunion.auth.roles import Role
from tests.api.banking.bank import gbp
from tests.api.loans.conftest import FreshLending
from tests.api.loans.lending import FAMILY, PAYDAY, Borrower, Lending


def _quote(lending: Lending, who: Borrower, **changes: Any) -> Any:
    body = {"product_code": PAYDAY, "amount": gbp("500.00"), "term": 6, "frequency": "monthly"}
    return lending.client.post("/v1/me/loan-quotes", json=body | changes, headers=who.headers)


def _refused(response: Any, code: str, pointer: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == "/problems/loan-quote-refused"
    assert code in body["codes"]
    assert {"location": "body", "pointer": pointer} in [
        {"location": e["location"], "pointer": e["pointer"]} for e in body["errors"]
    ]
    assert [v["code"] for v in body["violations"]] == body["codes"]
    return body


@pytest.fixture(scope="module")
def member(lending: Lending) -> Borrower:
    return lending.borrower()


def test_too_much(lending: Lending, member: Borrower) -> None:
    _refused(_quote(lending, member, amount=gbp("1500.00")), "product.amount_range", "#/amount")
    refused = lending.apply(member, amount="1500.00")
    assert refused.status_code == 201
    assert refused.json()["status"] == "declined"
    assert "product.amount_range" in [r["code"] for r in refused.json()["reasons"]]


def test_too_long(lending: Lending, member: Borrower) -> None:
    _refused(_quote(lending, member, term=18), "product.term_range", "#/term")


def test_every_broken_rule_is_named_at_once(lending: Lending, member: Borrower) -> None:
    body = _refused(
        _quote(lending, member, amount=gbp("50.00"), term=24, frequency="monthly"),
        "product.amount_range",
        "#/amount",
    )
    assert body["codes"] == ["product.amount_range", "product.term_range"]


def test_too_soon_after_joining(lending: Lending) -> None:
    newcomer = lending.borrower(member_days=10)  # the family loan needs 28 days
    body = _refused(
        _quote(lending, newcomer, product_code=FAMILY, amount=gbp("600.00"), term=12),
        "product.membership_period",
        "#",
    )
    assert "28 days" in body["violations"][0]["message"]
    declined = lending.apply(newcomer, product=FAMILY, amount="600.00", term=12).json()
    assert declined["status"] == "declined"
    assert [r["code"] for r in declined["reasons"]] == ["product.membership_period"]
    seasoned = lending.borrower(member_days=28)
    quoted = _quote(lending, seasoned, product_code=FAMILY, amount=gbp("600.00"), term=12)
    assert quoted.status_code == 200, quoted.text


def test_a_second_loan_is_declined(lending: Lending) -> None:
    borrower = lending.borrower()
    lending.loan(borrower, amount="300.00")
    second = lending.apply(borrower, amount="300.00")
    assert second.status_code == 201
    assert second.json()["status"] == "declined"
    assert [r["code"] for r in second.json()["reasons"]] == ["eligibility.outstanding_loans"]


def test_a_rollover_is_declined(lending: Lending, member: Borrower) -> None:
    declined = lending.apply(member, refinances_existing=True).json()
    assert declined["status"] == "declined" and declined["refinances_existing"] is True
    assert [r["code"] for r in declined["reasons"]] == ["eligibility.rollover"]


def _product(code: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": "Refused product",
        "currency": "GBP",
        "amounts": {"minimum": gbp("200.00"), "maximum": gbp("1000.00")},
        "terms": {"minimum": 3, "maximum": 12, "unit": "months"},
        "frequencies": ["monthly"],
        "rate": {"value": "0.02", "basis": "monthly"},
        "rule_set": "gb",
        "active": True,
    }
    return body | changes


def _usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def _pal(**changes: Any) -> dict[str, Any]:
    """An NCUA PAL I product within every rule (kept inactive: the books are in pounds)."""
    body = {
        "name": "PAL I",
        "currency": "USD",
        "amounts": {"minimum": _usd("200.00"), "maximum": _usd("1000.00")},
        "terms": {"minimum": 1, "maximum": 6, "unit": "months"},
        "frequencies": ["monthly"],
        "rate": {"value": "0.28", "basis": "annual_nominal"},
        "rule_set": "pal_i",
        "min_membership_days": 31,
        "day_count": "30/360 US",
        "active": False,
    }
    return _product(f"PAL-{uuid.uuid4().hex[:8].upper()}") | body | changes


ARRANGEMENT = {"kind": "arrangement", "amount": gbp("15.00"), "treatment": "added"}
PRODUCT_REFUSALS = {
    "rate over the GB cap": (
        {"rate": {"value": "0.035", "basis": "monthly"}},
        ["gb.interest_cap"],
        "#/rate",
    ),
    "a fee on top of the GB cap": (
        {"rate": {"value": "0.03", "basis": "monthly"}, "fees": [ARRANGEMENT]},
        ["gb.interest_cap"],
        "#/rate",
    ),
    "an early repayment charge": (
        {"early_repayment_charge": gbp("25.00")},
        ["gb.early_repayment_charge"],
        "#/early_repayment_charge",
    ),
    "rate over the NI cap": (
        {"rule_set": "ni", "rate": {"value": "0.015", "basis": "monthly"}},
        ["ni.interest_cap"],
        "#/rate",
    ),
    "PAL fee over the cap": (
        _pal(
            amounts={"minimum": _usd("1000.00"), "maximum": _usd("1000.00")},
            rate={"value": "0.01", "basis": "annual_nominal"},
            fees=[{"kind": "application", "amount": _usd("20.01"), "treatment": "upfront"}],
        ),
        ["pal.fee_cap"],
        "#/fees",
    ),
    "a PAL fee claiming to be no finance charge": (
        _pal(
            amounts={"minimum": _usd("1000.00"), "maximum": _usd("1000.00")},
            rate={"value": "0.01", "basis": "annual_nominal"},
            fees=[
                {
                    "kind": "application",
                    "amount": _usd("20.00"),
                    "treatment": "upfront",
                    "finance_charge": False,
                }
            ],
        ),
        ["pal.finance_charge"],
        "#/fees",
    ),
    "a PAL fee in the finance charge over 28%": (
        _pal(fees=[{"kind": "application", "amount": _usd("20.00"), "treatment": "upfront"}]),
        ["pal.rate_cap"],
        "#/rate",
    ),
    "PAL rate over the cap": (
        _pal(rate={"value": "0.30", "basis": "annual_nominal"}),
        ["pal.rate_cap"],
        "#/rate",
    ),
    "PAL too much and too long": (
        _pal(
            amounts={"minimum": _usd("200.00"), "maximum": _usd("1500.00")},
            terms={"minimum": 1, "maximum": 9, "unit": "months"},
        ),
        ["pal.amount_range", "pal.term_range"],
        "#/amounts",
    ),
    "PAL without the month of membership": (
        _pal(min_membership_days=0),
        ["pal.membership_period"],
        "#/min_membership_days",
    ),
}


@pytest.mark.parametrize(
    ("changes", "codes", "pointer"), PRODUCT_REFUSALS.values(), ids=list(PRODUCT_REFUSALS)
)
def test_a_manager_cannot_create_a_product_that_breaks_its_rules(
    lending: Lending, changes: dict[str, Any], codes: list[str], pointer: str
) -> None:
    manager = lending.staff(Role.MANAGER)
    code = f"R-{uuid.uuid4().hex[:8].upper()}"
    response = lending.client.post(
        "/v1/loan-products", json=_product(code) | changes, headers=manager.headers
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "/problems/loan-product-breaks-rules"
    assert body["codes"] == codes
    assert body["errors"][0]["pointer"] == pointer
    listed = lending.client.get(f"/v1/loan-products/{code}", headers=manager.headers)
    assert listed.status_code == 404


def test_a_change_that_breaks_the_rules_keeps_the_version_in_force(lending: Lending) -> None:
    manager = lending.staff(Role.MANAGER)
    code = f"R-{uuid.uuid4().hex[:8].upper()}"
    made = lending.client.post("/v1/loan-products", json=_product(code), headers=manager.headers)
    assert made.status_code == 201, made.text
    terms = {k: v for k, v in _product(code).items() if k != "code"}
    refused = lending.client.put(
        f"/v1/loan-products/{code}",
        json=terms | {"rate": {"value": "0.04", "basis": "monthly"}},
        headers=manager.headers,
    )
    assert refused.status_code == 422 and refused.json()["codes"] == ["gb.interest_cap"]
    changed = lending.client.put(
        f"/v1/loan-products/{code}",
        json=terms | {"rate": {"value": "0.025", "basis": "monthly"}},
        headers=manager.headers,
    ).json()
    assert (changed["version"], changed["rate"]["value"]) == (2, "0.025")
    first = lending.client.get(f"/v1/loan-products/{code}?version=1", headers=manager.headers)
    assert (first.json()["current"], first.json()["rate"]["value"]) == (False, "0.02")


def test_a_compliant_pal_cannot_be_offered_from_sterling_books(lending: Lending) -> None:
    manager = lending.staff(Role.MANAGER)
    kept = lending.client.post("/v1/loan-products", json=_pal(), headers=manager.headers)
    assert kept.status_code == 201 and kept.json()["active"] is False
    offered = lending.client.post(
        "/v1/loan-products", json=_pal(active=True), headers=manager.headers
    )
    assert offered.status_code == 422
    assert offered.json()["type"] == "/problems/currency-not-lent"
    switched_on = lending.client.put(
        f"/v1/loan-products/{kept.json()['code']}/active",
        json={"active": True},
        headers=manager.headers,
    )
    assert switched_on.status_code == 422


def test_the_exempt_agreement_line_is_flagged_or_refused(fresh_lending: FreshLending) -> None:
    # Drawn on 30 January, a clamped 28 February due date makes 3% a month exceed 42.6%.
    lending = fresh_lending(dt.date(2026, 1, 30))
    manager = lending.staff(Role.MANAGER)
    for code, behaviour in (("AT-CAP-FLAG", "flag"), ("AT-CAP-REFUSE", "refuse")):
        made = lending.client.post(
            "/v1/loan-products",
            json=_product(
                code,
                rate={"value": "0.03", "basis": "monthly"},
                terms={"minimum": 1, "maximum": 12, "unit": "months"},
                exempt_threshold=behaviour,
            ),
            headers=manager.headers,
        )
        assert made.status_code == 201, made.text
    member = lending.borrower()
    flagged = _quote(lending, member, product_code="AT-CAP-FLAG", amount=gbp("500.00"), term=2)
    assert flagged.status_code == 200, flagged.text
    body = flagged.json()
    assert (body["apr"], body["above_exempt_threshold"]) == ("43.4", True)
    assert body["flags"] == ["uk.apr_exempt_threshold"]
    refused = _quote(lending, member, product_code="AT-CAP-REFUSE", amount=gbp("500.00"), term=2)
    _refused(refused, "uk.apr_exempt_threshold", "#")
