"""A loan product as plain JSON data and back: what product rows and loan snapshots hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger.money import Money
from loans.daycount import DayCount
from loans.frequency import Frequency
from loans.product import (
    AmountRange,
    Fee,
    FeeKind,
    FeeTreatment,
    LoanProduct,
    ProductError,
    TermRange,
    TermUnit,
)
from loans.rate import InterestRate, RateBasis
from loans.registry import code_of, rule_set
from loans.rulesets.gb import ThresholdBehaviour


def fee_to_json(fee: Fee) -> dict[str, Any]:
    return {
        "kind": fee.kind.value,
        "amount": str(fee.amount.amount),
        "treatment": fee.treatment.value,
        "finance_charge": fee.finance_charge,
    }


def fee_from_json(data: dict[str, Any], *, currency: str) -> Fee:
    try:
        return Fee(
            kind=FeeKind(data["kind"]),
            amount=Money(str(data["amount"]), currency),
            treatment=FeeTreatment(data["treatment"]),
            finance_charge=bool(data.get("finance_charge", True)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProductError(f"malformed fee {data!r}: {exc}") from exc


def _money(value: Money | None) -> str | None:
    return None if value is None else str(value.amount)


def product_to_json(product: LoanProduct) -> dict[str, Any]:
    return {
        "name": product.name,
        "currency": product.currency,
        "amounts": [str(product.amounts.minimum.amount), str(product.amounts.maximum.amount)],
        "terms": [product.terms.minimum, product.terms.maximum, product.terms.unit.value],
        "frequencies": sorted(f.value for f in product.frequencies),
        "rate": str(product.rate.value),
        "rate_basis": product.rate.basis.value,
        "rule_set": code_of(product.rule_set),
        "fees": [fee_to_json(fee) for fee in product.fees],
        "min_membership_days": product.min_membership_days,
        "day_count": product.day_count.value,
        "late_fee": _money(product.late_fee),
        "nsf_fee": _money(product.nsf_fee),
        "early_repayment_charge": _money(product.early_repayment_charge),
        "exempt_threshold": product.exempt_threshold.value,
        "interest_rounding": product.interest_rounding,
        "instalment_rounding": product.instalment_rounding,
    }


def product_from_json(data: dict[str, Any]) -> LoanProduct:
    try:
        currency = str(data["currency"])

        def money(value: Any) -> Money | None:
            return None if value is None else Money(str(value), currency)

        low, high = data["amounts"]
        term_min, term_max, unit = data["terms"]
        return LoanProduct(
            name=str(data["name"]),
            currency=currency,
            amounts=AmountRange(Money(str(low), currency), Money(str(high), currency)),
            terms=TermRange(int(term_min), int(term_max), TermUnit(unit)),
            frequencies=frozenset(Frequency(f) for f in data["frequencies"]),
            rate=InterestRate(Decimal(str(data["rate"])), RateBasis(data["rate_basis"])),
            rule_set=rule_set(str(data["rule_set"])),
            fees=tuple(fee_from_json(fee, currency=currency) for fee in data["fees"]),
            min_membership_days=int(data["min_membership_days"]),
            day_count=DayCount(data["day_count"]),
            late_fee=money(data.get("late_fee")),
            nsf_fee=money(data.get("nsf_fee")),
            early_repayment_charge=money(data.get("early_repayment_charge")),
            exempt_threshold=ThresholdBehaviour(data["exempt_threshold"]),
            interest_rounding=str(data["interest_rounding"]),
            instalment_rounding=str(data["instalment_rounding"]),
        )
    except (LookupError, TypeError, ValueError) as exc:
        if isinstance(exc, ProductError):
            raise
        raise ProductError(f"malformed product data: {exc}") from exc
