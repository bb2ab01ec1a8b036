"""The provision a loan needs at a date: a pure function of its arrears and its rule set.

A loan's arrears age is counted from its oldest unpaid due date (the business date less
its days past due). The rate is the highest of the policy's performing rate and every band
whose age the loan's arrears exceed; the provision is the amount outstanding times that
rate, rounded half-up to whole minor units (never below the CREDS minimum by more than
half a minor unit, and the same figure the close-of-business SQL computes).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from loans.calendar import add_months
from loans.rulesets.provisioning import ArrearsUnit, ProvisionBand, ProvisioningPolicy


def in_band(band: ProvisionBand, *, days_past_due: int, on: date) -> bool:
    """Whether arrears `days_past_due` old on `on` are older than the band's age."""
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    if days_past_due == 0:
        return False
    if band.unit is ArrearsUnit.DAYS:
        return days_past_due > band.more_than
    oldest_unpaid = on - timedelta(days=days_past_due)
    return add_months(oldest_unpaid, months=band.more_than) < on


def provision_rate(policy: ProvisioningPolicy, *, days_past_due: int, on: date) -> Decimal:
    rates = [
        band.rate for band in policy.bands if in_band(band, days_past_due=days_past_due, on=on)
    ]
    return max([policy.performing_rate, *rates])


def required_provision_minor(
    policy: ProvisioningPolicy, *, outstanding_minor: int, days_past_due: int, on: date
) -> int:
    """The provision for a loan owing `outstanding_minor`, rounded ROUND_HALF_UP."""
    if outstanding_minor <= 0:
        return 0
    rate = provision_rate(policy, days_past_due=days_past_due, on=on)
    return int((Decimal(outstanding_minor) * rate).to_integral_value(rounding=ROUND_HALF_UP))
