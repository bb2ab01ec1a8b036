"""The settlement bank's statement lines that match nothing in the books (breaks), and
their resolution by a staff member who explains them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from api.commands import staff_command
from api.domain import ID_MAX
from api.pagination import Page, PageRequest, paginate
from api.payments.schemas import NoteIn, StatementLineOut
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.payments import commands
from creditunion.payments.statements import list_breaks

router = api_router(tags=["payments"])

LineId = Annotated[int, Path(ge=1, le=ID_MAX, description="The statement line's id.", examples=[1])]
Resolving = Annotated[CommandContext, staff_command(Permission.PAYMENTS_MANAGE)]


@router.get("/statement-breaks", dependencies=[require(Permission.PAYMENTS_READ)])
def list_statement_breaks(
    session: DbSession, page: Annotated[PageRequest, Depends(paginate("statement-breaks"))]
) -> Page[StatementLineOut]:
    """Statement lines not matched in the books and not yet explained, oldest first"""
    rows = list_breaks(session, after_id=page.after_int() or 0, limit=page.fetch)
    return page.build(rows, position=lambda v: [v.id], convert=StatementLineOut.of)


@router.post("/statement-lines/{line_id}/resolve", responses=problem_responses(404, 409, 422))
def resolve_statement_line(
    session: DbSession, line_id: LineId, body: NoteIn, context: Resolving
) -> StatementLineOut:
    """Explain a break (a bank charge booked by journal, say); it leaves the list"""
    view = commands.resolve_statement_break(session, context, line_id=line_id, note=body.note)
    return StatementLineOut.of(view)
