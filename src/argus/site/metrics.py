"""``GET /metrics``: Prometheus text exposition of what Argus does.

Counters and histograms come from :mod:`argus.util.metrics`: this process's, or with
``PROMETHEUS_MULTIPROC_DIR`` set, every process's that shares the directory (the client's
multiprocess mode; files in sub-directories count too, for workers in their own container that
write into a shared volume). Gauges are computed from the database at scrape time and cached for
``METRICS_CACHE_SECONDS`` per process, so they are deployment-wide; each query is bounded by an
index (open incidents, ready or running tasks, source systems), never a count of a whole table.

``METRICS_ENABLED`` false: 404. With ``METRICS_TOKEN`` set, ``Authorization: Bearer <token>``
is required (401 with ``WWW-Authenticate: Bearer`` otherwise). The page answers under any Host
header (served by ``argus.site.middleware.ProbeMiddleware`` before host validation).
"""

from __future__ import annotations

import glob
import hmac
import logging
import os
import re
import threading
import time

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

import argus
from argus.incident.choices import LivenessState
from argus.incident.liveness import liveness_state
from argus.incident.models import Incident, SourceSystem
from argus.incident.queries import acked_expression, open_q
from argus.notificationprofile.tasks import QUEUE_NAME
from argus.plannedmaintenance.models import PlannedMaintenanceTask
from argus.plannedmaintenance.queries import current_q, under_maintenance_q
from argus.util import metrics

logger = logging.getLogger(__name__)

_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


# --- counters and histograms ------------------------------------------------------------------------


class HostCollector:
    """Every process's counters in ``PROMETHEUS_MULTIPROC_DIR`` (and its sub-directories), merged."""

    def __init__(self, path: str):
        self.path = path

    def collect(self):
        forget_dead_processes(self.path)
        files = glob.glob(os.path.join(self.path, "*.db")) + glob.glob(os.path.join(self.path, "*", "*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)


def forget_dead_processes(path: str) -> None:
    """Drop the live-process gauges (websocket connections) of processes of this host that died
    without saying so (killed); the files of sub-directories belong to other hosts' processes."""
    for name in os.listdir(path):
        match = _LIVE_GAUGE_FILE.fullmatch(name)
        if match and not _process_exists(int(match.group(1))):
            mark_process_dead(int(match.group(1)), path)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


# --- gauges ------------------------------------------------------------------------------------------


class DatabaseGauges:
    """The gauges of the deployment, computed from the database at most every ``cache_seconds``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._expires = 0.0
        self._families: list = []

    def collect(self):
        with self._lock:
            if time.monotonic() >= self._expires:
                self._families = compute_database_gauges()
                self._expires = time.monotonic() + settings.METRICS_CACHE_SECONDS
            return list(self._families)

    def clear(self) -> None:
        with self._lock:
            self._expires = 0.0


def compute_database_gauges(now=None) -> list:
    now = now or timezone.now()
    return [
        *_incident_gauges(now),
        *_maintenance_gauges(now),
        *_queue_gauges(now),
        *_source_gauges(now),
    ]


def _incident_gauges(now) -> list:
    open_incidents = GaugeMetricFamily(
        "argus_incidents_open",
        "Open stateful incidents (end_time > now).",
        labels=["source_type", "source", "level", "acked"],
    )
    rows = (
        Incident.objects.filter(open_q(now))
        .annotate(is_acked=acked_expression(now))
        .values("source__type_id", "source__name", "level", "is_acked")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in rows:
        open_incidents.add_metric(
            [
                row["source__type_id"],
                row["source__name"],
                str(row["level"]),
                metrics.boolean_label(row["is_acked"]),
            ],
            row["count"],
        )
    return [open_incidents]


def _maintenance_gauges(now) -> list:
    """Two small counts: the open incidents linked to a current task (through the link table's
    index, only the current tasks' links), and the current tasks."""
    under = Incident.objects.filter(open_q(now)).filter(under_maintenance_q(now)).count()
    current = PlannedMaintenanceTask.objects.filter(current_q(now)).count()
    return [
        GaugeMetricFamily(
            "argus_incidents_under_maintenance",
            "Open incidents linked to a current maintenance task.",
            value=under,
        ),
        GaugeMetricFamily("argus_maintenance_tasks_current", "Current maintenance tasks.", value=current),
    ]


def _queue_gauges(now) -> list:
    """Counts of READY and RUNNING rows (partial indexes on the status), never of finished ones."""
    queue = DBTaskResult.objects.filter(queue_name=QUEUE_NAME)
    waiting = queue.filter(status=TaskResultStatus.READY)
    ready = waiting.filter(Q(run_after=get_date_max()) | Q(run_after__lte=now))
    ready_count, waiting_count = ready.count(), waiting.count()
    tasks = GaugeMetricFamily(
        "argus_notification_queue_tasks", "Rows of the notification task queue.", labels=["state"]
    )
    tasks.add_metric(["ready"], ready_count)
    tasks.add_metric(["scheduled"], waiting_count - ready_count)
    tasks.add_metric(["running"], queue.filter(status=TaskResultStatus.RUNNING).count())
    since = None
    if ready_count:
        # Ready since it was enqueued, or (deferred) since its time came.
        oldest = ready.aggregate(
            enqueued=Min("enqueued_at", filter=Q(run_after=get_date_max())),
            due=Min("run_after", filter=Q(run_after__lte=now)),
        )
        since = min([time for time in oldest.values() if time is not None], default=None)
    age = GaugeMetricFamily(
        "argus_notification_queue_oldest_ready_seconds",
        "Age of the oldest ready task of the notification queue; 0 when none.",
        value=max(0.0, (now - since).total_seconds()) if since is not None else 0.0,
    )
    return [tasks, age]


def _source_gauges(now) -> list:
    last_seen = GaugeMetricFamily(
        "argus_source_last_seen_timestamp_seconds",
        "Unix time of a source's last API request or heartbeat.",
        labels=["source_type", "source"],
    )
    dead = 0
    sources = SourceSystem.objects.only(
        "name", "type_id", "last_seen", "heartbeat_frequency", "heartbeat_armed_at"
    ).order_by("type_id", "name")
    for source in sources:
        if source.last_seen is not None:
            last_seen.add_metric([source.type_id, source.name], source.last_seen.timestamp())
        if source.heartbeat_frequency is not None and liveness_state(source, now) == LivenessState.DEAD:
            dead += 1
    return [last_seen, GaugeMetricFamily("argus_sources_dead", "Sources in state dead.", value=dead)]


class BuildInfo:
    def collect(self):
        info = GaugeMetricFamily("argus_build_info", "The server's build.", labels=["version", "api"])
        info.add_metric([argus.__version__, "v1,v2"], 1)
        return [info]


DATABASE_GAUGES = DatabaseGauges()


def exposition_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BuildInfo())
    path = metrics.multiprocess_dir()
    registry.register(HostCollector(path) if path else metrics.REGISTRY)
    registry.register(DATABASE_GAUGES)
    return registry


# --- the page ---------------------------------------------------------------------------------------


def _authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_view(request):
    if not settings.METRICS_ENABLED:
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not _authorized(request):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    response = HttpResponse(generate_latest(exposition_registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response["Cache-Control"] = "no-store"
    return response
