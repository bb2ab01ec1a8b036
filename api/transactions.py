"""One unit of work per request: commit only when the handler returned, and before replying.

Routes made by `api_router()` run their whole handler (dependencies, endpoint, response
serialisation) inside one database transaction:

- the handler raised: roll back; the error becomes a problem response here (so no
  error from a route ever escapes to the server's own 500 page);
- the handler returned (any status, even a problem it chose to return): store the
  answer for an idempotency key if one was claimed, then COMMIT, and only then send the
  response. A failed COMMIT becomes an error response, never a success;
- a transient database error (deadlock, serialization failure, lock timeout) rolls
  everything back and runs the request again, a few times, then answers 503. This is safe
  because nothing outside the database happens in a handler. The request's deadline
  (`CREDITUNION_COMMAND_DEADLINE_S`) bounds these runs and every retry below them.

Handlers get the session with `session: DbSession` (or `Depends(get_session)`).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Final

import anyio
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.context import request_context
from api.problems import PROBLEM_MEDIA_TYPE, ServiceBusy, response_for
from api.routing import DocumentedRoute
from creditunion.idempotency import store
from ledger.deadline import Deadline, deadline_set
from ledger.transaction import is_transient

ATTEMPTS_MAX: Final = 4
BACKOFF_S_BASE: Final = 0.01
REPLAYED_HEADER: Final = "Idempotent-Replayed"

log = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class IdempotentReplay(Exception):
    """Raised by the idempotency dependency: answer with the stored response instead."""

    def __init__(self, stored: store.StoredResponse) -> None:
        super().__init__("replaying a stored response")
        self.stored = stored

    def response(self) -> Response:
        headers = {REPLAYED_HEADER: "true"}
        status, body = self.stored.status, self.stored.body
        if status in (204, 304) or body is None:
            return Response(status_code=status, headers=headers)
        media_type = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
        return JSONResponse(body, status_code=status, headers=headers, media_type=media_type)


class RequestUnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session
        # Begun explicitly so services' `require_transaction` passes; no connection is
        # taken from the pool until the first statement.
        session.begin()
        self.idempotency_claim: store.Claim | None = None

    def finish(self, response: Response) -> None:
        if self.idempotency_claim is not None:
            raw = bytes(response.body) if hasattr(response, "body") else b""
            body = json.loads(raw) if raw else None
            store.complete(
                self.session, self.idempotency_claim, status=response.status_code, body=body
            )
        self.session.commit()

    def abandon(self) -> None:
        try:
            self.session.rollback()
        except Exception:  # the connection may be gone; closing returns or discards it
            log.warning("rollback failed", exc_info=True)

    def close(self) -> None:
        try:
            self.session.close()
        except Exception:
            log.warning("closing the session failed", exc_info=True)


async def run_in_unit_of_work(request: Request, handler: Handler) -> Response:
    context = request_context(request)
    engine = context.engine()
    with deadline_set(Deadline.after(context.settings.command_deadline_s)) as deadline:
        for attempt in range(1, ATTEMPTS_MAX + 1):
            unit = RequestUnitOfWork(Session(engine, expire_on_commit=False))
            request.state.unit_of_work = unit
            try:
                try:
                    response = await handler(request)
                except IdempotentReplay as replay:
                    await run_in_threadpool(unit.abandon)
                    return replay.response()
                await run_in_threadpool(unit.finish, response)
                return response
            except Exception as exc:
                await run_in_threadpool(unit.abandon)
                if not is_transient(exc):
                    return response_for(request, exc)
                if attempt == ATTEMPTS_MAX or deadline.expired:
                    return response_for(request, ServiceBusy())
                log.info("transient database error, running the request again: %s", exc)
                await anyio.sleep(random.uniform(0, BACKOFF_S_BASE * 2**attempt))
            finally:
                request.state.unit_of_work = None
                await run_in_threadpool(unit.close)
    raise AssertionError("unreachable: the loop returns or raises")


class TransactionalRoute(DocumentedRoute):
    """A route whose handler runs in one unit of work (see the module docstring)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def in_unit_of_work(request: Request) -> Response:
            return await run_in_unit_of_work(request, handler)

        return in_unit_of_work


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes are transactional. Use it for every router under /v1."""
    return APIRouter(route_class=TransactionalRoute, **kwargs)


def get_session(request: Request) -> Session:
    """The request's session, in its transaction. Never commit it: the route does."""
    unit = getattr(request.state, "unit_of_work", None)
    if not isinstance(unit, RequestUnitOfWork):
        raise RuntimeError("no unit of work: make the router with api.transactions.api_router()")
    return unit.session


def get_unit_of_work(request: Request) -> RequestUnitOfWork:
    get_session(request)
    unit = request.state.unit_of_work
    assert isinstance(unit, RequestUnitOfWork)
    return unit


DbSession = Annotated[Session, Depends(get_session)]
