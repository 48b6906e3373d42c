"""Workers delete finished task rows once they are ``TASK_RESULT_RETENTION_DAYS`` old.

With the database task backend every event leaves one finished ``dispatch_event`` row (50
incidents/s is over four million rows a day), and ``manage.py prune_db_task_results`` only helps
if someone schedules it. So a worker that has just run a dispatch also prunes, at most once every
``PRUNE_INTERVAL`` seconds per process: finished (succeeded or failed) rows of that backend whose
``finished_at`` is older than the retention, ``PRUNE_CHUNK`` rows per ``DELETE``, for at most
``PRUNE_BUDGET`` seconds per pass (what is left goes next time), so a large backlog never holds
notifications back for long. Queued and running rows are never touched. The index on
``finished_at`` (migration 0004) keeps finding the old rows cheap however large the table is.
``TASK_RESULT_RETENTION_DAYS = 0`` (env ``ARGUS_TASK_RESULT_RETENTION_DAYS``) turns this off.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 7
PRUNE_INTERVAL = 300.0  # seconds between two passes of one worker process
PRUNE_CHUNK = 5000
PRUNE_BUDGET = 2.0  # seconds one pass may spend deleting

_next_pass = 0.0


def retention_days() -> float:
    return max(0.0, float(getattr(settings, "TASK_RESULT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def prune_if_due(backend_alias: str) -> int:
    """Prune ``backend_alias``'s old finished rows if this process has not for a while; never raises."""
    global _next_pass
    now = time.monotonic()
    if now < _next_pass:
        return 0
    _next_pass = now + PRUNE_INTERVAL
    days = retention_days()
    if not days:
        return 0
    try:
        deleted = prune_finished(backend_alias, timezone.now() - datetime.timedelta(days=days))
    except Exception:
        logger.exception("Could not prune finished task results")
        return 0
    if deleted:
        logger.info("Pruned %d finished task results older than %s days", deleted, days)
    return deleted


def prune_finished(
    backend_alias: str, finished_before: datetime.datetime, *, chunk: int = PRUNE_CHUNK
) -> int:
    """Delete finished rows of ``backend_alias`` that finished before ``finished_before``."""
    from django_tasks_db.models import DBTaskResult

    old = DBTaskResult.objects.finished().filter(backend_name=backend_alias, finished_at__lt=finished_before)
    deadline = time.monotonic() + PRUNE_BUDGET
    deleted = 0
    while True:
        ids = list(old.order_by("finished_at").values_list("pk", flat=True)[:chunk])
        if ids:
            deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < chunk or time.monotonic() >= deadline:
            return deleted


def reset() -> None:
    """Forget when this process last pruned (tests)."""
    global _next_pass
    _next_pass = 0.0
