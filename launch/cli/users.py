"""`creditunion users create-admin`: the first admin login of a new installation."""

from __future__ import annotations

from typing import Annotated, Final

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.auth.actor import Actor
from creditunion.auth.models import User
from creditunion.auth.user_commands import approve_staff_user, create_first_admin
from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.service import BusinessDateNotInitialised, current_business_date
from creditunion.commands import CommandContext, staff_context
from creditunion.errors import DomainError
from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli.db import require_schema_at_head
from ledger.deadline import Deadline

users_app = typer.Typer(no_args_is_help=True, help="Logins the API cannot create yet.")

# The audit trail names these logins' creator and approver the command line itself.
CLI: Final = Actor.system("cli")


def _context(session: Session) -> CommandContext:
    """The command line acting on the business date; on a new installation, before
    `creditunion init` set one, on the date init would start it at (today in the business
    time zone), since the first admin may come first."""
    settings = get_settings()
    try:
        business_date = current_business_date(session)
    except BusinessDateNotInitialised:
        business_date = today_in_zone(settings.zone)
    return staff_context(
        CLI, business_date=business_date, deadline=Deadline.after(settings.command_deadline_s)
    )


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="The admin's login name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            confirmation_prompt=True,
            hide_input=True,
            envvar="CREDITUNION_ADMIN_PASSWORD",
            help="Asked for when not given (or read from CREDITUNION_ADMIN_PASSWORD).",
        ),
    ],
) -> None:
    """Create the first admin; refused once an active admin exists (they add the others)."""
    require_schema_at_head()
    try:
        with unit_of_work(default_engine()) as session:
            view = create_first_admin(
                session,
                _context(session),
                username=username,
                password=password,
                settings=get_settings(),
            )
    except DomainError as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"admin {view.username} created (user {view.id}); sign in and add staff logins")


@users_app.command("approve")
def approve(username: Annotated[str, typer.Option(help="The login awaiting approval.")]) -> None:
    """Approve a manager's or admin's login awaiting a second administrator.

    For an installation with a single admin, who cannot approve their own proposals: the
    operator of the server (who holds its database anyway) approves instead. Recorded in
    the audit trail as the command line's.
    """
    require_schema_at_head()
    try:
        with unit_of_work(default_engine()) as session:
            user_id = session.scalar(
                select(User.id).where(func.lower(User.username) == username.lower())
            )
            if user_id is None:
                typer.echo(f"no login is named {username!r}", err=True)
                raise typer.Exit(2)
            view = approve_staff_user(session, _context(session), user_id=user_id)
    except DomainError as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{view.role.value} {view.username} approved (user {view.id}); they may sign in")
