"""`creditunion users create-admin`: the first admin login of a new installation."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func, select

from creditunion.auth.models import User
from creditunion.auth.user_commands import approve_staff_user, create_first_admin
from creditunion.errors import DomainError
from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.settings import get_settings
from launch.cli.context import operator_context
from launch.cli.db import require_schema_at_head

users_app = typer.Typer(no_args_is_help=True, help="Logins the API cannot create yet.")


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
                operator_context(session),
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
            view = approve_staff_user(session, operator_context(session), user_id=user_id)
    except DomainError as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{view.role.value} {view.username} approved (user {view.id}); they may sign in")
