"""Prometheus metrics of the process: HTTP requests, ledger postings, close of business, pool.

Counters and histograms live in prometheus-client's default registry. With several
processes (`creditunion serve --workers N`), set `PROMETHEUS_MULTIPROC_DIR` to an empty
directory before the processes start: prometheus-client then keeps every process's values
in files there and the metrics listener (`serve_in_background`, in the main process of
`creditunion serve`, apart from the API's own listener) merges them, so a scrape sees the
whole server. Without it each process has its own registry (right for one worker).

What is read from the database (business date, closed-through, the last close-of-business
runs) is read at scrape time by `DatabaseCollector`, once per scrape whichever worker
answers; the connection pool's figures are read from the engine's pool at scrape time and,
with several workers, also written by every worker as its connections come and go.

Ledger postings are counted when the transaction that wrote them commits (an observer in
`ledger.observe` hands them over with the session), so a request rolled back and run
again after a deadlock counts once. Their latency is observed as the ledger call returns.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from ledger.observe import PostingEvent, add_observer

log = logging.getLogger(__name__)

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE: Final = "<unmatched>"
# Kinds come from code, not from callers, but a bound keeps a bug from flooding the series.
KINDS_MAX: Final = 64
OTHER_KIND: Final = "other"
SCRAPE_STATEMENT_TIMEOUT_MS: Final = 2_000

# prometheus-client opens a file per process in the directory as each metric is made, at
# import: a directory not made yet (a tmpfs, a fresh container) must not stop the process.
if os.environ.get(MULTIPROC_ENV):
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

_LATENCY_BUCKETS: Final = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_POSTING_BUCKETS: Final = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
_STEP_BUCKETS: Final = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)

HTTP_REQUESTS = Counter(
    "creditunion_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "creditunion_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method, route and status.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_IN_PROGRESS = Gauge(
    "creditunion_http_requests_in_progress",
    "Requests being answered now.",
    multiprocess_mode="livesum",
)
LEDGER_ENTRIES = Counter(
    "creditunion_ledger_entries",
    "Journal entries written and committed, by kind.",
    ["kind"],
)
LEDGER_POSTINGS = Counter(
    "creditunion_ledger_postings",
    "Posting lines written and committed, by the kind of their entry.",
    ["kind"],
)
LEDGER_REPLAYS = Counter(
    "creditunion_ledger_replays",
    "Ledger calls answered with an entry already posted under the idempotency key.",
    ["operation"],
)
LEDGER_LATENCY = Histogram(
    "creditunion_ledger_post_duration_seconds",
    "Time inside ledger.posting.post_entry (operation=entry) or ledger.batch.post_batch (batch).",
    ["operation"],
    buckets=_POSTING_BUCKETS,
)
COB_STEP_SECONDS = Histogram(
    "creditunion_cob_step_duration_seconds",
    "Close-of-business step run time in this process, by step.",
    ["step"],
    buckets=_STEP_BUCKETS,
)
COB_STEP_ITEMS = Gauge(
    "creditunion_cob_step_items",
    "Items the step's latest run in this process handled.",
    ["step"],
    multiprocess_mode="mostrecent",
)
COB_STEPS = Counter(
    "creditunion_cob_steps",
    "Close-of-business step outcomes in this process (completed, skipped, failed).",
    ["step", "status"],
)
POOL_SIZE = Gauge(
    "creditunion_db_pool_size",
    "Connections the pool keeps (summed over workers).",
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "creditunion_db_pool_checked_out",
    "Connections in use by requests now (summed over workers).",
    multiprocess_mode="livesum",
)
POOL_OVERFLOW = Gauge(
    "creditunion_db_pool_overflow",
    "Connections open beyond the pool's size (summed over workers).",
    multiprocess_mode="livesum",
)
POOL_IDLE = Gauge(
    "creditunion_db_pool_idle",
    "Connections open and idle in the pool (summed over workers).",
    multiprocess_mode="livesum",
)

_kinds_seen: set[str] = set()
_kinds_lock = threading.Lock()
_installed = False


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def install() -> None:
    """Count the ledger's postings (idempotent; the API and the scheduler call it)."""
    global _installed
    if not _installed:
        add_observer(_on_posting)
        _installed = True


