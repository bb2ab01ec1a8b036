"""Files exchanged with the settlement bank: producing the file of payments due, importing
what the bank sends, and reading any file back byte for byte.

A payment goes in exactly one file. A file from the bank is checked whole before anything
posts; the same file again (the same bytes or the same message id) is refused (409) and
posts nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from api.commands import staff_command
from api.domain import ID_MAX
from api.pagination import Page, PageRequest, paginate
from api.payments.inputs import (
    BANK_FILE_BODY,
    TEXT_MEDIA_TYPE,
    XML_MEDIA_TYPES,
    BankFile,
    PaymentSettings,
)
from api.payments.schemas import BankFileOut, PaymentFileOut
from api.problems import problem_responses, response_for
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.errors import DomainError
from creditunion.payments import commands, queries

router = api_router(prefix="/payment-files", tags=["payments"])

FileId = Annotated[int, Path(ge=1, le=ID_MAX, description="The file's id.", examples=[1])]
Producing = Annotated[CommandContext, staff_command(Permission.PAYMENTS_MANAGE)]
# Importing posts (settlements, rejections back to members), so it takes a key.
Importing = Annotated[CommandContext, staff_command(Permission.PAYMENTS_MANAGE, money=True)]
CONTENT_RESPONSE: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "The file's bytes: ISO 20022 messages as XML, NACHA files as text.",
        "content": {
            XML_MEDIA_TYPES[0]: {"schema": {"type": "string"}},
            TEXT_MEDIA_TYPE: {"schema": {"type": "string"}},
        },
        "headers": {
            "Content-Disposition": {
                "description": 'attachment; filename="payment-file-<id>.<xml|txt>"',
                "schema": {"type": "string"},
            }
        },
    },
    **problem_responses(404),
}


@router.post("", status_code=201, responses=problem_responses(409))
def produce_file(session: DbSession, context: Producing, config: PaymentSettings) -> PaymentFileOut:
    """Produce the file of the payments due today, for the settlement bank

    Every payment due goes in (each then `sent`); none due is a 409.
    """
    view = commands.produce_file(
        session, context, config=config, created_at=dt.datetime.now(dt.UTC)
    )
    return PaymentFileOut.of(view)


@router.get("", dependencies=[require(Permission.PAYMENT_FILES_READ)])
def list_files(
    session: DbSession, page: Annotated[PageRequest, Depends(paginate("payment-files"))]
) -> Page[PaymentFileOut]:
    """Files sent to and received from the bank, oldest first"""
    rows = queries.list_files(session, after_id=page.after_int() or 0, limit=page.fetch)
    return page.build(rows, position=lambda v: [v.id], convert=PaymentFileOut.of)


@router.get(
    "/{file_id}/content",
    dependencies=[require(Permission.PAYMENT_FILES_READ)],
    response_class=Response,
    responses=CONTENT_RESPONSE,
)
def file_content(session: DbSession, file_id: FileId) -> Response:
    """A file's bytes, exactly as sent or received"""
    view, content = queries.get_file(session, file_id=file_id)
    xml = view.kind.startswith(("pain.", "camt."))
    return Response(
        content,
        media_type=XML_MEDIA_TYPES[0] if xml else TEXT_MEDIA_TYPE,
        headers={
            "Content-Disposition": (
                f'attachment; filename="payment-file-{view.id}.{"xml" if xml else "txt"}"'
            ),
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/imports",
    status_code=201,
    response_model=BankFileOut,
    openapi_extra=BANK_FILE_BODY,
    responses=problem_responses(409, 422),
)
def import_bank_file(
    request: Request,
    session: DbSession,
    context: Importing,
    content: BankFile,
    config: PaymentSettings,
) -> BankFileOut | JSONResponse:
    """Import a file the bank sent: a status report, a notification, a statement or an ACH file

    The kind is read from the file: pain.002 status reports settle or reject our payments,
    camt.054 notifications settle them, bring returns back and post incoming credits (to
    the member their reference names, else to suspense), camt.053 statements are
    reconciled line by line, NACHA files from the ODFI carry returns, notifications of
    change and credits. A file that is not valid, is for another account, or names a
    payment we never sent posts nothing (422); the same file again is a 409. Either way
    the refusal is recorded in the audit trail (`payment_file.refuse`, with the file's
    SHA-256 and the reason). Files larger than the request body limit go through
    `creditunion payments import`.
    """
    try:
        with session.begin_nested():
            result = commands.import_bank_file(session, context, content=content, config=config)
    except DomainError as exc:
        # What the import wrote is gone with its savepoint; the refusal's record commits.
        commands.record_refused_file(session, context, content=content, reason=str(exc))
        return response_for(request, exc)
    return BankFileOut.of(result)
