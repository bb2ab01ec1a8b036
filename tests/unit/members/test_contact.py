from __future__ import annotations

import pytest

from creditunion.field_problems import FieldError
from creditunion.members.contact import normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@example.org", "jane@example.org"),
        ("  Jane.Doe+cu@Example.ORG ", "Jane.Doe+cu@example.org"),  # the domain is lower-cased
        ("o'brien@example.co.uk", "o'brien@example.co.uk"),
        ("zoë@exämple.de", "zoë@exämple.de"),  # internationalised
    ],
)
def test_valid_emails(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plainaddress",
        "@example.org",
        "jane@",
        "jane@@example.org",
        "jane@example",  # no top-level domain
        "jane doe@example.org",
        '"jane"@example.org',  # quoted local parts are refused
        "jane@[127.0.0.1]",  # so are address literals
        "jane@example.org; DROP TABLE members",
        "jane@exa\nmple.org",
        "a" * 250 + "@example.org",
        "j" * 100_000,
    ],
)
def test_invalid_emails(raw: str) -> None:
    with pytest.raises(FieldError):
        normalise_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07911 123456", "+447911123456"),
        ("07911123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("+44 (0) 20 7946 0018", "+442079460018"),
        ("(020) 7946-0018", "+442079460018"),
        ("020.7946.0018", "+442079460018"),
        ("0161 496 0000", "+441614960000"),
        ("+1 202 555 0143", "+12025550143"),  # any country in E.164
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_valid_phones_become_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "07911",  # too short
        "0791112345678",  # too long for the UK
        "07700 900123",  # Ofcom's drama range: not a number anyone has
        "+999 1234567",  # no such country
        "0800-FLOWERS",  # letters
        "07911 123456 ext 12",
        "+44 7911 123456; DROP TABLE members",
        "\u0660\u0667\u0669\u0661\u0661\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic digits
        "1" * 1000,
    ],
)
def test_invalid_phones(raw: str) -> None:
    with pytest.raises(FieldError):
        normalise_phone(raw)


@pytest.mark.parametrize("raw", [None, 7911123456, ["07911 123456"]])
def test_non_strings(raw: object) -> None:
    with pytest.raises(FieldError):
        normalise_phone(raw)
    with pytest.raises(FieldError):
        normalise_email(raw)
