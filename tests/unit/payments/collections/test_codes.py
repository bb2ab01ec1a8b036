"""The reason tables: what each unpaid or ADDACS code leads to."""

from __future__ import annotations

import pytest

from creditunion.payments.collections.codes import (
    ADDACS,
    UK_UNPAID,
    US_UNPAID,
    Action,
    unpaid_reason,
)


@pytest.mark.parametrize(
    ("us", "code", "action"),
    [
        (False, "AM04", Action.REPRESENT),
        (False, "AC04", Action.CANCEL),
        (False, "MD06", Action.STOP),
        (True, "R01", Action.REPRESENT),
        (True, "R09", Action.REPRESENT),
        (True, "R02", Action.CANCEL),
        (True, "R03", Action.CANCEL),
        (True, "R10", Action.CANCEL),
        (True, "R08", Action.STOP),
    ],
)
def test_each_reason_leads_where_the_scheme_says(us: bool, code: str, action: Action) -> None:
    assert unpaid_reason(us, code).action is action


@pytest.mark.parametrize(("us", "code"), [(False, "ZZ99"), (True, "R99"), (False, None)])
def test_a_reason_we_do_not_know_is_never_asked_for_again(us: bool, code: str | None) -> None:
    reason = unpaid_reason(us, code)
    assert reason.action is Action.STOP
    assert reason.code == (code or "")


def test_only_refer_to_payer_and_insufficient_funds_are_asked_for_again() -> None:
    again = {
        c
        for table in (UK_UNPAID, US_UNPAID)
        for c, r in table.items()
        if r.action is Action.REPRESENT
    }
    assert again == {"AM04", "MS03", "R01", "R09"}
    assert {r.scheme_code for r in UK_UNPAID.values() if r.action is Action.REPRESENT} == {"0"}


def test_every_addacs_advice_applied_ends_the_mandate() -> None:
    assert {r.action for r in ADDACS.values()} == {Action.CANCEL}
    assert "E" not in ADDACS and "R" not in ADDACS
