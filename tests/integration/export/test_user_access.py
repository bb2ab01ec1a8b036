"""Staff access: logins and roles at the end of a date and their changes from
the audit log; a later change leaves a past date's export alone; members' logins left out;
every format with its manifest and the same bytes twice; the CLI.

Audit and creation times are set as a superuser would (the audit log refuses updates),
since a test cannot wait for the clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from creditunion.auth.actor import Actor
from creditunion.auth.roles import Role
from creditunion.auth.user_commands import approve_staff_user, create_staff_user, deactivate_user
from creditunion.commands import CommandContext, staff_context
from creditunion.exports.user_access import user_access_report
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli import app
from ledger.deadline import Deadline
from ledger.export.run import ExportFormat
from tests.evidence_helpers import check_every_format, csv_rows, export
from tests.factories_loans import member
from tests.seal_helpers import tamper

LONDON = ZoneInfo("Europe/London")
PASSWORD = "correct-horse-battery-9"
runner = CliRunner()


def _admin(engine: Engine, name: str) -> Actor:
    with unit_of_work(engine) as s:
        user_id = s.execute(
            text(
                "INSERT INTO users (username, password_hash, role, created_at) "
                "VALUES (:u, 'x', 'admin', '2026-01-01T09:00:00Z') RETURNING id"
            ),
            {"u": name},
        ).scalar_one()
    return Actor(user_id=int(user_id), username=name, role=Role.ADMIN)


def _as(actor: Actor, day: dt.date) -> CommandContext:
    return staff_context(actor, business_date=day, deadline=Deadline.after(30))


def _at(engine: Engine, action: str, user_id: int, when: str) -> None:
    tamper(
        engine,
        "audit_log",
        "UPDATE audit_log SET occurred_at = %s WHERE action = %s AND target_id = %s",
        (when, action, str(user_id)),
    )


@pytest.fixture
def staff(fresh_engine: Engine) -> dict[str, int]:
    """Admins Ada and Abe (1 January). On 2 March Ada creates Tina (teller, 09:00 UTC) and
    Mona (manager, 10:00: awaits a second admin). Abe approves Mona on 5 March; Ada
    deactivates Tina on 10 March at 16:00. A member's app login exists too."""
    ada, abe = _admin(fresh_engine, "ada"), _admin(fresh_engine, "abe")
    settings = get_settings()
    with unit_of_work(fresh_engine) as s:
        tina = create_staff_user(
            s,
            _as(ada, dt.date(2026, 3, 2)),
            username="tina",
            password=PASSWORD,
            role=Role.TELLER,
            settings=settings,
        ).id
        mona = create_staff_user(
            s,
            _as(ada, dt.date(2026, 3, 2)),
            username="mona",
            password=PASSWORD,
            role=Role.MANAGER,
            settings=settings,
        ).id
    with unit_of_work(fresh_engine) as s:
        approve_staff_user(s, _as(abe, dt.date(2026, 3, 5)), user_id=mona)
        deactivate_user(
            s,
            _as(ada, dt.date(2026, 3, 10)),
            user_id=tina,
            now=dt.datetime(2026, 3, 10, 16, tzinfo=dt.UTC),
        )
        s.execute(
            text(
                "UPDATE users SET created_at = CASE id WHEN :t THEN "
                "CAST('2026-03-02T09:00:00Z' AS timestamptz) "
                "ELSE CAST('2026-03-02T10:00:00Z' AS timestamptz) END WHERE id IN (:t, :m)"
            ),
            {"t": tina, "m": mona},
        )
    someone = member(fresh_engine)
    with unit_of_work(fresh_engine) as s:
        s.execute(
            text(
                "INSERT INTO users (username, password_hash, role, member_id, created_at) "
                "VALUES ('member1', 'x', 'member', :m, '2026-03-03T09:00:00Z')"
            ),
            {"m": someone.member_id},
        )
    _at(fresh_engine, "user.create", tina, "2026-03-02T09:00:00Z")
    _at(fresh_engine, "user.create", mona, "2026-03-02T10:00:00Z")
    _at(fresh_engine, "user.approve", mona, "2026-03-05T12:00:00Z")
    _at(fresh_engine, "user.deactivate", tina, "2026-03-10T16:00:00Z")
    return {"ada": ada.user_id or 0, "abe": abe.user_id or 0, "tina": tina, "mona": mona}


