from __future__ import annotations

import pytest

from creditunion.field_problems import FieldError
from creditunion.members.postcode import normalise_outward_code, normalise_postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M1 1AE", "M1 1AE"),  # A9 9AA
        ("B33 8TH", "B33 8TH"),  # A99 9AA
        ("CR2 6XH", "CR2 6XH"),  # AA9 9AA
        ("DN55 1PT", "DN55 1PT"),  # AA99 9AA
        ("W1A 0AX", "W1A 0AX"),  # A9A 9AA
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A 9AA
        ("sw1a2aa", "SW1A 2AA"),  # lower case, no space
        ("  sw1a   2aa ", "SW1A 2AA"),  # stray spaces
        ("Ec1A\t1bB", "EC1A 1BB"),  # a tab between the halves
        ("GIR 0AA", "GIR 0AA"),  # the one historic exception
    ],
)
def test_valid_postcodes_are_normalised(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "SW1A",  # outward code only
        "1AA",  # inward only
        "SW1A 1A",  # short inward
        "SW1A 1AAA",
        "QA1 1AA",  # Q never first
        "VA1 1AA",  # V never first
        "XA1 1AA",  # X never first
        "AI1 1AA",  # I never second
        "AJ1 1AA",
        "AZ1 1AA",
        "A1I 1AA",  # I not allowed third (A9A)
        "AA1C 1AA",  # C not allowed fourth (AA9A)
        "SW1A 1CA",  # C never an inward unit letter
        "SW1A 1AI",
        "SW1A 1AK",
        "SW1A 1AM",
        "SW1A 1AO",
        "SW1A 1AV",
        "SW1A AAA",  # inward must start with a digit
        "SW1A 1-AA",
        "\uff33\uff37\uff11\uff21 \uff11\uff21\uff21",  # full-width
        "SW\u0661A 1AA",  # Arabic-Indic digit
        "SW1A 1AA'; DROP TABLE members; --",
        "X" * 10_000,
        "12345",  # a US ZIP code
        "K1A 0B1",  # a Canadian one
    ],
)
def test_invalid_postcodes_are_refused(raw: str) -> None:
    with pytest.raises(FieldError):
        normalise_postcode(raw)


@pytest.mark.parametrize("raw", [None, 123, b"SW1A 1AA", ["SW1A 1AA"]])
def test_non_strings_are_refused(raw: object) -> None:
    with pytest.raises(FieldError, match="string"):
        normalise_postcode(raw)


def test_outward_codes_for_search() -> None:
    assert normalise_outward_code("sw1a") == "SW1A"
    assert normalise_outward_code("M1") == "M1"
    with pytest.raises(FieldError):
        normalise_outward_code("QQ1")
    with pytest.raises(FieldError):
        normalise_outward_code("%")
