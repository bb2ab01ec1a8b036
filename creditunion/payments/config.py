"""The payment rail a credit union is configured for, read once from its settings."""

from __future__ import annotations

from dataclasses import dataclass

from creditunion.errors import Refused
from creditunion.payments.models import Scheme
from creditunion.payments.settlement_calendar import Rail
from creditunion.platform.settings import Settings
from ledger.money import Money


class PaymentsNotConfigured(Refused):
    """This credit union pays to no external bank account: its rail is not configured.
    A refusal, not an outage: a credit union may well not offer payments."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"payments to bank accounts are not offered here (set {missing})")


@dataclass(frozen=True, slots=True)
class AchOriginator:
    immediate_origin: str
    company_id: str
    originating_dfi: str
    receiving_routing: str
    """The immediate destination of every file sent to the credit union."""


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    rail: Rail
    currency: str
    settlement_bank_id: str
    settlement_account_number: str
    originator_name: str
    cooling_off_days: int
    approval_limit: Money
    ach: AchOriginator | None
    service_user_number: str | None = None  # Bacs: the SUN Direct Debits are collected under
    collection_notice_days: int = 10

    @property
    def collection_rail(self) -> Rail:
        """Direct debits run on Bacs in the UK (Faster Payments has none), ACH in the US."""
        return Rail.ACH if self.rail is Rail.ACH else Rail.BACS

    @property
    def scheme(self) -> Scheme:
        return Scheme.US if self.rail is Rail.ACH else Scheme.UK


def payment_config(settings: Settings) -> PaymentConfig:
    """Raises `PaymentsNotConfigured` naming the first setting a payment would need."""
    if settings.payment_settlement_bank_id is None:
        raise PaymentsNotConfigured("CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID")
    if settings.payment_settlement_account_number is None:
        raise PaymentsNotConfigured("CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER")
    rail = Rail(settings.payment_rail)
    ach = None
    if rail is Rail.ACH:
        if settings.ach_immediate_origin is None:
            raise PaymentsNotConfigured("CREDITUNION_ACH_IMMEDIATE_ORIGIN")
        if settings.ach_company_id is None:
            raise PaymentsNotConfigured("CREDITUNION_ACH_COMPANY_ID")
        if settings.ach_originating_dfi is None:
            raise PaymentsNotConfigured("CREDITUNION_ACH_ORIGINATING_DFI")
        ach = AchOriginator(
            settings.ach_immediate_origin,
            settings.ach_company_id,
            settings.ach_originating_dfi,
            _receiving_routing(settings.ach_immediate_origin, settings.ach_receiving_routing),
        )
    return PaymentConfig(
        rail=rail,
        currency=settings.base_currency,
        settlement_bank_id=settings.payment_settlement_bank_id,
        settlement_account_number=settings.payment_settlement_account_number,
        originator_name=settings.payment_originator_name,
        cooling_off_days=settings.payment_cooling_off_days,
        approval_limit=Money(settings.payment_approval_limit, settings.base_currency),
        ach=ach,
        service_user_number=settings.bacs_service_user_number,
        collection_notice_days=settings.collection_notice_days,
    )


def _receiving_routing(immediate_origin: str, configured: str | None) -> str:
    """Files back from the ODFI are addressed to a routing number: the configured one, or
    the immediate origin when that is a blank and a routing number."""
    if configured is not None:
        return configured
    if immediate_origin.startswith(" ") and immediate_origin[1:].isdigit():
        return immediate_origin[1:]
    raise PaymentsNotConfigured("CREDITUNION_ACH_RECEIVING_ROUTING")
