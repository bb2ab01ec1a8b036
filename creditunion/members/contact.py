"""Email addresses and phone numbers: validated and normalised without any I/O (pure).

Email syntax is checked by `email-validator` with its DNS lookup switched off (a member's
mail server being down is no reason to refuse them). Phone numbers are parsed by
`phonenumbers` (Google's libphonenumber data): a number without a leading + is read as a
UK number, anything else must be a full international (E.164) number; both are stored as
E.164, e.g. "+447700900123".
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from creditunion.field_problems import FieldError

EMAIL_LENGTH_MAX: Final = 254
_PHONE_RAW_LENGTH_MAX: Final = 32
# What people type around the digits; letters (vanity numbers) and extensions are refused.
_PHONE_CHARACTERS: Final = re.compile(r"\+?[0-9 ()\-.]+")


def normalise_email(raw: object) -> str:
    if not isinstance(raw, str):
        raise FieldError("must be a string")
    candidate = raw.strip()
    if not candidate:
        raise FieldError("is required")
    if len(candidate) > EMAIL_LENGTH_MAX:
        raise FieldError(f"must be at most {EMAIL_LENGTH_MAX} characters")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldError(f"is not a valid email address: {exc}") from exc
    normalised = str(result.normalized)
    if len(normalised) > EMAIL_LENGTH_MAX:
        raise FieldError(f"must be at most {EMAIL_LENGTH_MAX} characters")
    return normalised


def normalise_phone(raw: object) -> str:
    if not isinstance(raw, str):
        raise FieldError("must be a string")
    candidate = raw.strip()
    if not candidate:
        raise FieldError("is required")
    if len(candidate) > _PHONE_RAW_LENGTH_MAX or not _PHONE_CHARACTERS.fullmatch(candidate):
        raise FieldError("must be a UK number or an international number starting with +")
    try:
        number = phonenumbers.parse(candidate, "GB")
    except phonenumbers.NumberParseException as exc:
        raise FieldError(f"is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise FieldError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
