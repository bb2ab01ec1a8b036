"""The application factory: `create_app()`, for `launch.asgi` (`creditunion serve`) and for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Final

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from api import docs_pages, health, problem_types
from api.approvals import reversals
from api.approvals import router as approvals
from api.audit_log import router as audit_log
from api.auth import router as auth
from api.cob import business_date
from api.cob import router as cob
from api.context import AppContext
from api.dividends import router as dividends
from api.exports import evidence, ledger_proof
from api.exports import router as exports
from api.loans import applications as loan_applications
from api.loans import me as loans_me
from api.loans import products as loan_products
from api.loans import servicing as loan_servicing
from api.me import router as me
from api.members import router as members
from api.middleware import metrics
from api.middleware.body_limit import BodyLimitMiddleware
from api.middleware.login_throttle import LoginThrottleMiddleware
from api.middleware.request_id import RequestIdMiddleware
from api.middleware.security_headers import SecurityHeadersMiddleware
from api.movements import cash, transfers
from api.openapi import install_openapi
from api.payments import collections as direct_debits
from api.payments import files as payment_files
from api.payments import incoming as incoming_credits
from api.payments import me as payments_me
from api.payments import me_collections as direct_debits_me
from api.payments import nominations as payment_nominations
from api.payments import payouts
from api.payments import statements as payment_statements
from api.problem_map import build_problem_map
from api.problems import install_problem_map
from api.shares import accounts as share_accounts
from api.shares import products as share_products
from api.users import router as users
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
    """Every router under /v1, in the order they were first listed (kept, so the OpenAPI
    document does not change).

    To add endpoints, add a module to its noun's package (`api/<noun>/`) with
    `router = api_router(tags=[...])` (from `api.transactions`), list its router here,
    declare each endpoint's permission with `require(...)` (or `openapi_extra=PUBLIC`),
    document its problems with `responses=problem_responses(...)`, and regenerate the
    role matrix: `python -m api.permissions_matrix --write README.md`.
    """
    return [
        approvals.router,
        audit_log.router,
        auth.router,
        business_date.router,
        cash.router,
        cob.router,
        dividends.router,
        evidence.router,
        exports.router,
        ledger_proof.router,
        loan_applications.router,
        loans_me.router,
        loan_products.router,
        loan_servicing.router,
        me.router,
        members.router,
        reversals.router,
        share_accounts.router,
        share_products.router,
        transfers.router,
        users.router,
        payments_me.router,
        payment_nominations.router,
        payouts.router,
        payment_files.router,
        incoming_credits.router,
        payment_statements.router,
        direct_debits_me.router,
        direct_debits.router,
    ]


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
