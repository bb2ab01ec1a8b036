"""The application factory: `create_app()`, for `launch.asgi` (`creditunion serve`) and for tests."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Final

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

import api.routers
from api import docs_pages, health, problem_types
from api.context import AppContext
from api.middleware import metrics
from api.middleware.body_limit import BodyLimitMiddleware
from api.middleware.login_throttle import LoginThrottleMiddleware
from api.middleware.request_id import RequestIdMiddleware
from api.middleware.security_headers import SecurityHeadersMiddleware
from api.openapi import install_openapi
from api.problem_map import build_problem_map
from api.problems import install_problem_map
from creditunion.auth.tokens import resolve_secret
from creditunion.platform import metrics as process_metrics
from creditunion.platform.logging_setup import install_request_id_factory
from creditunion.platform.settings import Settings, get_settings

API_PREFIX: Final = "/v1"
DESCRIPTION: Final = """\
Core banking for credit unions: members, share accounts, loans and the ledger.

All endpoints are under `/v1`; the health probes and problem-type pages are not.
Errors are `application/problem+json` (RFC 9457). Amounts are JSON strings. Lists use
cursor pagination. POSTs that move money need an `Idempotency-Key` header. Sign in with
`POST /v1/auth/token` and send `Authorization: Bearer <access_token>`.
"""


def v1_routers() -> list[APIRouter]:
    """The `router` of every module in `api.routers`, in module-name order."""
    found: list[APIRouter] = []
    for module_info in sorted(pkgutil.iter_modules(api.routers.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"api.routers.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the close-of-business scheduler beside the API when the settings ask for it.

    Every worker may start one: the leader lock lets only one of them run each day.
    """
    context: AppContext = app.state.context
    if not context.settings.api_runs_scheduler:
        yield
        return
    from creditunion.cob.scheduler import build_scheduler

    scheduler = build_scheduler(context.engine(), context.settings, background=True)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    schema_heads: Collection[str] = (),
) -> FastAPI:
    """The API. With no engine, one is made from the settings when first needed.

    `schema_heads` are the migration revisions the database must be at for `/health/ready`
    to say ready (the entry points pass the migrations' heads); with none it never does.
    """
    settings = settings or get_settings()
    install_request_id_factory()
    app = FastAPI(
        lifespan=_lifespan,
        title="Credit union core",
        version="1",
        description=DESCRIPTION,
        # The documentation pages are installed below, with their assets served locally.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.context = AppContext.build(
        settings, resolve_secret(settings), engine, frozenset(schema_heads)
    )
    # Inside the request id, so that their refusals (413, 429) carry it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        LoginThrottleMiddleware,
        failures=settings.login_throttle_failures,
        window_s=settings.login_throttle_window_s,
        username_failures=settings.login_throttle_username_failures,
    )
    app.add_middleware(RequestIdMiddleware)
    # Outside the request id: it times the whole request, including the id's own work.
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts_max_age_s=settings.hsts_max_age_s,
        cacheable_prefixes=(docs_pages.ASSETS_PATH,),
    )
    process_metrics.install()
    app.include_router(health.router)
    app.include_router(problem_types.router)
    for router in v1_routers():
        app.include_router(router, prefix=API_PREFIX)
    install_problem_map(app, build_problem_map())
    install_openapi(app)
    docs_pages.install_docs(app, swagger_ui_parameters={"persistAuthorization": True})
    return app