def _access(
    engine: Engine, tmp_path: Path, start: dt.date, end: dt.date
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    out = tmp_path / f"access-{end}.csv"
    export(
        engine,
        lambda s: user_access_report(s, from_date=start, to_date=end, zone=LONDON),
        ExportFormat.CSV,
        out,
    )
    return csv_rows(out), csv_rows(out.with_name(f"{out.stem}.changes.csv"))


def _status(users: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(u["username"], u["role"], u["status"]) for u in users]


def test_logins_and_roles_at_a_date_and_their_changes(
    fresh_engine: Engine, staff: dict[str, int], tmp_path: Path
) -> None:
    users, changes = _access(fresh_engine, tmp_path, dt.date(2026, 3, 1), dt.date(2026, 3, 4))
    assert [int(u["user_id"]) for u in users] == [staff[n] for n in ("ada", "abe", "tina", "mona")]
    assert _status(users) == [
        ("ada", "admin", "active"),
        ("abe", "admin", "active"),
        ("tina", "teller", "active"),
        ("mona", "manager", "pending approval"),
    ]
    tina = users[2]
    assert (tina["created_at"], tina["created_by"], tina["deactivated_at"]) == (
        "2026-03-02T09:00:00.000000Z",
        "ada",
        "",
    )
    assert [(c["action"], c["username"], c["actor_username"]) for c in changes] == [
        ("user.create", "tina", "ada"),
        ("user.create", "mona", "ada"),
    ]
    assert changes[1]["summary"] == (
        '{"role": "manager", "username": "mona", "approval_pending": true}'
    )

    users, changes = _access(fresh_engine, tmp_path, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert _status(users)[2:] == [("tina", "teller", "deactivated"), ("mona", "manager", "active")]
    assert (users[2]["deactivated_at"], users[2]["deactivated_by"]) == (
        "2026-03-10T16:00:00.000000Z",
        "ada",
    )
    assert (users[3]["approved_at"], users[3]["approved_by"]) == (
        "2026-03-05T12:00:00.000000Z",
        "abe",
    )
    assert [(c["action"], c["username"]) for c in changes] == [
        ("user.create", "tina"),
        ("user.create", "mona"),
        ("user.approve", "mona"),
        ("user.deactivate", "tina"),
    ]
    # Before anyone was created on 2 March, only the two admins had access.
    users, changes = _access(fresh_engine, tmp_path, dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert _status(users) == [("ada", "admin", "active"), ("abe", "admin", "active")]
    assert changes == []


@pytest.mark.usefixtures("staff")
def test_every_format_the_same_twice_with_its_manifest(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    results = check_every_format(
        fresh_engine,
        lambda s: user_access_report(
            s, from_date=dt.date(2026, 3, 1), to_date=dt.date(2026, 3, 31), zone=LONDON
        ),
        tmp_path,
        "access",
    )
    parts = results[ExportFormat.CSV].manifest["parts"]
    assert (parts["users"]["rows"], parts["changes"]["rows"]) == (4, 4)


@pytest.mark.usefixtures("cli_env", "staff")
def test_the_cli_writes_user_access(tmp_path: Path) -> None:
    out = tmp_path / "access.csv"
    args = ["export", "user-access", "--from", "2026-03-01", "--to", "2026-03-31"]
    result = runner.invoke(app, [*args, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "users: 4 rows" in result.output and "changes: 4 rows" in result.output
