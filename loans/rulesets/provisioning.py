"""Loan-loss provisioning and non-accrual policy per rule set: data, not code.

Great Britain and Northern Ireland credit unions report under FRS 102 (section 11:
impairment of financial assets measured at amortised cost, on objective evidence of loss)
and must hold at least the PRA's specific provisions by time in arrears (CREDS 7.5, the
Credit Unions sourcebook, formerly CRED 10.5):

* CREDS 7.5.2R: at least 35% of the net liability of borrowers more than three months in
  arrears, and 100% where more than twelve months in arrears;
* CREDS 7.5.3G: a credit union should consider 60% more than six months and 80% more than
  nine months in arrears. This policy takes them as its own minimums (prudence).

The net liability is the loan and interest outstanding, less the borrower's shareholding
(CRED 10.5.2R(2)). This policy provides on the whole amount outstanding, shares not
deducted: never less than the minimum. The old 2% general provision (CREDS 7.5.4E) is not
made: FRS 102 allows impairment only on evidence of loss, so loans not in arrears carry none.

US federal credit unions measure the allowance for credit losses under CECL (ASC 326-20):
lifetime expected losses on every loan, the performing ones included, from historical loss
experience adjusted for current conditions and reasonable forecasts (ASC 326-20-30-2).
This policy uses the loss-rate method per ageing bucket (ASC 326-20-55-7 names loss-rate and
roll-rate methods as acceptable); the rates below are the default configuration for
small-dollar loans and are to be set from the credit union's own charge-off history.

Non-accrual: a loan stops accruing into income once this many days past due (US practice
and the NCUA call report: 90 days); see loans.services.non_accrual.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class ArrearsUnit(StrEnum):
    DAYS = "days"
    MONTHS = "months"  # calendar months from the oldest unpaid due date


@dataclass(frozen=True, slots=True)
class ProvisionBand:
    """Arrears older than `more_than` units (strictly) need `rate` of the amount outstanding."""

    more_than: int
    unit: ArrearsUnit
    rate: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class ProvisioningPolicy:
    framework: str
    # The rate for a loan in no band (not in arrears, or not long enough): 0 under an
    # incurred-loss framework, the performing pool's expected loss under CECL.
    performing_rate: Decimal
    bands: tuple[ProvisionBand, ...]
    non_accrual_after_days: int
    citation: str

    def __post_init__(self) -> None:
        rates = [self.performing_rate, *(band.rate for band in self.bands)]
        if any(not Decimal(0) <= rate <= Decimal(1) for rate in rates):
            raise ValueError("provision rates are between 0 and 1")
        if self.non_accrual_after_days < 1:
            raise ValueError("non-accrual starts at 1 day past due or later")


FRS102_CREDS = ProvisioningPolicy(
    framework="FRS 102 s.11 with PRA CREDS 7.5 minimum specific provisions",
    performing_rate=Decimal("0"),
    bands=(
        ProvisionBand(3, ArrearsUnit.MONTHS, Decimal("0.35"), "CREDS 7.5.2R(1)"),
        ProvisionBand(6, ArrearsUnit.MONTHS, Decimal("0.60"), "CREDS 7.5.3G(1)"),
        ProvisionBand(9, ArrearsUnit.MONTHS, Decimal("0.80"), "CREDS 7.5.3G(2)"),
        ProvisionBand(12, ArrearsUnit.MONTHS, Decimal("1"), "CREDS 7.5.2R(2)"),
    ),
    non_accrual_after_days=90,
    citation="PRA Rulebook, Credit Unions sourcebook CREDS 7.5; FRS 102 section 11.21-11.26",
)

CECL_LOSS_RATES = ProvisioningPolicy(
    framework="CECL (ASC 326-20), loss-rate method per ageing bucket",
    performing_rate=Decimal("0.02"),
    bands=(
        ProvisionBand(0, ArrearsUnit.DAYS, Decimal("0.10"), "1-30 days past due"),
        ProvisionBand(30, ArrearsUnit.DAYS, Decimal("0.30"), "31-60 days past due"),
        ProvisionBand(60, ArrearsUnit.DAYS, Decimal("0.50"), "61-90 days past due"),
        ProvisionBand(90, ArrearsUnit.DAYS, Decimal("0.75"), "over 90 days past due"),
    ),
    non_accrual_after_days=90,
    citation="FASB ASC 326-20-30-2 and 326-20-55-7; NCUA 5300 call report (non-accrual)",
)
