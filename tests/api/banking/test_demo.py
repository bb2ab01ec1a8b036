"""`creditunion demo`: seeds a consistent credit union once, and its logins work on the API."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.app import create_app
from creditunion.approvals.models import ApprovalStatus, PendingApproval
from creditunion.audit.models import AuditRecord
from creditunion.auth.models import User
from creditunion.demo import HISTORY_DAYS, run_demo
from creditunion.demo.people import DemoRefused
from creditunion.initial_data import initialise
from creditunion.members.models import Member, MemberStatus
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.shares.movements import KIND_DEPOSIT
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


def test_the_demos_changes_are_audited_as_its_users_acting(
    demo: SeededDemo, api_settings: Settings
) -> None:
    """The demo runs the API's commands, so its changes are in the audit log under the demo's
    users, once each: a second run, which changes nothing, records nothing."""
    engine = demo.engine
    with unit_of_work(engine) as session:
        teller = session.scalar(select(User).where(User.username == "demo.teller"))
        assert teller is not None

        def by_action(action: str) -> list[tuple[int | None, str | None]]:
            rows = session.execute(
                select(AuditRecord.actor_user_id, AuditRecord.target_id).where(
                    AuditRecord.action == action
                )
            ).all()
            return [(actor, target) for actor, target in rows]

        registered = by_action("member.register")
        member_ids = session.scalars(select(Member.id)).all()
        assert len(member_ids) == DEMO_MEMBERS
        assert sorted(registered) == sorted((teller.id, str(m)) for m in member_ids)
        opened = by_action("share_account.open")
        assert len(opened) == demo.report.accounts
        assert {actor for actor, _ in opened} == {teller.id}
        # Each cash deposit the teller's command posted (keyed `demo:{teller id}:...`) is
        # recorded once as cash.deposit.
        keyed_deposits = session.scalars(
            select(JournalEntry.id).where(
                JournalEntry.kind == KIND_DEPOSIT,
                JournalEntry.idempotency_key.startswith(f"demo:{teller.id}:"),
            )
        ).all()
        deposits = session.execute(
            select(AuditRecord.actor_user_id, AuditRecord.summary).where(
                AuditRecord.action == "cash.deposit"
            )
        ).all()
        assert len(keyed_deposits) >= DEMO_MEMBERS  # every member's joining deposit at least
        assert sorted(summary["entry_id"] for _, summary in deposits) == sorted(
            str(entry_id) for entry_id in keyed_deposits
        )
        assert {actor for actor, _ in deposits} == {teller.id}
        assert len(by_action("cash.withdrawal")) == 2  # the two left for the checkers
        assert len(by_action("reversal.request")) == 1
        assert len(by_action("loan.disburse")) == 4
        assert len(by_action("loan_application.submit")) == 7
        before = session.scalar(select(func.count()).select_from(AuditRecord))
    run_demo(engine, settings=api_settings, today=TODAY)
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == before
