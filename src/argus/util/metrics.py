"""The counters and histograms of ``/metrics``, recorded where things happen.

They are ``prometheus_client`` metrics in a registry of their own (no process or GC metrics of
the client's default registry). Each process keeps its own values; when the environment variable
``PROMETHEUS_MULTIPROC_DIR`` names a directory, the client's multiprocess mode keeps them in
memory-mapped files there instead, so a scrape of any process of the host sums every process
that shares the directory (``argus.site.metrics`` reads them). The variable must be set before
the process starts (the client reads it on import); the directory is created if missing.

Recording costs a lock and an addition (a write into a mapped page in multiprocess mode).
What a transaction creates is counted when it commits (:func:`count_after_commit`), so a rolled
back change is never counted. Gauges are not here: ``/metrics`` computes them from the database
at scrape time, except the open websocket connections of this process.
"""

from __future__ import annotations

import atexit
import os
from collections import Counter as Tally
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.multiprocess import mark_process_dead

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The directory of the client's multiprocess mode, or None when each process is on its own."""
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


def _ensure_multiprocess_dir() -> None:
    path = multiprocess_dir()
    if path is None:
        return
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"{MULTIPROCESS_DIR_VARIABLE}={path!r} cannot be created: {error.strerror}"
        ) from None


def _forget_this_process() -> None:
    """At exit: this process's open websocket connections are no more (its counters stay)."""
    path = multiprocess_dir()
    if path:
        mark_process_dead(os.getpid(), path)


_ensure_multiprocess_dir()
atexit.register(_forget_this_process)

# No "<counter>_created" samples: multiprocess mode has none either, so both modes expose the same.
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)

INGEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
DISPATCH_DELAY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

INCIDENTS_CREATED = Counter(
    "argus_incidents_created",
    "Incidents created, by any path (API, bulk, admin, commands, heartbeat, token expiry).",
    ["source_type", "source", "stateful"],
    registry=REGISTRY,
)
EVENTS_CREATED = Counter("argus_events_created", "Events stored.", ["type"], registry=REGISTRY)
INGEST_REQUESTS = Counter(
    "argus_ingest_requests", "Write requests to the v1/v2 API.", ["operation", "code"], registry=REGISTRY
)
INGEST_DURATION = Histogram(
    "argus_ingest_request_duration_seconds",
    "Server time of a write request to the v1/v2 API, from request start to response.",
    ["operation"],
    buckets=INGEST_BUCKETS,
    registry=REGISTRY,
)
API_REQUESTS = Counter(
    "argus_api_requests", "Requests to the v1/v2 API.", ["version", "method", "code_class"], registry=REGISTRY
)
NOTIFICATIONS_SENT = Counter(
    "argus_notifications_sent",
    "Messages accepted by the medium (one per address).",
    ["medium"],
    registry=REGISTRY,
)
NOTIFICATIONS_FAILED = Counter(
    "argus_notifications_failed",
    'Failed send attempts; final="true" when given up or permanent.',
    ["medium", "final"],
    registry=REGISTRY,
)
NOTIFICATIONS_SUPPRESSED = Counter(
    "argus_notifications_suppressed",
    "Events that would have been dispatched but were silenced.",
    ["reason"],
    registry=REGISTRY,
)
DISPATCH_DELAY = Histogram(
    "argus_notification_dispatch_delay_seconds",
    "From an event's arrival to the first attempt to send a message about it.",
    ["medium"],
    buckets=DISPATCH_DELAY_BUCKETS,
    registry=REGISTRY,
)
WEBSOCKET_CONNECTIONS = Gauge(
    "argus_websocket_connections",
    "Open /ws/open/ connections of the processes being scraped.",
    ["subscribed"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
WEBSOCKET_FRAMES_SENT = Counter(
    "argus_websocket_frames_sent", "Websocket frames sent to clients.", ["type"], registry=REGISTRY
)

#: HTTP methods counted under their own name; anything else is counted as "other".
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def boolean_label(value: bool) -> str:
    return "true" if value else "false"


def count_after_commit(counter, labels: tuple[str, ...], amount: float = 1) -> None:
    """Add ``amount`` to ``counter``'s ``labels`` once the current transaction commits (at once
    outside a transaction); nothing when it rolls back."""
    transaction.on_commit(lambda: counter.labels(*labels).inc(amount))


def incident_created(*, source_type: str, source: str, stateful: bool) -> None:
    count_after_commit(INCIDENTS_CREATED, (source_type, source, boolean_label(stateful)))


def events_created(types: Iterable[str]) -> None:
    tally = Tally(str(event_type) for event_type in types)
    if tally:
        transaction.on_commit(lambda: _add_events(tally))


def _add_events(tally: Tally) -> None:
    for event_type, amount in tally.items():
        EVENTS_CREATED.labels(event_type).inc(amount)


def api_request(*, version: str, method: str, status: int) -> None:
    method = method if method in HTTP_METHODS else "other"
    API_REQUESTS.labels(version, method, f"{status // 100}xx").inc()


def ingest_request(*, operation: str, status: int, seconds: float) -> None:
    INGEST_REQUESTS.labels(operation, str(status)).inc()
    INGEST_DURATION.labels(operation).observe(seconds)
