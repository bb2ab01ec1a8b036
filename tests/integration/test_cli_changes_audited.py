"""Every command of the `creditunion` command line that changes the books or the logins
writes exactly one audit record of its own, naming the operator (`--actor`).

The commands come from the command line itself: each is either in `CHANGES` (run here on a
database of the test's own, and its records counted) or in `NOT_CHANGES` with the reason
it writes no record of its own, so a new command cannot be forgotten.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
import typer.main
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from creditunion.audit.money_settings import ACTION as SETTINGS_ACTION
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Role
from creditunion.auth.users import create_first_admin, create_staff_user
from creditunion.business_date.clock import today_in_zone
from creditunion.initial_data import initialise
from creditunion.payments.config import PaymentConfig
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from creditunion.payments.models import OutboundPayment, Scheme
from creditunion.payments.nominations import BankDetails, destination_of, nominate
from creditunion.payments.outbound import PayoutRequest, pay_out
from creditunion.payments.outbound_files import produce_outbound_file
from creditunion.payments.settlement_calendar import Rail
from creditunion.platform.database import default_engine, libpq_url, unit_of_work
from creditunion.platform.settings import Settings, get_settings
from creditunion.shares.movements import deposit_cash
from launch.cli import app
from ledger.money import Money
from ledger.ownership import STAFF
from ledger.periods import close_business_date
from tests.factories import ShareAccountFactory

OPERATOR: Final = "sweeper"
OPERATOR_ACTOR: Final = f"cli:{OPERATOR}"
PASSPHRASE: Final = "a long enough passphrase"
FAST = Settings(
    environment="test",
    password_hash_time_cost=1,
    password_hash_memory_kib=8,
    password_hash_parallelism=1,
)

runner = CliRunner()


@dataclass(frozen=True)
class CliChange:
    """A command that changes state: how to prepare for it, its arguments, the action of
    its one record, and the records it may write besides (each with its reason)."""

    args: Callable[[Engine], list[str]]
    action: str
    prepare: Callable[[Engine], None] | None = None
    besides: Callable[[Engine], Counter[str]] | None = None
    stdin: str | None = None


def _books_today(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        initialise(session, settings=Settings(base_currency="GBP"), business_date=_today())


def _today() -> dt.date:
    return today_in_zone(get_settings().zone)


def _admin(session: Any) -> Actor:
    view = create_first_admin(session, username="first.admin", password=PASSPHRASE, settings=FAST)
    return Actor(user_id=view.id, username=view.username, role=Role.ADMIN)


def _proposed_manager(engine: Engine) -> None:
    """A manager's login the only admin proposed: the operator approves it instead."""
    with unit_of_work(engine) as session:
        create_staff_user(
            session,
            username="new.manager",
            password=PASSPHRASE,
            role=Role.MANAGER,
            actor=_admin(session),
            settings=FAST,
        )


def _closed_unsealed_day(engine: Engine) -> None:
    """A day with a posting, closed by the ledger alone (as before sealing existed)."""
    _books_today(engine)
    day = _today()
    with unit_of_work(engine) as session:
        account = ShareAccountFactory.create(session=session, business_date=day)
        deposit_cash(
            session,
            share_account_id=account.id,
            amount=Money("10.00", "GBP"),
            actor="user:teller-1",
            idempotency_key=f"cli-audit:{uuid.uuid4()}",
            business_date=day,
        )
        close_business_date(session, business_date=day, closed_by="tests")


# The payment files the payments commands write and read; a directory of the run's own.
PAYMENT_FILES: Final = Path(tempfile.mkdtemp(prefix="cli-payments-"))
STATUS_REPORT: Final = PAYMENT_FILES / "pain002.xml"
PAYMENT_CONFIG: Final = PaymentConfig(
    rail=Rail.FASTER_PAYMENTS,
    currency="GBP",
    settlement_bank_id="400000",
    settlement_account_number="11112222",
    originator_name="CLI CU",
    cooling_off_days=0,
    approval_limit=Money("1000.00", "GBP"),
    ach=None,
)


