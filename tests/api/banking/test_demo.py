"""`creditunion demo`: seeds a consistent credit union once, and its logins work on the API."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.app import create_app
from creditunion.approvals.models import ApprovalStatus, PendingApproval
from creditunion.demo import HISTORY_DAYS, run_demo
from creditunion.demo.people import DemoRefused
from creditunion.initial_data import initialise
from creditunion.members.models import Member, MemberStatus
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from ledger.invariants import check_invariants
from ledger.models import JournalEntry
from ledger.periods import closed_through
from ledger.verify import verify
from tests.api.conftest import DEMO_MEMBERS, DEMO_TODAY, SeededDemo

TODAY = DEMO_TODAY


def test_the_demo_seeds_once_and_its_logins_sign_in(
    demo: SeededDemo, api_settings: Settings
) -> None:
    fresh_engine, first = demo.engine, demo.report
    again = run_demo(fresh_engine, settings=api_settings, today=TODAY + dt.timedelta(days=3))

    assert first.created and not again.created
    assert first.history_from == TODAY - dt.timedelta(days=HISTORY_DAYS)
    assert first.business_date == again.business_date == TODAY
    assert demo.days_reported == list(range(1, HISTORY_DAYS + 1))
    assert (again.members, again.accounts, again.entries) == (
        first.members,
        first.accounts,
        first.entries,
    )
    assert first.members == DEMO_MEMBERS and first.entries > DEMO_MEMBERS * 5
    assert first.trial_balance.balanced
    with unit_of_work(fresh_engine) as session:
        assert check_invariants(session).ok
        statuses = dict(
            session.execute(select(Member.status, func.count()).group_by(Member.status)).all()
        )
        assert statuses == {MemberStatus.ACTIVE: DEMO_MEMBERS}
        pending = session.scalars(
            select(PendingApproval.kind).where(PendingApproval.status == ApprovalStatus.PENDING)
        ).all()
        assert sorted(pending) == ["cash_withdrawal", "cash_withdrawal", "reversal"]
        dates = session.execute(
            select(func.min(JournalEntry.business_date), func.max(JournalEntry.business_date))
        ).one()
        assert dates == (first.history_from, TODAY - dt.timedelta(days=1))
        # Each day of history ended with close of business: closed, sealed, verified.
        assert closed_through(session) == TODAY - dt.timedelta(days=1)
        report = verify(session)
        assert report.ok and report.days_verified == HISTORY_DAYS

    with TestClient(create_app(api_settings, engine=fresh_engine)) as client:
        for login in first.logins:
            token = client.post(
                "/v1/auth/token", data={"username": login.username, "password": login.password}
            )
            assert token.status_code == 200, login
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            me = client.get("/v1/auth/me", headers=headers).json()
            assert me["role"] == login.role.value
        mine = client.get("/v1/me/accounts", headers=headers).json()
        assert mine and all(a["balance"]["amount"] != "0.00" for a in mine[:1])


def test_the_demo_refuses_a_database_already_running_at_a_later_date(
    fresh_engine: Engine, api_settings: Settings
) -> None:
    with unit_of_work(fresh_engine) as session:
        initialise(session, settings=api_settings, business_date=TODAY)
    with pytest.raises(DemoRefused, match="new database"):
        run_demo(fresh_engine, settings=api_settings, today=TODAY, members=3)
    with unit_of_work(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 0
