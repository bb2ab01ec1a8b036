"""The automated decision's policy, from the settings (`CREDITUNION_LOAN_*`)."""

from __future__ import annotations

from decimal import Decimal

from creditunion.platform.settings import Settings
from ledger.money import Money
from loans.affordability import AffordabilityPolicy
from loans.decision import DecisionPolicy


def decision_policy(settings: Settings, *, currency: str) -> DecisionPolicy:
    """The policy for a loan in `currency`.

    Policy amounts are configured in the base currency; a product lent in another (a
    rule set's worked example) is assessed with the same figures in its own currency,
    since there is no exchange rate to convert by.
    """

    def money(amount: str) -> Money:
        return Money(amount, currency)

    threshold = settings.loan_first_loan_referral_threshold
    return DecisionPolicy(
        affordability=AffordabilityPolicy(
            minimum_margin=money(settings.loan_affordability_margin),
            margin_share_of_income=Decimal(settings.loan_affordability_share_of_income),
            referral_band=money(settings.loan_referral_band),
            allowance_per_dependant=money(settings.loan_allowance_per_dependant),
        ),
        max_outstanding_loans=settings.loan_max_outstanding,
        first_loan_referral_threshold=None if threshold is None else money(threshold),
        offer_validity_days=settings.loan_offer_validity_days,
        rollover_window_days=settings.loan_rollover_window_days,
        refer_above_exempt_threshold=settings.loan_refer_above_exempt_threshold,
    )