def _payment_due(engine: Engine) -> None:
    """A member's payment to their nominated account, due today."""
    _books_today(engine)
    day = _today()
    with unit_of_work(engine) as session:
        account = ShareAccountFactory.create(session=session, business_date=day)
        deposit_cash(
            session,
            share_account_id=account.id,
            amount=Money("50.00", "GBP"),
            actor="user:teller-1",
            idempotency_key=f"cli-pay:{uuid.uuid4()}",
            business_date=day,
        )
        nominate(
            session,
            member_id=account.member_id,
            scope=STAFF,
            destination=destination_of(BankDetails("A Member", "55779911", "200000"), Scheme.UK),
            by_member=False,
            cooling_off_days=0,
            actor="user:teller-1",
            business_date=day,
        )
        pay_out(
            session,
            request=PayoutRequest(account.id, Money("20.00", "GBP"), None),
            scope=STAFF,
            config=PAYMENT_CONFIG,
            actor="user:teller-1",
            idempotency_key=f"cli-pay:{uuid.uuid4()}",
            business_date=day,
        )


def _status_report_to_import(engine: Engine) -> None:
    """A payment sent in a file, and the bank's report settling it, written to a file."""
    _payment_due(engine)
    with unit_of_work(engine) as session:
        sent = produce_outbound_file(
            session,
            config=PAYMENT_CONFIG,
            actor="user:manager-1",
            business_date=_today(),
            created_at=dt.datetime.now(dt.UTC),
        )
        end_to_end = session.scalars(
            select(OutboundPayment.end_to_end_id).where(OutboundPayment.file_id == sent.id)
        ).one()
    report = StatusReport(
        message_id=f"BANK{uuid.uuid4().hex[:20]}",
        created_at=dt.datetime.now(dt.UTC),
        original_message_id=sent.message_id,
        original_message_name="pain.001.001.09",
        group_status=None,
        transactions=(TransactionStatus(end_to_end, None, "ACSC", None, None),),
    )
    STATUS_REPORT.write_bytes(write_pain002(report))


