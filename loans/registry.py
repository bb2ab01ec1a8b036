"""Rule sets by their stored code: what a product row names and a loan snapshots."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ledger.errors import Refused
from loans.apr import UK_PLACES, US_PLACES
from loans.product import RuleSet
from loans.rulesets.base import AprMethod
from loans.rulesets.gb import GB_CREDIT_UNION, NI_CREDIT_UNION
from loans.rulesets.pal import PAL_I, PAL_II, PalRules


class UnknownRuleSet(Refused, LookupError):
    pass


RULE_SETS: Final[dict[str, RuleSet]] = {
    "gb": GB_CREDIT_UNION,
    "ni": NI_CREDIT_UNION,
    "pal_i": PAL_I,
    "pal_ii": PAL_II,
}


def rule_set(code: str) -> RuleSet:
    try:
        return RULE_SETS[code]
    except KeyError:
        raise UnknownRuleSet(f"no rule set is registered as {code!r}") from None


def code_of(rules: RuleSet) -> str:
    for code, registered in RULE_SETS.items():
        if registered == rules:
            return code
    raise UnknownRuleSet(f"rule set {rules.code!r} ({type(rules).__name__}) is not registered")


def is_pal(code: str) -> bool:
    return isinstance(rule_set(code), PalRules)


def late_fee_allowed(code: str) -> bool:
    return rule_set(code).late_fee_allowed


def nsf_fee_allowed(code: str) -> bool:
    """Whether a fee for a failed payment may be charged: PAL II forbids it (84 FR 51942)."""
    rules = rule_set(code)
    if isinstance(rules, PalRules):
        return rules.nsf_fee_allowed
    # GB/NI caps: a default charge is outside the charge for credit; the late-fee policy
    # of the rule set governs every charge for a missed payment.
    return rules.late_fee_allowed


def disclosed_apr(code: str, apr: Decimal) -> Decimal:
    """A stored APR as its rule set states it (26.8 under CONC, 36.10 under Regulation Z):
    stored to two places, an offer or loan shows the same figure its quote did."""
    method = rule_set(code).apr_method
    # The same rounding the APR was stated with (loans.apr), so a stored figure is unchanged.
    return apr.quantize(UK_PLACES if method is AprMethod.UK else US_PLACES, ROUND_HALF_UP)
