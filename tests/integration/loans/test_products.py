"""Products as data: versions, reads, seeds, and every rule-set refusal on create and update."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from creditunion.platform.database import unit_of_work
from ledger.money import Money
from ledger.ownership import STAFF
from loans.checks import ProductInvalid
from loans.daycount import DayCount
from loans.errors import LoansRefused
from loans.product import AmountRange, Fee, FeeKind, FeeTreatment, ProductError
from loans.rate import InterestRate
from loans.rulesets.gb import NI_CREDIT_UNION
from loans.services.products import (
    ProductCodeTaken,
    ProductNotFound,
    create_product,
    get_product,
    list_products,
    set_product_active,
    update_product,
)
from loans.services.queries import get_loan
from loans.services.seed import PAL_I_EXAMPLE, PAL_II_EXAMPLE, SEED_PRODUCTS, seed_products
from tests.factories_loans import (
    MANAGER,
    TODAY,
    gb_product,
    gbp,
    make_loan,
    make_product,
    unique_code,
    usd,
)


def test_create_read_and_version(engine: Engine) -> None:
    code = unique_code()
    with unit_of_work(engine) as s:
        first = create_product(
            s, code=code, product=gb_product(), active=True, actor=MANAGER, business_date=TODAY
        )
    assert (first.version, first.active, first.created_by, first.current) == (
        1,
        True,
        MANAGER,
        True,
    )
    cheaper = gb_product(rate=InterestRate.monthly(Decimal("0.015")))
    with unit_of_work(engine) as s:
        second = update_product(
            s, code=code, product=cheaper, active=True, actor="user:manager-2", business_date=TODAY
        )
        again = update_product(
            s, code=code, product=cheaper, active=True, actor="user:manager-2", business_date=TODAY
        )
    assert (second.version, again.version, again.id) == (2, 2, second.id)
    with unit_of_work(engine) as s:
        old = get_product(s, code=code, version=1)
        assert old.product.rate.value == Decimal("0.02")
        assert (old.superseded_by_id, old.updated_by) == (second.id, "user:manager-2")
        assert get_product(s, code=code).product == cheaper
        withdrawn = set_product_active(
            s, code=code, active=False, actor=MANAGER, business_date=TODAY
        )
        assert (withdrawn.version, withdrawn.active) == (3, False)
        listed = {view.code for view in list_products(s, active_only=True, limit=200)}
        assert code not in listed
        with pytest.raises(ProductCodeTaken):
            create_product(
                s, code=code, product=gb_product(), active=True, actor=MANAGER, business_date=TODAY
            )
        with pytest.raises(ProductNotFound):
            get_product(s, code="NO-SUCH-PRODUCT")
        with pytest.raises(LoansRefused):
            create_product(
                s,
                code="bad code",
                product=gb_product(),
                active=True,
                actor=MANAGER,
                business_date=TODAY,
            )
        with pytest.raises(LoansRefused):
            create_product(
                s,
                code=unique_code(),
                product=gb_product(),
                active=True,
                actor=" ",
                business_date=TODAY,
            )


def test_a_loan_keeps_its_terms_when_the_product_changes(engine: Engine) -> None:
    loan_id, _, _ = make_loan(engine, amount="600", term=6)
    with unit_of_work(engine) as s:
        loan = get_loan(s, loan_id=loan_id, scope=STAFF)
        update_product(
            s,
            code=loan.product_code,
            product=gb_product(rate=InterestRate.monthly(Decimal("0.01"))),
            active=True,
            actor=MANAGER,
            business_date=TODAY,
        )
    with unit_of_work(engine) as s:
        after = get_loan(s, loan_id=loan_id, scope=STAFF)
    assert after.rate == InterestRate.monthly(Decimal("0.02"))
    assert after.instalment == loan.instalment == gbp("107.12")


GB_BREACHES: list[tuple[str, dict[str, Any]]] = [
    ("gb.interest_cap", {"rate": InterestRate.monthly(Decimal("0.031"))}),
    (
        "gb.interest_cap",
        {"rate": InterestRate.annual(Decimal("0.36")), "day_count": DayCount.ACT_360},
    ),
    (
        "gb.interest_cap",  # a fee on top of 3% a month breaks the cap, fees being inclusive
        {
            "rate": InterestRate.monthly(Decimal("0.03")),
            "fees": (Fee(FeeKind.ARRANGEMENT, gbp("5"), FeeTreatment.ADDED),),
        },
    ),
    ("gb.early_repayment_charge", {"early_repayment_charge": gbp("10")}),
    ("gb.currency", {"currency": "EUR", "amounts": None}),
    (
        "product.fee_exceeds_amount",
        {"fees": (Fee(FeeKind.ARRANGEMENT, gbp("100"), FeeTreatment.DEDUCTED),)},
    ),
]


def _gb(changes: dict[str, Any]) -> Any:
    if "amounts" in changes:  # a product in euros: its amounts are euros too
        changes = changes | {"amounts": AmountRange(Money("100", "EUR"), Money("2000", "EUR"))}
    return gb_product(**changes)


@pytest.mark.parametrize(("code", "changes"), GB_BREACHES)
def test_gb_products_breaking_their_rule_set_are_refused_naming_the_rule(
    engine: Engine, code: str, changes: dict[str, Any]
) -> None:
    product = _gb(changes)
    with unit_of_work(engine) as s:
        existing = make_product(s)
        with pytest.raises(ProductInvalid) as created:
            create_product(
                s,
                code=unique_code(),
                product=product,
                active=True,
                actor=MANAGER,
                business_date=TODAY,
            )
        with pytest.raises(ProductInvalid) as updated:
            update_product(
                s, code=existing, product=product, active=True, actor=MANAGER, business_date=TODAY
            )
        assert get_product(s, code=existing).version == 1
    assert code in created.value.codes and code in updated.value.codes


def test_northern_ireland_cap_is_one_percent(engine: Engine) -> None:
    product = gb_product(rule_set=NI_CREDIT_UNION, rate=InterestRate.monthly(Decimal("0.0101")))
    with unit_of_work(engine) as s, pytest.raises(ProductInvalid) as refused:
        create_product(
            s, code=unique_code(), product=product, active=True, actor=MANAGER, business_date=TODAY
        )
    assert refused.value.codes == ("ni.interest_cap",)


PAL_BREACHES: list[tuple[str, Any]] = [
    (
        "pal.amount_range",
        dataclasses.replace(
            PAL_I_EXAMPLE, amounts=dataclasses.replace(PAL_I_EXAMPLE.amounts, minimum=usd("100"))
        ),
    ),
    (
        "pal.amount_range",
        dataclasses.replace(
            PAL_II_EXAMPLE, amounts=dataclasses.replace(PAL_II_EXAMPLE.amounts, maximum=usd("2500"))
        ),
    ),
    (
        "pal.term_range",
        dataclasses.replace(
            PAL_I_EXAMPLE, terms=dataclasses.replace(PAL_I_EXAMPLE.terms, maximum=7)
        ),
    ),
    ("pal.membership_period", dataclasses.replace(PAL_I_EXAMPLE, min_membership_days=0)),
    (
        "pal.fee_cap",
        dataclasses.replace(
            PAL_II_EXAMPLE,
            fees=(Fee(FeeKind.APPLICATION, usd("25"), FeeTreatment.UPFRONT, finance_charge=False),),
        ),
    ),
    (
        "pal.rate_cap",
        dataclasses.replace(PAL_I_EXAMPLE, rate=InterestRate.annual(Decimal("0.2801"))),
    ),
    ("pal.nsf_fee", dataclasses.replace(PAL_II_EXAMPLE, nsf_fee=usd("15"))),
    ("pal.currency", dataclasses.replace(gb_product(), rule_set=PAL_I_EXAMPLE.rule_set)),
]


@pytest.mark.parametrize(("code", "product"), PAL_BREACHES)
def test_pal_products_breaking_their_rule_set_are_refused(
    engine: Engine, code: str, product: Any
) -> None:
    with unit_of_work(engine) as s, pytest.raises(ProductInvalid) as refused:
        create_product(
            s, code=unique_code(), product=product, active=False, actor=MANAGER, business_date=TODAY
        )
    assert code in refused.value.codes


def test_malformed_products_are_refused_before_the_rules(engine: Engine) -> None:
    with pytest.raises(ProductError):
        gb_product(amounts=dataclasses.replace(gb_product().amounts, minimum=gbp("0")))
    with unit_of_work(engine) as s, pytest.raises(ProductError):
        create_product(
            s,
            code=unique_code(),
            product=gb_product(name=" "),
            active=True,
            actor=MANAGER,
            business_date=TODAY,
        )


def test_seed_products_once_each_active_only_in_the_book_currency(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        assert seed_products(s, currency="GBP", actor="init", business_date=TODAY) == 4
        assert seed_products(s, currency="GBP", actor="init", business_date=TODAY) == 0
        views = {view.code: view for view in list_products(s)}
    assert {code: views[code].active for code, _ in SEED_PRODUCTS} == {
        "GB-PAYDAY-ALT": True,
        "GB-FAMILY": True,
        "US-PAL-I": False,
        "US-PAL-II": False,
    }
    assert views["US-PAL-I"].product == PAL_I_EXAMPLE