def _completed_steps(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return int(
            session.scalar(text("SELECT count(*) FROM cob_step_runs WHERE status = 'completed'"))
            or 0
        )


def _steps_and_settings(engine: Engine) -> Counter[str]:
    # Close of business records each step it completed (as itself, tested in
    # tests/integration/cob/test_every_step_audited.py) and, on a first run, the money
    # settings it runs under.
    return Counter({"cob.step": _completed_steps(engine), SETTINGS_ACTION: 1})


def _beyond_today(engine: Engine) -> Counter[str]:
    # The option is recorded before anything is closed, so it stands if the run dies.
    return _steps_and_settings(engine) + Counter({"cob.run_beyond_today": 1})


CHANGES: Final[dict[str, tuple[CliChange, ...]]] = {
    "init": (CliChange(lambda e: ["init"], "setup.initialise"),),
    "users create-admin": (
        CliChange(
            lambda e: ["users", "create-admin", "--username", "it.person"],
            "user.create_first_admin",
            stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n",
        ),
    ),
    "users approve": (
        CliChange(
            lambda e: ["users", "approve", "--username", "new.manager"],
            "user.approve",
            prepare=_proposed_manager,
        ),
    ),
    "cob run": (
        CliChange(
            lambda e: ["cob", "run"], "cob.run", prepare=_books_today, besides=_steps_and_settings
        ),
        CliChange(
            lambda e: [
                "cob",
                "run",
                "--beyond-today",
                "--until",
                (_today() + dt.timedelta(days=1)).isoformat(),
            ],
            "cob.run",
            prepare=_books_today,
            besides=_beyond_today,
        ),
    ),
    "audit seal": (
        CliChange(lambda e: ["audit", "seal"], "audit.seal", prepare=_closed_unsealed_day),
    ),
    "payments produce": (
        CliChange(
            lambda e: ["payments", "produce", "--out", str(PAYMENT_FILES)],
            "payment_file.produce",
            prepare=_payment_due,
        ),
    ),
    "payments import": (
        CliChange(
            lambda e: ["payments", "import", str(STATUS_REPORT)],
            "payment_file.import",
            prepare=_status_report_to_import,
        ),
    ),
}

NOT_CHANGES: Final[dict[str, str]] = {
    "audit verify": "a read (recorded as `ledger.verify`, tests/integration/cob/"
    "test_operator_audit.py)",
    "cob history": "a read",
    "db status": "a read of the embedded server's state",
    "db stop": "stops the embedded database server; no data changes",
    "db upgrade": "the schema, not the books: each migration is recorded in alembic_version",
    "demo": "builds a whole demo credit union (members, loans, 90 days of close of "
    "business) through the services, for a demonstration database",
    "scheduler": "a long-running service: each close of business it starts is recorded as "
    "`cob run`'s are (cob.run, cob.step)",
    "serve": "a long-running server: the API's own changes are swept in "
    "tests/api/test_every_change_audited.py; its money settings in tests/integration/"
    "export/test_settings_changes.py",
    **{
        f"export {report}": "a read (recorded as `export.*` with the manifest's hash)"
        for report in (
            "audit-log",
            "chart-of-accounts",
            "cut-off",
            "gl",
            "interest-report",
            "journal",
            "loan-book",
            "member-balances",
            "reconciliation",
            "settings-changes",
            "statement",
            "trial-balance",
            "user-access",
        )
    },
}

CASES = [(name, change) for name, changes in CHANGES.items() for change in changes]
CASE_IDS = [f"{name} #{n}" for name, changes in CHANGES.items() for n in range(len(changes))]


def _commands() -> set[str]:
    """Every command of the command line, as `group command`."""

    def walk(command: Any, prefix: str) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            yield prefix
            return
        for name, sub in subcommands.items():
            yield from walk(sub, f"{prefix} {name}".strip())

    return set(walk(typer.main.get_command(app), ""))


@pytest.fixture
def cli_database(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The command line pointed at the test's own database."""
    monkeypatch.setenv("DATABASE_URL", libpq_url(fresh_engine.url.render_as_string(False)))
    monkeypatch.delenv("CREDITUNION_ACTOR", raising=False)
    monkeypatch.setenv("CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID", "400000")
    monkeypatch.setenv("CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER", "11112222")
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield fresh_engine
    get_settings.cache_clear()
    default_engine.cache_clear()


def _records_since(engine: Engine, after_id: int) -> list[tuple[str, str | None]]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            text("SELECT action, actor_username FROM audit_log WHERE id > :a ORDER BY id"),
            {"a": after_id},
        ).all()
    return [(row[0], row[1]) for row in rows]


def _last_record_id(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_log")) or 0)


def test_every_command_is_classified() -> None:
    commands = _commands()
    unclassified = sorted(commands - set(CHANGES) - set(NOT_CHANGES))
    assert not unclassified, f"say whether these change state, and test them: {unclassified}"
    gone = sorted((set(CHANGES) | set(NOT_CHANGES)) - commands)
    assert not gone, f"entries for commands that no longer exist: {gone}"
    assert not set(CHANGES) & set(NOT_CHANGES)


@pytest.mark.parametrize(("name", "change"), CASES, ids=CASE_IDS)
def test_a_command_that_changes_state_writes_one_record_of_its_own(
    cli_database: Engine, name: str, change: CliChange
) -> None:
    if change.prepare is not None:
        change.prepare(cli_database)
    before = _last_record_id(cli_database)

    result = runner.invoke(
        app, ["--actor", OPERATOR, *change.args(cli_database)], input=change.stdin
    )

    assert result.exit_code == 0, result.output
    written = _records_since(cli_database, before)
    allowed = change.besides(cli_database) if change.besides is not None else Counter()
    own = [(action, actor) for action, actor in written if allowed[action] == 0]
    assert len(own) == 1, f"`{name}` must write exactly one record of its own: {written}"
    action, actor = own[0]
    assert action == change.action, f"`{name}` wrote {own}"
    assert actor == OPERATOR_ACTOR, f"`{name}` must name its operator (--actor): {own}"
    besides = Counter(action for action, _ in written if allowed[action] > 0)
    assert besides <= allowed, f"`{name}` wrote more than its own record allows: {written}"
