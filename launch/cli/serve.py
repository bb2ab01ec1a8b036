"""`creditunion serve`: the HTTP API under uvicorn.

uvicorn starts each worker from an import string; the string is made from
`launch.asgi.create_app` itself, so the import is a real one that a rename cannot break.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from typing import Annotated

import typer

from creditunion.audit.money_settings import record_money_settings
from creditunion.auth.actor import Actor
from creditunion.platform.database import default_engine, unit_of_work
from creditunion.platform.logging_setup import (
    install_request_id_factory,
    logging_config,
    resolve_log_format,
)
from creditunion.platform.metrics import MULTIPROC_ENV, clear_multiprocess_dir
from creditunion.platform.metrics import serve_in_background as serve_metrics_in_background
from creditunion.platform.settings import get_settings
from launch import asgi
from launch.cli.db import require_schema_at_head

APP_FACTORY = f"{asgi.create_app.__module__}:{asgi.create_app.__qualname__}"


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
) -> None:
    """Serve the API (defaults from CREDITUNION_SERVE_HOST, _PORT, _WORKERS), and its
    metrics on CREDITUNION_METRICS_HOST:CREDITUNION_METRICS_PORT (port 0: none)."""
    import uvicorn

    settings = get_settings()
    require_schema_at_head()
    # The limits and loan policy the API applies are on the audit trail when it starts.
    with unit_of_work(default_engine()) as session:
        record_money_settings(session, settings=settings, actor=Actor.system("serve"))
    if settings.jwt_secret is None:
        if settings.environment == "production":
            typer.echo("CREDITUNION_JWT_SECRET must be set in production", err=True)
            raise typer.Exit(2)
        # One throwaway secret for every worker, so a token from one is valid at the others.
        os.environ["CREDITUNION_JWT_SECRET"] = secrets.token_urlsafe(48)
        typer.echo(
            "WARNING: CREDITUNION_JWT_SECRET is not set; using a random secret until this "
            "server stops. Never do this in production.",
            err=True,
        )
        get_settings.cache_clear()
    install_request_id_factory()
    worker_count = workers or settings.serve_workers
    made_dir = _share_metrics_between_workers(worker_count)
    if settings.metrics_port:
        # Apart from the API's listener, so that scraping needs access to this address
        # (loopback by default), not just to the API. Started before the workers, in this
        # process, which reads every worker's files (or is the only worker).
        try:
            serve_metrics_in_background(
                port=settings.metrics_port, host=settings.metrics_host, engine=default_engine()
            )
        except OSError as exc:
            typer.echo(
                f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port} "
                f"({exc.strerror}): set CREDITUNION_METRICS_PORT (0: no metrics listener)",
                err=True,
            )
            raise typer.Exit(2) from None
        typer.echo(f"metrics on http://{settings.metrics_host}:{settings.metrics_port}/metrics")
    log_format = resolve_log_format(settings.log_format, environment=settings.environment)
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host or settings.serve_host,
            port=port or settings.serve_port,
            workers=worker_count,
            log_config=logging_config(log_level.upper(), log_format),
            server_header=False,
            proxy_headers=settings.trusted_proxies is not None,
            forwarded_allow_ips=forwarded_allow_ips(settings.trusted_proxies),
        )
    finally:
        if made_dir is not None:
            shutil.rmtree(made_dir, ignore_errors=True)


def forwarded_allow_ips(trusted_proxies: str | None) -> str:
    """Believe X-Forwarded-For only from the configured reverse proxies.

    Left to itself uvicorn believes it from loopback (and from FORWARDED_ALLOW_IPS), so a
    client on the same host, or behind a proxy that passes the header through, could name
    any address it liked and dodge the per-address sign-in throttle. Unset: no proxy is
    believed (and proxy headers are off), so the address is always the TCP peer's.
    """
    return trusted_proxies or ""


def _share_metrics_between_workers(worker_count: int) -> str | None:
    """Several workers must count into one place, or each scrape sees one worker's figures.

    With PROMETHEUS_MULTIPROC_DIR set, its old files are removed (a previous run's counts
    would otherwise be added to this one's); with several workers and none set, a private
    directory is made for this server (returned, to be removed when it stops). The workers
    inherit the variable when they start.
    """
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        os.makedirs(directory, exist_ok=True)
        clear_multiprocess_dir(directory)
        return None
    if worker_count > 1:
        made = tempfile.mkdtemp(prefix="creditunion-metrics-")
        os.environ[MULTIPROC_ENV] = made
        return made
    return None