# ------------------------------------------------------------------------ HTTP requests


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    labels = (method, route, str(status))
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_LATENCY.labels(*labels).observe(seconds)


# ----------------------------------------------------------------------------- ledger

_PENDING: Final = "creditunion.platform.metrics.pending_postings"


def _kind(kind: str) -> str:
    with _kinds_lock:
        if kind in _kinds_seen:
            return kind
        if len(_kinds_seen) < KINDS_MAX:
            _kinds_seen.add(kind)
            return kind
    return OTHER_KIND


def _on_posting(session: Session, posting: PostingEvent) -> None:
    LEDGER_LATENCY.labels(posting.operation).observe(posting.seconds)
    if posting.replayed:
        LEDGER_REPLAYS.labels(posting.operation).inc(posting.replayed)
    if not posting.entries_by_kind:
        return
    pending: list[PostingEvent] = session.info.setdefault(_PENDING, [])
    pending.append(posting)
    if not event.contains(session, "after_commit", _count_committed):
        event.listen(session, "after_commit", _count_committed)
        event.listen(session, "after_transaction_end", _forget_uncommitted)


def _count_committed(session: Session) -> None:
    for posting in session.info.pop(_PENDING, ()):
        for kind, entries in posting.entries_by_kind.items():
            LEDGER_ENTRIES.labels(_kind(kind)).inc(entries)
        for kind, postings in posting.postings_by_kind.items():
            LEDGER_POSTINGS.labels(_kind(kind)).inc(postings)


def _forget_uncommitted(session: Session, transaction: object) -> None:
    # Fires after after_commit (which took the list) and on rollback or close: whatever is
    # left belonged to a transaction that did not commit.
    if getattr(transaction, "parent", None) is None:
        session.info.pop(_PENDING, None)


# ------------------------------------------------------------------ close of business


def observe_cob_step(*, step: str, status: str, seconds: float, items: int | None) -> None:
    COB_STEPS.labels(step, status).inc()
    if status == "completed":
        COB_STEP_SECONDS.labels(step).observe(seconds)
        COB_STEP_ITEMS.labels(step).set(items or 0)


# ------------------------------------------------------------------------ the pool


def _refresh_pool(pool: Pool) -> None:
    size = int(getattr(pool, "size", lambda: 0)())
    checked_out = int(getattr(pool, "checkedout", lambda: 0)())
    idle = int(getattr(pool, "checkedin", lambda: 0)())
    # QueuePool.overflow() counts from -size: negative until the pool is full.
    overflow = max(int(getattr(pool, "overflow", lambda: 0)()), 0)
    POOL_SIZE.set(size)
    POOL_CHECKED_OUT.set(checked_out)
    POOL_IDLE.set(idle)
    POOL_OVERFLOW.set(overflow)


def watch_pool(engine: Engine) -> None:
    """Keep the pool gauges current as connections come and go (idempotent).

    One process reads its own pool at scrape time; with several workers each worker's
    figures must be in the shared files already, so every worker writes them on events.
    """
    pool = engine.pool

    def refresh(*_: object) -> None:
        _refresh_pool(pool)

    if getattr(pool, "_creditunion_watched", False):
        return
    for name in ("checkout", "checkin", "connect", "close"):
        event.listen(pool, name, refresh)
    pool._creditunion_watched = True  # type: ignore[attr-defined]
    _refresh_pool(pool)


# ------------------------------------------------------------- read at scrape time


def _timestamp(value: dt.date | None) -> float | None:
    if value is None:
        return None
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()


