"""Provision rates and amounts by rule set: the worked figures of docs/calculations.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from loans.provisioning import provision_rate, required_provision_minor
from loans.registry import rule_set
from loans.rulesets.provisioning import (
    CECL_LOSS_RATES,
    FRS102_CREDS,
    ArrearsUnit,
    ProvisionBand,
    ProvisioningPolicy,
)

MONTH_END = dt.date(2026, 6, 30)


def test_each_rule_set_names_its_policy() -> None:
    assert rule_set("gb").provisioning is FRS102_CREDS
    assert rule_set("ni").provisioning is FRS102_CREDS
    assert rule_set("pal_i").provisioning is CECL_LOSS_RATES
    assert rule_set("pal_ii").provisioning is CECL_LOSS_RATES


@pytest.mark.parametrize(
    ("days_past_due", "rate"),
    [
        (0, "0"),  # FRS 102: no provision without evidence of loss
        (92, "0"),  # oldest unpaid 30 Mar: three months later is 30 Jun, not more than three
        (93, "0.35"),  # oldest unpaid 29 Mar: more than three months in arrears
        (183, "0.60"),  # 29 Dec 2025 + 6 months = 29 Jun
        (274, "0.80"),  # 29 Sep 2025 + 9 months = 29 Jun
        (365, "0.80"),  # 30 Jun 2025 + 12 months = 30 Jun: not more than twelve
        (366, "1"),
    ],
)
def test_creds_minimums_by_calendar_months_in_arrears(days_past_due: int, rate: str) -> None:
    assert provision_rate(FRS102_CREDS, days_past_due=days_past_due, on=MONTH_END) == Decimal(rate)


@pytest.mark.parametrize(
    ("days_past_due", "rate"),
    [(0, "0.02"), (1, "0.10"), (30, "0.10"), (31, "0.30"), (61, "0.50"), (91, "0.75")],
)
def test_cecl_loss_rates_by_ageing_bucket(days_past_due: int, rate: str) -> None:
    assert provision_rate(CECL_LOSS_RATES, days_past_due=days_past_due, on=MONTH_END) == Decimal(
        rate
    )


def test_amounts_round_half_up_to_whole_minor_units() -> None:
    # 418.00 more than three months in arrears: 35% = 146.30.
    assert (
        required_provision_minor(
            FRS102_CREDS, outstanding_minor=41_800, days_past_due=93, on=MONTH_END
        )
        == 14_630
    )
    # 3.33 x 35% = 1.1655 -> 1.17 (half-up); 0.01 x 2% = 0.0002 -> 0.00.
    assert (
        required_provision_minor(
            FRS102_CREDS, outstanding_minor=333, days_past_due=93, on=MONTH_END
        )
        == 117
    )
    assert (
        required_provision_minor(
            CECL_LOSS_RATES, outstanding_minor=1, days_past_due=0, on=MONTH_END
        )
        == 0
    )
    # A performing 520.00 PAL under CECL: 2% = 10.40.
    assert (
        required_provision_minor(
            CECL_LOSS_RATES, outstanding_minor=52_000, days_past_due=0, on=MONTH_END
        )
        == 1_040
    )
    assert (
        required_provision_minor(
            CECL_LOSS_RATES, outstanding_minor=0, days_past_due=200, on=MONTH_END
        )
        == 0
    )


def test_a_policy_refuses_rates_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        ProvisioningPolicy(
            "x",
            Decimal("0"),
            (ProvisionBand(1, ArrearsUnit.DAYS, Decimal("1.5"), "bad"),),
            90,
            "x",
        )
