from __future__ import annotations

import itertools

import pytest

from creditunion.field_problems import FieldError
from creditunion.members.ni_number import mask_ni_number, normalise_ni_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AB123456C", "AB123456C"),
        ("ab 12 34 56 c", "AB123456C"),
        ("  JG 10 38 59 A ", "JG103859A"),
        ("ZY000000D", "ZY000000D"),  # Z first is fine; only ZZ is refused
        ("OA123456B", "OA123456B"),  # O first is fine; only O second is refused
    ],
)
def test_valid_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_ni_number(raw) == expected


@pytest.mark.parametrize("letter", list("DFIQUV"))
def test_letters_never_used_in_either_position(letter: str) -> None:
    with pytest.raises(FieldError, match="never uses"):
        normalise_ni_number(f"{letter}A123456A")
    with pytest.raises(FieldError, match="never uses"):
        normalise_ni_number(f"A{letter}123456A")


def test_o_is_never_the_second_letter() -> None:
    with pytest.raises(FieldError, match="O as its second letter"):
        normalise_ni_number("AO123456A")


@pytest.mark.parametrize("prefix", ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"])
def test_unallocated_prefixes(prefix: str) -> None:
    with pytest.raises(FieldError, match="never allocated"):
        normalise_ni_number(f"{prefix}123456A")


# FY and OO are administrative too, but the letter rules already refuse them.
@pytest.mark.parametrize("prefix", ["CR", "MW", "NC", "PP", "PY", "PZ"])
def test_administrative_prefixes(prefix: str) -> None:
    with pytest.raises(FieldError, match="administrative"):
        normalise_ni_number(f"{prefix}123456A")


@pytest.mark.parametrize("suffix", list("EFMPZ"))
def test_suffix_is_a_to_d(suffix: str) -> None:
    with pytest.raises(FieldError, match="A, B, C or D"):
        normalise_ni_number(f"AB123456{suffix}")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "AB12345C",  # five digits
        "AB1234567C",  # seven
        "AB123456",  # no suffix
        "A1234567C",
        "1B123456C",
        "AB12345XC",
        "AB-12-34-56-C",
        "\uff21\uff22123456C",  # full-width
        "AB\u0661\u0662\u0663\u0664\u0665\u0666C",  # Arabic-Indic digits
        "AB123456C'; --",
        "A" * 5000,
        "QQ123456C",  # HMRC's own example: Q is never used
    ],
)
def test_malformed_numbers(raw: str) -> None:
    with pytest.raises(FieldError):
        normalise_ni_number(raw)


def test_non_string() -> None:
    with pytest.raises(FieldError):
        normalise_ni_number(123456789)


def test_every_accepted_prefix_obeys_every_rule() -> None:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    accepted = []
    for first, second in itertools.product(letters, repeat=2):
        try:
            normalise_ni_number(f"{first}{second}123456A")
        except FieldError:
            continue
        accepted.append(first + second)
    for prefix in accepted:
        assert not set(prefix) & set("DFIQUV")
        assert prefix[1] != "O"
        assert prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
    # 20 usable letters first, 19 second, less the 7 unallocated and the 6 administrative
    # prefixes that survive the letter rules (OO and FY are already out).
    assert len(accepted) == 20 * 19 - 7 - 6


def test_mask_shows_prefix_and_suffix_only() -> None:
    assert mask_ni_number("AB123456C") == "AB******C"
    with pytest.raises(ValueError):
        mask_ni_number("AB12")
