"""Prometheus metrics of a bigsync process (`bigsync serve` at `/metrics`, `bigsync worker`
on `--metrics-port`), in one registry of their own.

Counted as work happens (per process; Prometheus sums the fleet):
    bigsync_jobs_total{kind, outcome}                 job runs by kind and outcome
    bigsync_job_duration_seconds{kind}                histogram of run times
    bigsync_sync_records_total / _rows_changed_total  records read, mirror rows changed
    bigsync_api_requests_total{status}                answers by status class (2xx, 4xx, 429, ...)
    bigsync_api_throttled_total{store}                429s; `store` is a connection id for the
                                                      first STORE_LABELS stores seen, then "other"
    bigsync_rate_limit_wait_seconds_total             time requests were held by the governor
    bigsync_jobs_recovered_total                      jobs of dead workers handed back
    bigsync_tick_queued_total                         jobs the tick queued
Read from the database at each scrape (`DatabaseCollector`, whole fleet):
    bigsync_outbox_rows{state}, bigsync_outbox_oldest_age_seconds{state}
    bigsync_webhook_refresh_queued, bigsync_webhook_lag_seconds (oldest queued refresh)
    bigsync_queue_jobs{task, status}                  waiting and running jobs (worker mode)

Label sets are bounded: kinds, outcomes, states and status classes are fixed lists; the
only per-store label is capped at `STORE_LABELS` values."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest, start_http_server
from prometheus_client.registry import Collector

from bigsync.store import metrics_queries

if TYPE_CHECKING:
    from prometheus_client.core import Metric
    from sqlalchemy import Engine

    from bigsync.jobs.model import JobOutcome

log = logging.getLogger(__name__)

STORE_LABELS = 50
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry(auto_describe=True)

JOBS = Counter("bigsync_jobs", "Job runs by kind and outcome.", ["kind", "outcome"],
               registry=REGISTRY)  # fmt: skip
DURATION = Histogram(
    "bigsync_job_duration_seconds",
    "How long job runs take.",
    ["kind"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800),
    registry=REGISTRY,
)
RECORDS = Counter("bigsync_sync_records", "API records read by syncs.", registry=REGISTRY)
CHANGED = Counter("bigsync_sync_rows_changed", "Mirror rows syncs changed.", registry=REGISTRY)
REQUESTS = Counter("bigsync_api_requests", "API answers by status class.", ["status"],
                   registry=REGISTRY)  # fmt: skip
THROTTLED = Counter("bigsync_api_throttled", "429 answers, by store (capped).", ["store"],
                    registry=REGISTRY)  # fmt: skip
WAITS = Counter("bigsync_rate_limit_wait_seconds", "Time requests were held by rate limits.",
                registry=REGISTRY)  # fmt: skip
RECOVERED = Counter("bigsync_jobs_recovered", "Jobs of dead workers handed back.",
                    registry=REGISTRY)  # fmt: skip
QUEUED = Counter("bigsync_tick_queued", "Jobs the tick queued.", registry=REGISTRY)

_stores: set[str] = set()
_stores_lock = threading.Lock()


def store_label(store: str) -> str:
    """`store` for the first `STORE_LABELS` stores this process saw, else "other"."""
    with _stores_lock:
        if store in _stores or len(_stores) < STORE_LABELS:
            _stores.add(store)
            return store
    return "other"


def status_class(status: int) -> str:
    """429 on its own, else `2xx`, `4xx`, ...; 0 (no answer) is `error`."""
    if status == 429:
        return "429"
    return f"{status // 100}xx" if status >= 100 else "error"


def job_finished(kind: str, outcome: str, seconds: float, result: JobOutcome | None = None) -> None:
    """Count one job run."""
    JOBS.labels(kind, outcome).inc()
    DURATION.labels(kind).observe(seconds)
    if result is not None:
        RECORDS.inc(result.figures.get("records", 0))
        CHANGED.inc(result.figures.get("changed", 0))


def request_answered(store: str, status: int, waited_s: float) -> None:
    """Count one API answer of `store` (a connection id or store hash)."""
    REQUESTS.labels(status_class(status)).inc()
    if status == 429:
        THROTTLED.labels(store_label(store)).inc()
    if waited_s > 0:
        WAITS.inc(waited_s)


def jobs_recovered(count: int) -> None:
    if count:
        RECOVERED.inc(count)


def tick_queued(count: int) -> None:
    if count:
        QUEUED.inc(count)


class DatabaseCollector(Collector):
    """The backlogs, read from the database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        try:
            with self.engine.connect() as conn:
                outbox = metrics_queries.outbox_backlog(conn)
                webhooks = metrics_queries.webhook_backlog(conn)
                queue = metrics_queries.queue_backlog(conn)
        except Exception as error:  # a scrape never fails the process
            log.warning("metrics: could not read the database: %s", type(error).__name__)
            return
        rows = GaugeMetricFamily("bigsync_outbox_rows", "Outbox rows by state.", labels=["state"])
        ages = GaugeMetricFamily(
            "bigsync_outbox_oldest_age_seconds", "Age of the oldest row by state.", labels=["state"]
        )
        for backlog in outbox:
            rows.add_metric([backlog.state], backlog.count)
            if backlog.oldest is not None:
                ages.add_metric([backlog.state], (now - backlog.oldest).total_seconds())
        yield rows
        yield ages
        yield GaugeMetricFamily(
            "bigsync_webhook_refresh_queued", "Records waiting for a refresh.", webhooks.count
        )
        lag = (now - webhooks.oldest).total_seconds() if webhooks.oldest else 0.0
        yield GaugeMetricFamily(
            "bigsync_webhook_lag_seconds", "Age of the oldest waiting refresh.", lag
        )
        jobs = GaugeMetricFamily(
            "bigsync_queue_jobs", "Queued jobs by task and status.", labels=["task", "status"]
        )
        for task, status, count in queue:
            jobs.add_metric([task, status], count)
        yield jobs


_collectors: dict[int, DatabaseCollector] = {}


def watch_database(engine: Engine) -> None:
    """Report `engine`'s backlogs in the registry (once per engine)."""
    if id(engine) in _collectors:
        return
    collector = _collectors[id(engine)] = DatabaseCollector(engine)
    REGISTRY.register(collector)


def serve_metrics(host: str, port: int) -> int:
    """Serve the registry at http://host:port/metrics from a thread; the bound port."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    bound: int = server.server_port
    return bound


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)
