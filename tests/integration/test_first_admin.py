from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.auth import user_commands
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Role
from creditunion.auth.users import AdminExists, create_first_admin
from creditunion.business_date.clock import today_in_zone
from creditunion.commands import CommandContext, staff_context
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings, get_settings
from ledger.deadline import Deadline

FAST = Settings(
    environment="test",
    password_hash_time_cost=1,
    password_hash_memory_kib=8,
    password_hash_parallelism=1,
)


def _cli() -> CommandContext:
    return staff_context(
        Actor.system("cli"), business_date=dt.date(2026, 11, 25), deadline=Deadline.after(30)
    )


def test_the_first_admin_is_created_once_and_audited(fresh_engine: Engine) -> None:
    with unit_of_work(fresh_engine) as s:
        admin = user_commands.create_first_admin(
            s, _cli(), username="first.admin", password="a long enough passphrase", settings=FAST
        )

    with unit_of_work(fresh_engine) as s, pytest.raises(AdminExists):
        user_commands.create_first_admin(
            s, _cli(), username="second.admin", password="another passphrase", settings=FAST
        )

    assert admin.role is Role.ADMIN
    with unit_of_work(fresh_engine) as s:
        users = s.execute(text("SELECT username, role FROM users")).all()
        assert [tuple(u) for u in users] == [("first.admin", "admin")]
        records = s.execute(
            text("SELECT action, actor_username, target_id, business_date FROM audit_log")
        ).all()
        assert [tuple(r) for r in records] == [
            ("user.create_first_admin", "system:cli", str(admin.id), dt.date(2026, 11, 25))
        ]


def test_a_weak_password_is_refused_and_nothing_is_created(fresh_engine: Engine) -> None:
    with pytest.raises(ValueError), unit_of_work(fresh_engine) as s:
        create_first_admin(s, username="first.admin", password="short", settings=FAST)

    with unit_of_work(fresh_engine) as s:
        assert s.scalar(text("SELECT count(*) FROM users")) == 0


def test_the_command_line_creates_it(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from launch.cli import app

    monkeypatch.setattr("launch.cli.users.default_engine", lambda: fresh_engine)
    # The schema check every command makes first.
    monkeypatch.setattr("launch.cli.db.default_engine", lambda: fresh_engine)
    runner = CliRunner()

    first = runner.invoke(
        app,
        ["--actor", "ops.lead", "users", "create-admin", "--username", "it.person"],
        input="a long enough passphrase\na long enough passphrase\n",
    )
    second = runner.invoke(
        app,
        ["users", "create-admin", "--username", "other"],
        input="a long enough passphrase\na long enough passphrase\n",
    )

    assert first.exit_code == 0, first.output
    assert "admin it.person created" in first.output
    assert second.exit_code == 2
    with unit_of_work(fresh_engine) as s:
        record = s.execute(text("SELECT action, actor_username, business_date FROM audit_log"))
        # Before `creditunion init` there is no business date: the one init would start at.
        today = today_in_zone(get_settings().zone)
        assert tuple(record.one()) == ("user.create_first_admin", "cli:ops.lead", today)
