from decimal import Decimal

import pytest

from loans.registry import UnknownRuleSet, disclosed_apr


@pytest.mark.parametrize(
    ("code", "stored", "stated"),
    [
        ("gb", Decimal("26.80"), "26.8"),  # CONC App 1.2: one decimal place
        ("ni", Decimal("12.70"), "12.7"),
        ("pal_i", Decimal("36.10"), "36.10"),  # Regulation Z: two places
        ("pal_ii", Decimal("28.00"), "28.00"),
    ],
)
def test_a_stored_apr_is_stated_as_its_rule_set_states_it(
    code: str, stored: Decimal, stated: str
) -> None:
    assert str(disclosed_apr(code, stored)) == stated


def test_an_unknown_rule_set_is_refused() -> None:
    with pytest.raises(UnknownRuleSet):
        disclosed_apr("xx", Decimal("10.00"))
