"""Deferred fees earned at the effective interest rate: the worked figures of calculations.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.money import Money
from loans.effective_interest import (
    EffectiveInterestError,
    Instalment,
    effective_rate,
    fee_recognition_minor,
)
from loans.frequency import Frequency
from loans.rate import InterestRate
from loans.schedule import build_schedule


def rows_of(amount: str, monthly_rate: str, instalments: int) -> list[Instalment]:
    schedule = build_schedule(
        principal=Money(amount, "GBP"),
        rate=InterestRate.monthly(Decimal(monthly_rate)),
        instalments=instalments,
        frequency=Frequency.MONTHLY,
        disbursement_date=dt.date(2026, 1, 15),
    )
    return [Instalment(r.principal.minor_units, r.interest.minor_units) for r in schedule.rows]


def test_a_30_pound_fee_on_1000_over_three_months_at_two_percent() -> None:
    rows = rows_of("1000", "0.02", 3)
    # 346.75, 346.75, 346.76: interest 20.00, 13.46, 6.80 on the contract.
    assert [(r.principal_minor, r.interest_minor) for r in rows] == [
        (32_675, 2_000),
        (33_329, 1_346),
        (33_996, 680),
    ]
    rate = effective_rate(100_000, 3_000, rows)
    assert rate.quantize(Decimal("1e-10")) == Decimal("0.0357967331")
    # Exact shares 1472.28, 1009.33, 518.39 (minor units); cumulative half-even rounding.
    assert fee_recognition_minor(100_000, 3_000, rows) == [1_472, 1_010, 518]


def test_no_fee_earns_nothing_and_bad_schedules_are_refused() -> None:
    rows = rows_of("1000", "0.02", 3)
    assert fee_recognition_minor(100_000, 0, rows) == [0, 0, 0]
    with pytest.raises(EffectiveInterestError):
        fee_recognition_minor(100_000, 100_000, rows)
    with pytest.raises(EffectiveInterestError):
        fee_recognition_minor(99_999, 1_000, rows)
    with pytest.raises(EffectiveInterestError):
        fee_recognition_minor(100_000, 1_000, [])


@given(
    amount=st.integers(min_value=100, max_value=5_000),
    rate=st.sampled_from(["0", "0.005", "0.01", "0.02", "0.03"]),
    instalments=st.integers(min_value=1, max_value=36),
    fee_percent=st.integers(min_value=0, max_value=20),
)
def test_the_periods_add_up_to_the_fee_exactly(
    amount: int, rate: str, instalments: int, fee_percent: int
) -> None:
    rows = rows_of(str(amount), rate, instalments)
    fee = amount * fee_percent  # minor units: fee_percent % of the amount
    earned = fee_recognition_minor(amount * 100, fee, rows)
    assert sum(earned) == fee
    assert len(earned) == instalments
