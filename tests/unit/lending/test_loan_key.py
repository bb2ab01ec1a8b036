"""The client's key as the loans services keep it: the form every version has kept, so a
repayment retried across an upgrade still finds the one it made."""

from __future__ import annotations

import datetime as dt

import pytest

from creditunion.auth.actor import Actor
from creditunion.auth.roles import Role
from creditunion.commands import (
    CommandContext,
    IdempotencyKey,
    MissingIdempotencyKey,
    staff_context,
)
from creditunion.lending.commands import loan_key
from ledger.deadline import Deadline


def _context(key: str | None, *, user_id: int = 7) -> CommandContext:
    return staff_context(
        Actor(user_id, "teller", Role.TELLER),
        business_date=dt.date(2026, 1, 5),
        deadline=Deadline.after(30),
        idempotency=None if key is None else IdempotencyKey("http", str(user_id), key),
    )


def test_a_key_that_fits_is_kept_as_the_ledger_form() -> None:
    assert loan_key(_context("pay-1")) == "http:7:pay-1"
    fits = "k" * 93  # "http:7:" and 93 characters: exactly 100
    assert loan_key(_context(fits)) == f"http:7:{fits}"


def test_a_longer_key_is_kept_as_its_sha256() -> None:
    digest = "6e52b819e46762b5816cb3cdb519da3ae366f2fef0978166f8f10b410fb1d501"  # of "k" * 94
    assert loan_key(_context("k" * 94)) == f"http:7:sha256:{digest}"
    # Too long for the ledger as well (over 200): the same form, not the ledger's truncation.
    assert loan_key(_context("k" * 200)).startswith("http:7:sha256:")
    assert len(loan_key(_context("k" * 200, user_id=123_456_789))) <= 100


def test_a_context_without_a_key_has_none() -> None:
    with pytest.raises(MissingIdempotencyKey):
        loan_key(_context(None))
