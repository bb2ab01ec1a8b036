import pytest

from creditunion.payments.config import PaymentsNotConfigured, payment_config
from creditunion.platform.settings import Settings

ACH = {
    "base_currency": "USD",
    "payment_rail": "ach",
    "payment_settlement_bank_id": "091000019",
    "payment_settlement_account_number": "123456789",
    "ach_company_id": "1234567890",
    "ach_originating_dfi": "09100001",
}


def test_a_routing_number_origin_is_also_where_files_come_back() -> None:
    config = payment_config(Settings(**ACH, ach_immediate_origin=" 091000019"))
    assert config.ach is not None
    assert config.ach.receiving_routing == "091000019"


def test_an_ein_origin_needs_the_routing_number_files_come_back_to() -> None:
    with pytest.raises(PaymentsNotConfigured, match="CREDITUNION_ACH_RECEIVING_ROUTING"):
        payment_config(Settings(**ACH, ach_immediate_origin="1311234567"))
    config = payment_config(
        Settings(**ACH, ach_immediate_origin="1311234567", ach_receiving_routing="011000015")
    )
    assert config.ach is not None
    assert (config.ach.immediate_origin, config.ach.receiving_routing) == (
        "1311234567",
        "011000015",
    )