_SCRAPE_QUERY = text("""
SELECT (SELECT business_date FROM business_calendar WHERE id = 1) AS business_date,
       (SELECT max(business_date) FROM ledger_day_closes) AS closed_through,
       (SELECT count(*) FROM cob_step_runs WHERE status = 'running') AS running,
       (SELECT count(*) FROM cob_step_runs WHERE status = 'failed') AS failed
""")
_LAST_STEPS = text("""
SELECT DISTINCT ON (step) step, duration_ms, items
FROM cob_step_runs WHERE status = 'completed'
ORDER BY step, business_date DESC
""")


class DatabaseCollector(Collector):
    """Business date, closed-through and the latest close of business, read per scrape."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "creditunion_metrics_database_up",
            "1 when this scrape could read the database, else 0.",
        )
        try:
            families = list(self._read())
        except Exception:
            log.warning("metrics: the database could not be read", exc_info=True)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families]

    def _read(self) -> Iterator[Metric]:
        with self._engine.connect() as conn, conn.begin():
            conn.execute(text(f"SET LOCAL statement_timeout = {SCRAPE_STATEMENT_TIMEOUT_MS}"))
            row = conn.execute(_SCRAPE_QUERY).one()
            steps = conn.execute(_LAST_STEPS).all()
        for name, help_text, value in (
            (
                "creditunion_business_date_timestamp_seconds",
                "The business date now open for posting (midnight UTC of it, Unix seconds).",
                row.business_date,
            ),
            (
                "creditunion_ledger_closed_through_timestamp_seconds",
                "The last business date closed in the ledger (midnight UTC, Unix seconds).",
                row.closed_through,
            ),
        ):
            stamp = _timestamp(value)
            if stamp is not None:
                yield GaugeMetricFamily(name, help_text, value=stamp)
        states = GaugeMetricFamily(
            "creditunion_cob_step_runs",
            "Close-of-business step records now running or failed (a failed one needs a rerun).",
            labels=["status"],
        )
        states.add_metric(["running"], row.running)
        states.add_metric(["failed"], row.failed)
        yield states
        seconds = GaugeMetricFamily(
            "creditunion_cob_last_step_duration_seconds",
            "Run time of each step's latest completed run, by any runner.",
            labels=["step"],
        )
        items = GaugeMetricFamily(
            "creditunion_cob_last_step_items",
            "Items of each step's latest completed run, by any runner.",
            labels=["step"],
        )
        for step in steps:
            seconds.add_metric([step.step], (step.duration_ms or 0) / 1000)
            items.add_metric([step.step], step.items or 0)
        yield seconds
        yield items


def exposition(engine: Engine | None) -> bytes:
    """The text a scrape gets: this process's (or every worker's) metrics and the database's."""
    if engine is not None:
        _refresh_pool(engine.pool)
    return generate_latest(serving_registry(engine))


def clear_multiprocess_dir(directory: str) -> int:
    """Delete a previous run's metric files (do this before the workers start)."""
    removed = 0
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))
                removed += 1
    return removed


class _Delegate:
    """A registry's metrics as one collector, to combine with others in a new registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


def serving_registry(engine: Engine | None) -> CollectorRegistry:
    """What a metrics listener serves: this process's (or, with several workers, every
    worker's) metrics, and with `engine` what is read from the database per scrape."""
    directory = multiprocess_dir()
    base = REGISTRY
    if directory is not None:
        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base, path=directory)  # type: ignore[no-untyped-call]
    if engine is None:
        return base
    combined = CollectorRegistry()
    combined.register(_Delegate(base))
    combined.register(DatabaseCollector(engine))
    return combined


def serve_in_background(
    *, port: int, host: str, engine: Engine | None = None
) -> tuple[WSGIServer, threading.Thread]:
    """Serve `/metrics` on host:port from a daemon thread, apart from the API's listener.

    The scheduler serves its own; `creditunion serve` serves the API's (with `engine`, the
    database figures too) from its main process, which sees every worker's files.
    """
    from prometheus_client import start_http_server

    return start_http_server(port, addr=host, registry=serving_registry(engine))
