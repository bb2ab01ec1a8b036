"""Probes for the orchestrator, outside /v1: they describe the process, not the API version.

`/health/live`: the process answers. `/health/ready`: the database answers and its schema
is at the migrations' head (the revisions the entry point gave `create_app`); until then
the instance should get no traffic.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.context import request_context
from api.problems import PROBLEM_TYPE_PREFIX, problem_response, problem_responses
from api.routing import documented_router
from api.security import PUBLIC
from creditunion.platform.schema_revision import current_revisions

router = documented_router(prefix="/health", tags=["health"])
log = logging.getLogger(__name__)


class Health(BaseModel):
    status: Literal["live", "ready"]


@router.get("/live", openapi_extra=PUBLIC)
def live() -> Health:
    """Liveness probe"""
    return Health(status="live")


@router.get("/ready", response_model=Health, openapi_extra=PUBLIC, responses=problem_responses(503))
def ready(request: Request) -> Health | JSONResponse:
    """Readiness probe: database up and migrated to head"""
    context = request_context(request)
    if not context.schema_heads:
        return _not_ready(request, "this server was not told which schema migration it needs")
    engine = context.engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        migrated = current_revisions(engine) == context.schema_heads
    except Exception:
        log.warning("readiness: the database does not answer", exc_info=True)
        return _not_ready(request, "the database does not answer")
    if not migrated:
        return _not_ready(request, "the database schema is not at the newest migration")
    return Health(status="ready")


def _not_ready(request: Request, detail: str) -> JSONResponse:
    return problem_response(
        request,
        status=503,
        title="Not ready",
        type=PROBLEM_TYPE_PREFIX + "not-ready",
        detail=detail,
        headers={"Retry-After": "5"},
    )
