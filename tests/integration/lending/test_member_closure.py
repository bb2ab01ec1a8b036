"""A member who owes a loan cannot be closed by a caller that passes the application's
closure checks, as every caller of the status change must name them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from creditunion.lending.closure import MEMBER_CLOSURE_CHECKS
from creditunion.members.closure import MemberClosureRefused
from creditunion.members.models import MemberStatus
from creditunion.members.service import change_member_status
from creditunion.platform.database import unit_of_work
from tests.factories_loans import MANAGER, TODAY, make_loan


def test_a_member_who_owes_a_loan_is_not_closed(fresh_engine: Engine) -> None:
    _, _, borrower = make_loan(fresh_engine, amount="500")
    with unit_of_work(fresh_engine) as s, pytest.raises(MemberClosureRefused) as refused:
        change_member_status(
            s,
            member_id=borrower.member_id,
            status=MemberStatus.CLOSED,
            actor=MANAGER,
            business_date=TODAY,
            closure_checks=MEMBER_CLOSURE_CHECKS,
        )
    assert "the member has 1 loan(s) still owed" in refused.value.reasons
